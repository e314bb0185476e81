import type { EventEnvelope, EventPublisher, EventType } from '../../../../services/shared/events';
import type { SagaInput } from '../../../../services/shared/saga';
import type { HealthProbe, SagaStarter } from '../../../../services/orders/domain/ports';

/** An in-memory EventPublisher that records what it was given and can be told to fail. */
export class RecordingPublisher implements EventPublisher {
  readonly published: EventEnvelope[] = [];
  private failures = 0;

  /** Makes the next `n` publish calls throw. */
  failNext(n = 1): void {
    this.failures = n;
  }

  async publish(events: readonly EventEnvelope[]): Promise<void> {
    if (this.failures > 0) {
      this.failures--;
      throw new Error('bus unavailable');
    }
    this.published.push(...events);
  }

  ofType<T extends EventType>(type: T): EventEnvelope<T>[] {
    return this.published.filter((e): e is EventEnvelope<T> => e.type === type);
  }

  /** Distinct event ids, i.e. what a deduping consumer would process. */
  distinctIds(): string[] {
    return [...new Set(this.published.map((e) => e.id))];
  }
}

/** An in-memory saga starter with Step Functions' semantics: one execution per name. */
export class FakeSagaStarter implements SagaStarter {
  readonly executions = new Map<string, SagaInput>();
  calls = 0;
  private failures = 0;

  failNext(n = 1): void {
    this.failures = n;
  }

  async start(input: SagaInput): Promise<'started' | 'already-started'> {
    this.calls++;
    if (this.failures > 0) {
      this.failures--;
      throw new Error('states unavailable');
    }
    if (this.executions.has(input.order.orderId)) return 'already-started';
    this.executions.set(input.order.orderId, input);
    return 'started';
  }
}

/** A health probe that answers, fails with a named error, or hangs until aborted. */
export class FakeProbe implements HealthProbe {
  aborted = false;
  constructor(
    readonly name: string,
    private readonly behaviour: 'ok' | 'fail' | 'hang',
  ) {}

  probe(signal: AbortSignal): Promise<void> {
    if (this.behaviour === 'ok') return Promise.resolve();
    if (this.behaviour === 'fail') {
      const err = new Error('Requested resource not found: arn:aws:secret-looking-detail');
      err.name = 'ResourceNotFoundException';
      return Promise.reject(err);
    }
    return new Promise((_, reject) => {
      signal.addEventListener('abort', () => {
        this.aborted = true;
        reject(new Error('aborted'));
      });
    });
  }
}

/**
 * The replication-partition fault in AWS: the region's FIS experiment template (lib/regional/fault-injection)
 * pauses Global Tables replication to and from the region's replicas; stopping the experiment lifts it.
 * Templates are found by their tags (FIS_TEMPLATE_TAGS), so a drill of one environment never starts
 * another environment's experiment.
 */
import {
  FisClient,
  GetExperimentCommand,
  ListExperimentTemplatesCommand,
  StartExperimentCommand,
  StopExperimentCommand,
  type Experiment,
} from '@aws-sdk/client-fis';
import { randomUUID } from 'node:crypto';
import { FIS_TEMPLATE_TAGS } from '../../services/shared/fault-injection';

/** Options of {@link ReplicationPause}. */
export interface ReplicationPauseOptions {
  /** The environment's resource prefix (`meridian-<name>`), the templates' `meridian:environment` tag. */
  readonly environment: string;
  readonly regions: readonly string[];
  /** The FIS endpoint of each region (the local runtime's); AWS's when absent. */
  readonly endpoints?: Readonly<Record<string, string | undefined>>;
  readonly credentials?: { accessKeyId: string; secretAccessKey: string };
  /** How often an experiment's state is polled while waiting for it to run or stop, ms. @default 2000 */
  readonly pollMs?: number;
  /** How long an experiment may take to start running or to stop, ms. @default 180000 */
  readonly timeoutMs?: number;
  readonly log?: (line: string) => void;
}

/** The drill scenario whose templates this starts. */
const DRILL = 'replication-partition';
const ENDED = new Set(['completed', 'stopped', 'failed', 'cancelled']);

/** Starts and stops each region's replication-pause experiment through the FIS API. */
export class ReplicationPause {
  private readonly clients = new Map<string, FisClient>();
  private readonly running = new Map<string, string>();

  constructor(private readonly options: ReplicationPauseOptions) {
    for (const region of options.regions) {
      const endpoint = options.endpoints?.[region];
      this.clients.set(
        region,
        new FisClient({
          region,
          maxAttempts: 3,
          ...(options.credentials && { credentials: options.credentials }),
          ...(endpoint && { endpoint }),
        }),
      );
    }
  }

  private client(region: string): FisClient {
    const client = this.clients.get(region);
    if (!client) throw new Error(`unknown region ${region} (regions: ${this.options.regions.join(', ')})`);
    return client;
  }

  /** The id of each region's replication-pause template (regions without one are absent). */
  async templates(): Promise<Map<string, string>> {
    const found = new Map<string, string>();
    await Promise.all(
      this.options.regions.map(async (region) => {
        let nextToken: string | undefined;
        do {
          const page = await this.client(region).send(new ListExperimentTemplatesCommand({ nextToken }));
          const mine = page.experimentTemplates?.find(
            (t) =>
              t.tags?.[FIS_TEMPLATE_TAGS.environment] === this.options.environment &&
              t.tags?.[FIS_TEMPLATE_TAGS.region] === region &&
              t.tags?.[FIS_TEMPLATE_TAGS.drill] === DRILL,
          );
          if (mine?.id) {
            found.set(region, mine.id);
            return;
          }
          nextToken = page.nextToken;
        } while (nextToken);
      }),
    );
    return found;
  }

  /** Starts the region's experiment and resolves once it runs; throws with FIS's reason when it does not. */
  async pause(region: string): Promise<string> {
    if (this.running.has(region))
      throw new Error(`the replication of ${region} is already paused by this drill`);
    const templateId = (await this.templates()).get(region);
    if (!templateId) {
      throw new Error(
        `no FIS experiment template tagged ${FIS_TEMPLATE_TAGS.environment}=${this.options.environment}, ${FIS_TEMPLATE_TAGS.region}=${region}, ${FIS_TEMPLATE_TAGS.drill}=${DRILL}: is the environment deployed with it?`,
      );
    }
    const { experiment } = await this.client(region).send(
      new StartExperimentCommand({
        clientToken: randomUUID(),
        experimentTemplateId: templateId,
        tags: { [FIS_TEMPLATE_TAGS.drill]: DRILL },
      }),
    );
    const id = experiment?.id;
    if (!id) throw new Error(`FIS started no experiment from template ${templateId} in ${region}`);
    this.running.set(region, id);
    const state = await this.waitFor(region, id, (s) => s !== 'pending' && s !== 'initiating');
    if (state.status !== 'running') {
      this.running.delete(region);
      throw new Error(
        `FIS experiment ${id} in ${region} is ${state.status}: ${state.reason ?? 'no reason given'}`,
      );
    }
    this.options.log?.(`FIS experiment ${id} pauses the replication of ${region}'s replicas`);
    return id;
  }

  /** Stops the region's experiment (if this drill started one) and resolves once it has ended. */
  async resume(region: string): Promise<void> {
    const id = this.running.get(region);
    if (!id) return;
    try {
      await this.client(region).send(new StopExperimentCommand({ id }));
    } catch (err) {
      // An experiment that already ended (its duration ran out, or a stop condition's alarm stopped it)
      // may refuse the stop: what matters is that it has ended.
      const { experiment } = await this.client(region).send(new GetExperimentCommand({ id }));
      if (!ENDED.has(stateOf(experiment).status)) throw err;
    }
    const state = await this.waitFor(region, id, (s) => ENDED.has(s));
    this.running.delete(region);
    this.options.log?.(
      `FIS experiment ${id} in ${region}: ${state.status}${state.reason ? ` (${state.reason})` : ''}`,
    );
  }

  private async waitFor(
    region: string,
    id: string,
    done: (status: string) => boolean,
  ): Promise<{ status: string; reason?: string }> {
    const timeoutMs = this.options.timeoutMs ?? 180_000;
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const { experiment } = await this.client(region).send(new GetExperimentCommand({ id }));
      const state = stateOf(experiment);
      if (done(state.status)) return state;
      if (Date.now() > deadline) {
        throw new Error(`FIS experiment ${id} in ${region} is still ${state.status} after ${timeoutMs} ms`);
      }
      await new Promise((r) => setTimeout(r, this.options.pollMs ?? 2000));
    }
  }

  destroy(): void {
    for (const c of this.clients.values()) c.destroy();
  }
}

function stateOf(experiment: Experiment | undefined): { status: string; reason?: string } {
  return {
    status: experiment?.state?.status ?? 'unknown',
    ...(experiment?.state?.reason && { reason: experiment.state.reason }),
  };
}

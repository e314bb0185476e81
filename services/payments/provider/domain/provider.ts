import { z } from 'zod';
import type { Clock } from '../../../shared/clock';
import { canonicalJson, deterministicId, sha256Hex } from '../../../shared/ids';
import { validate } from '../../../shared/http';
import {
  ChargeNotCapturableError,
  ChargeNotFoundError,
  ChargeNotRefundableError,
  IdempotencyKeyMismatchError,
} from './errors';
import { planOutcome } from './outcome';
import type {
  DeliveryScheduler,
  LedgerStore,
  ProviderDiagnostics,
  Randomness,
  WebhookDispatcher,
} from './ports';
import type {
  Charge,
  CreateChargeRequest,
  IdempotencyKeyRecord,
  KeyOperation,
  LedgerCharge,
  WebhookEvent,
} from './types';

export interface SimulatedPaymentProviderProps {
  readonly ledger: LedgerStore;
  readonly dispatcher: WebhookDispatcher;
  readonly scheduler: DeliveryScheduler;
  readonly clock: Clock;
  readonly randomness: Randomness;
  /** Probability in [0, 1] that a charge without a test token is approved. @default 1 */
  readonly approvalRate?: number;
  /** Told about webhooks that could not be delivered. @default ignore */
  readonly diagnostics?: ProviderDiagnostics;
}

const createChargeSchema = z.object({
  idempotencyKey: z.string().min(1).max(255),
  amountMinor: z.number().int().positive().max(99_999_999_99),
  currency: z.string().regex(/^[A-Z]{3}$/, 'must be an ISO 4217 code such as EUR'),
  token: z.string().min(1).max(200).optional(),
  metadata: z.record(z.string(), z.string().max(500)).and(z.object({ orderId: z.string().min(1) })),
});

const keySchema = z.string().min(1).max(255);

/**
 * A payment provider that behaves like a real one (think Stripe): a charge is created `pending` at once
 * and decided later, announced by a signed webhook; every mutating call takes an idempotency key, and a
 * key, once used, is bound forever to its first request. Its ledger, webhook delivery, clock and
 * randomness are ports, so it runs the same in a Lambda, in the local runtime and in tests.
 */
export class SimulatedPaymentProvider {
  private readonly approvalRate: number;

  constructor(private readonly props: SimulatedPaymentProviderProps) {
    this.approvalRate = props.approvalRate ?? 1;
    if (!(this.approvalRate >= 0 && this.approvalRate <= 1)) {
      throw new RangeError(`approvalRate must be within [0, 1], got ${props.approvalRate}`);
    }
  }

  /**
   * Creates a charge, or returns the one already created with this idempotency key (as it is now).
   * A new charge is returned `pending`; its outcome arrives as a webhook through the scheduler.
   * @throws IdempotencyKeyMismatchError when the key was used for a different amount, currency or token.
   */
  async createCharge(request: CreateChargeRequest): Promise<Charge> {
    const req = validate(createChargeSchema, request, 'charge request');
    const { ledger, randomness } = this.props;
    const binding = await this.bindKey(
      req.idempotencyKey,
      'create_charge',
      { amountMinor: req.amountMinor, currency: req.currency, token: req.token ?? null },
      // Derived from the key, not drawn at random: two regions' copies of the provider that both take a
      // request for one key before their tables replicate write the same charge item (same id, same planned
      // outcome), so replication converges on one charge instead of keeping two.
      () => chargeIdFor(req.idempotencyKey),
    );
    // Everything in the new charge derives from the binding and the (matching) request, so any caller
    // can insert it: a racer, or a retry after a crash between binding the key and storing the charge.
    const draft: LedgerCharge = {
      chargeId: binding.chargeId,
      idempotencyKey: req.idempotencyKey,
      amountMinor: req.amountMinor,
      currency: req.currency,
      ...(req.token !== undefined && { token: req.token }),
      metadata: req.metadata,
      status: 'pending',
      plannedOutcome: planOutcome(req.token, this.approvalRate, randomness.uniform(req.idempotencyKey)),
      createdAt: binding.createdAt,
    };
    const stored = await ledger.insertCharge(draft);
    const snapshot = publicView(stored);
    if (stored.status === 'pending' && stored.plannedOutcome.kind !== 'no_response') {
      // Scheduled on every call that finds the charge undecided: settlement is a conditional
      // transition, so however many jobs run, exactly one decides and sends the webhook.
      await this.props.scheduler.schedule(() => this.settleSafely(stored.chargeId));
    }
    return snapshot;
  }

  /**
   * Captures an authorized charge in full. Capturing a captured charge returns it unchanged.
   * @throws ChargeNotCapturableError unless the charge is authorized or captured.
   */
  async capture(chargeId: string, idempotencyKey: string): Promise<Charge> {
    await this.bindKey(
      validate(keySchema, idempotencyKey, 'idempotency key'),
      'capture',
      { chargeId },
      () => chargeId,
    );
    const charge = await this.mustGet(chargeId);
    if (charge.status === 'captured') return publicView(charge);
    if (charge.status !== 'authorized') throw new ChargeNotCapturableError(chargeId, charge.status);
    const now = this.props.clock.now();
    const updated = await this.props.ledger.updateCharge(chargeId, ['authorized'], {
      status: 'captured',
      capturedMinor: charge.amountMinor,
      capturedAt: now,
    });
    if (updated) return publicView(updated);
    return this.capture(chargeId, idempotencyKey); // lost a race: re-read and answer from the new state
  }

  /**
   * Gives the money back: refunds a captured charge, voids an authorized (or still pending) one.
   * One refund per charge: a refunded or voided charge is returned unchanged.
   * @throws ChargeNotRefundableError for a declined charge.
   */
  async refund(chargeId: string, idempotencyKey: string): Promise<Charge> {
    await this.bindKey(
      validate(keySchema, idempotencyKey, 'idempotency key'),
      'refund',
      { chargeId },
      () => chargeId,
    );
    const charge = await this.mustGet(chargeId);
    const now = this.props.clock.now();
    switch (charge.status) {
      case 'refunded':
      case 'voided':
        return publicView(charge);
      case 'declined':
        throw new ChargeNotRefundableError(chargeId, charge.status);
      case 'captured': {
        const updated = await this.props.ledger.updateCharge(chargeId, ['captured'], {
          status: 'refunded',
          refundedMinor: charge.capturedMinor ?? charge.amountMinor,
          refundedAt: now,
        });
        return updated ? publicView(updated) : this.refund(chargeId, idempotencyKey);
      }
      case 'authorized':
      case 'pending': {
        // Cancelling a pending charge stops a late authorization from holding money for an order
        // the merchant has already given up on (e.g. after the saga's payment step timed out).
        const updated = await this.props.ledger.updateCharge(chargeId, [charge.status], {
          status: 'voided',
          voidedAt: now,
        });
        return updated ? publicView(updated) : this.refund(chargeId, idempotencyKey);
      }
    }
  }

  /** The charge with this id. @throws ChargeNotFoundError */
  async getCharge(chargeId: string): Promise<Charge> {
    return publicView(await this.mustGet(chargeId));
  }

  /**
   * The charge created with this idempotency key, if any (a merchant's way to find a charge whose id it
   * never learnt, like searching by metadata on a real provider).
   */
  async findChargeByIdempotencyKey(idempotencyKey: string): Promise<Charge | undefined> {
    const binding = await this.props.ledger.getKey(idempotencyKey);
    if (!binding || binding.operation !== 'create_charge') return undefined;
    const charge = await this.props.ledger.getCharge(binding.chargeId);
    return charge && publicView(charge);
  }

  /** Binds a key to this request, or checks that its existing binding is for the same request. */
  private async bindKey(
    key: string,
    operation: KeyOperation,
    params: Record<string, unknown>,
    chargeId: () => string,
  ): Promise<IdempotencyKeyRecord> {
    const fingerprint = sha256Hex(canonicalJson({ operation, ...params }));
    const binding = await this.props.ledger.claimKey({
      key,
      operation,
      fingerprint,
      chargeId: chargeId(),
      createdAt: this.props.clock.now(),
    });
    if (binding.operation !== operation || binding.fingerprint !== fingerprint) {
      throw new IdempotencyKeyMismatchError(key);
    }
    return binding;
  }

  private async mustGet(chargeId: string): Promise<LedgerCharge> {
    const charge = await this.props.ledger.getCharge(chargeId);
    if (!charge) throw new ChargeNotFoundError(chargeId);
    return charge;
  }

  private async settleSafely(chargeId: string): Promise<void> {
    try {
      await this.settle(chargeId);
    } catch (err) {
      this.props.diagnostics?.deliveryFailed(chargeId, err);
    }
  }

  /** Decides a pending charge as planned and announces the decision by webhook. */
  private async settle(chargeId: string): Promise<void> {
    const charge = await this.props.ledger.getCharge(chargeId);
    if (!charge || charge.status !== 'pending') return;
    const plan = charge.plannedOutcome;
    if (plan.kind === 'no_response') return;
    const decided = await this.props.ledger.updateCharge(chargeId, ['pending'], {
      status: plan.kind === 'approve' ? 'authorized' : 'declined',
      ...(plan.kind === 'decline' && { declineCode: plan.code }),
      decidedAt: this.props.clock.now(),
      decisionEventId: decisionEventIdFor(chargeId),
    });
    if (!decided) return; // another job decided it (and sent the webhook), or it was voided first
    await this.props.dispatcher.dispatch(decisionEvent(decided));
  }
}

/** The id of the charge created with `idempotencyKey`: a pure function of the key, the same in every region. */
export function chargeIdFor(idempotencyKey: string): string {
  return deterministicId('ch_', idempotencyKey);
}

/** The id of the webhook announcing a charge's decision: one decision per charge, so one id per charge. */
export function decisionEventIdFor(chargeId: string): string {
  return deterministicId('evt_', chargeId, 'decision');
}

/** The webhook announcing a decided charge's outcome. */
export function decisionEvent(charge: LedgerCharge): WebhookEvent {
  if (!charge.decisionEventId || charge.decidedAt === undefined) {
    throw new Error(`charge ${charge.chargeId} has not been decided`);
  }
  return {
    id: charge.decisionEventId,
    type: charge.declineCode ? 'charge.declined' : 'charge.authorized',
    created: Math.floor(charge.decidedAt / 1000),
    data: {
      chargeId: charge.chargeId,
      orderId: charge.metadata.orderId,
      amountMinor: charge.amountMinor,
      currency: charge.currency,
      ...(charge.declineCode && { declineCode: charge.declineCode }),
    },
  };
}

function publicView(charge: LedgerCharge): Charge {
  // eslint-disable-next-line @typescript-eslint/no-unused-vars
  const { plannedOutcome, decisionEventId, ...view } = charge;
  return view;
}

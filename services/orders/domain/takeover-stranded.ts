import type { Clock } from '../../shared/clock';
import type { EventPublisher } from '../../shared/events';
import { TAKEOVER_REASON, TAKEOVER_STATUSES } from '../../shared/saga';
import { orderTakenOver } from './order-events';
import type { OrderRepository, RegionHealth, TakeoverStore } from './ports';

export interface TakeoverStrandedDeps {
  readonly orders: OrderRepository;
  readonly takeovers: TakeoverStore;
  readonly health: RegionHealth;
  readonly publisher: EventPublisher;
  readonly clock: Clock;
  /** This region. */
  readonly region: string;
  /** Every region of the environment, in configuration order (the order picks the one survivor that acts). */
  readonly regions: readonly string[];
  /** How long a home region must have been unavailable, and its orders untouched, before a takeover. */
  readonly graceMs: number;
  /** Orders taken over per peer and run, at most. @default 100 */
  readonly batchSize?: number;
}

/** What one run saw and did about one peer region. */
export type PeerOutcome =
  | { readonly region: string; readonly state: 'healthy' | 'unknown' }
  | { readonly region: string; readonly state: 'watching'; readonly unhealthySince: string }
  | {
      readonly region: string;
      readonly state: 'deferred';
      readonly unhealthySince: string;
      /** The survivor that acts instead of this region, if any is healthy. */
      readonly actor?: string;
    }
  | {
      readonly region: string;
      readonly state: 'taking-over';
      readonly unhealthySince: string;
      readonly takenOver: readonly string[];
      /** Candidates skipped on re-read: terminal, cancelling, SHIPPED, updated since, or already marked. */
      readonly skipped: number;
    };

/**
 * Takes over the stranded orders of an unavailable home region (docs/decisions/007, option 3). Run on a
 * schedule in every region. For each peer, it keeps a watch item while the peer's Route 53 health check
 * fails. Once the peer has failed for the whole grace period, the first healthy region of the
 * environment (the same answer in every survivor that sees the same health) writes a takeover marker for
 * each of the peer's orders that is still cancellable and untouched for the grace period, and publishes
 * OrderTakenOver. The survivor never reserves and never charges: the home region, when it returns, sees
 * the marker at its saga's next step and undoes what it did.
 */
export class TakeoverStranded {
  constructor(private readonly deps: TakeoverStrandedDeps) {}

  async execute(): Promise<PeerOutcome[]> {
    const { deps } = this;
    const peers = deps.regions.filter((r) => r !== deps.region);
    if (peers.length === 0) return [];
    const health = await deps.health.check(deps.regions);
    const outcomes: PeerOutcome[] = [];
    for (const home of peers) {
      const healthy = health.get(home);
      if (healthy === undefined) {
        // Unknown is neither: keep the watch as it is, decide nothing.
        outcomes.push({ region: home, state: 'unknown' });
        continue;
      }
      if (healthy) {
        await deps.takeovers.endWatch(deps.region, home);
        outcomes.push({ region: home, state: 'healthy' });
        continue;
      }
      const now = deps.clock.now();
      const { unhealthySince } = await deps.takeovers.startWatch(
        deps.region,
        home,
        new Date(now).toISOString(),
      );
      if (now - Date.parse(unhealthySince) < deps.graceMs) {
        outcomes.push({ region: home, state: 'watching', unhealthySince });
        continue;
      }
      const actor = deps.regions.find((r) => r !== home && health.get(r) === true);
      if (actor !== deps.region) {
        outcomes.push({ region: home, state: 'deferred', unhealthySince, ...(actor ? { actor } : {}) });
        continue;
      }
      outcomes.push(await this.takeOver(home, unhealthySince, now));
    }
    return outcomes;
  }

  private async takeOver(home: string, unhealthySince: string, now: number): Promise<PeerOutcome> {
    const { deps } = this;
    const before = new Date(now - deps.graceMs).toISOString();
    const limit = deps.batchSize ?? 100;
    const takenOver: string[] = [];
    let skipped = 0;
    let cursor: string | undefined;
    // Orders already taken over stay in the index until their home returns: page past them.
    do {
      const page = await deps.orders.listStale(home, before, limit, cursor);
      cursor = page.nextCursor;
      for (const candidate of page.items) {
        if (takenOver.length >= limit)
          return { region: home, state: 'taking-over', unhealthySince, takenOver, skipped };
        const outcome = await this.takeOverOne(candidate.orderId, home, before, unhealthySince, now);
        if (outcome === 'taken-over') takenOver.push(candidate.orderId);
        else if (outcome === 'skipped') skipped++;
      }
    } while (cursor !== undefined);
    return { region: home, state: 'taking-over', unhealthySince, takenOver, skipped };
  }

  /** Marks one order and publishes OrderTakenOver once; 'done' when that already happened. */
  private async takeOverOne(
    orderId: string,
    home: string,
    before: string,
    unhealthySince: string,
    now: number,
  ): Promise<'taken-over' | 'done' | 'skipped'> {
    const { deps } = this;
    // The index is eventually consistent: decide on a strongly consistent read of order and marker.
    const { order, takeover: existing } = await deps.orders.getWithTakeover(orderId);
    if (existing?.publishedAt !== undefined) return 'done';
    const eligible =
      order !== undefined &&
      order.ownerRegion === home &&
      TAKEOVER_STATUSES.includes(order.status) &&
      order.updatedAt < before;
    if (!order || !eligible || (existing && existing.takenOverBy !== deps.region)) return 'skipped';
    const at = new Date(now);
    const { takeover } = existing
      ? { takeover: existing }
      : await deps.takeovers.create({
          orderId: order.orderId,
          customerId: order.customerId,
          homeRegion: home,
          takenOverBy: deps.region,
          takenOverAt: at.toISOString(),
          statusAtTakeover: order.status,
          reason: TAKEOVER_REASON,
          homeUnhealthySince: unhealthySince,
        });
    if (takeover.takenOverBy !== deps.region) return 'skipped';
    // A marker written by an earlier run that crashed before publishing is published now; the event id
    // is per order, so consumers drop a repeat.
    await deps.publisher.publish([orderTakenOver(takeover, order.correlationId, deps.region, at)]);
    await deps.takeovers.markPublished(order.orderId, deps.region, at.toISOString());
    return 'taken-over';
  }
}

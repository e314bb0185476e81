import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { DynamoOrderRepository } from '../../../services/orders/adapters/dynamo-order-repository';
import type { Takeover } from '../../../services/orders/domain/order';
import type { PeerOrders, PeerReplica } from '../../../services/orders/domain/ports';
import { SetOrderStatus, type PeerCheck } from '../../../services/orders/domain/set-order-status';
import { ManualClock } from '../../../services/shared/clock';
import { SAGA_ERRORS, TAKEOVER_REASON } from '../../../services/shared/saga';
import { createTables, testDocumentClient } from '../../support/dynamo';
import { HOME, OTHER, buildApp, placeOrder, type TestTables } from './support/app';
import { RecordingPublisher } from './support/fakes';

const START = Date.UTC(2026, 0, 1);
const SETTLE_MS = 4_000;
const POLL_MS = 100;

/** What the scripted peer answers (its region is always OTHER). */
type Answer =
  | { readonly reachable: true; readonly ownerRegion?: string; readonly takeover?: Takeover }
  | { readonly reachable: false };

/** A peer replica whose answers the test scripts read by read; the last answer repeats. */
class ScriptedPeer implements PeerOrders {
  reads = 0;
  constructor(
    private readonly answers: readonly Answer[],
    /** Runs before the given read (1-based), e.g. to let replication change this region's replica. */
    private readonly before: Record<number, () => Promise<void>> = {},
  ) {}
  async read(): Promise<PeerReplica[]> {
    this.reads++;
    await this.before[this.reads]?.();
    const answer = this.answers[Math.min(this.reads, this.answers.length) - 1]!;
    return [{ region: OTHER, ...answer }];
  }
}

const ours = { reachable: true, ownerRegion: HOME } as const;
const theirs = { reachable: true, ownerRegion: OTHER } as const;
const lacking = { reachable: true } as const;

describe('the ownership gate on the first move out of PENDING (one Idempotency-Key in two regions, docs/decisions/003)', () => {
  const client = testDocumentClient();
  let tables: TestTables;
  let clock: ManualClock;
  let unconfirmed: [string, readonly string[]][];

  beforeEach(async () => {
    const t = await createTables(['orders', 'processed-events']);
    tables = { orders: t.orders, processed: t['processed-events'] };
    clock = new ManualClock(START);
    unconfirmed = [];
  });

  const order = () => placeOrder(buildApp(client, tables, { region: HOME, clock: new ManualClock(START) }));
  const statusOf = async (orderId: string) =>
    (await new DynamoOrderRepository(client, tables.orders).get(orderId))?.status;
  const step = (peer: PeerOrders, overrides: Partial<PeerCheck> = {}) =>
    new SetOrderStatus({
      orders: new DynamoOrderRepository(client, tables.orders),
      publisher: new RecordingPublisher(),
      clock,
      region: HOME,
      peers: {
        replicas: peer,
        staleAfterMs: 12 * 60_000,
        settleTimeoutMs: SETTLE_MS,
        pollMs: POLL_MS,
        sleep: async (ms) => clock.advance(ms),
        onUnconfirmed: (orderId, peers) => unconfirmed.push([orderId, peers]),
        ...overrides,
      },
    });
  /** Replication delivers the rival's later write: this region's replica now says the peer owns the order. */
  const rivalWins = (orderId: string) => async () => {
    await client.send(
      new UpdateCommand({
        TableName: tables.orders,
        Key: { pk: `ORDER#${orderId}`, sk: 'ORDER' },
        UpdateExpression: 'SET ownerRegion = :other',
        ExpressionAttributeValues: { ':other': OTHER },
      }),
    );
  };

  it('moves to RESERVED at once when every peer replica already holds the order as this region’s', async () => {
    const orderId = await order();
    const peer = new ScriptedPeer([ours]);

    await expect(step(peer).execute({ orderId, status: 'RESERVED' })).resolves.toEqual({
      orderId,
      status: 'RESERVED',
    });

    expect(peer.reads).toBe(1);
    expect(clock.now()).toBe(START);
  });

  it('waits for a peer that has not received the order yet, then moves on', async () => {
    const orderId = await order();
    const peer = new ScriptedPeer([lacking, lacking, ours]);

    await step(peer).execute({ orderId, status: 'RESERVED' });

    expect(peer.reads).toBe(3);
    expect(clock.now()).toBe(START + 2 * POLL_MS);
    expect(await statusOf(orderId)).toBe('RESERVED');
    expect(unconfirmed).toEqual([]);
  });

  it('stands down without writing when replication settles a rival’s claim against this region', async () => {
    const orderId = await order();
    // The peer created the same order as its own; its later write reaches this replica while we wait.
    const peer = new ScriptedPeer([theirs], { 2: rivalWins(orderId) });

    await expect(step(peer).execute({ orderId, status: 'RESERVED' })).rejects.toMatchObject({
      name: SAGA_ERRORS.orderHomedElsewhere,
    });

    expect(await statusOf(orderId)).toBe('PENDING');
  });

  it('moves on once the rival’s replica turns to this region (our write won there)', async () => {
    const orderId = await order();
    const peer = new ScriptedPeer([theirs, theirs, ours]);

    await step(peer).execute({ orderId, status: 'RESERVED' });

    expect(peer.reads).toBe(3);
    expect(await statusOf(orderId)).toBe('RESERVED');
  });

  it('fails as OrderOwnershipUnsettledError, writing nothing, while a rival still holds the order at the timeout', async () => {
    const orderId = await order();
    const peer = new ScriptedPeer([theirs]);

    await expect(step(peer).execute({ orderId, status: 'RESERVED' })).rejects.toMatchObject({
      name: 'OrderOwnershipUnsettledError',
      message: expect.stringContaining(OTHER),
    });

    expect(clock.now()).toBeGreaterThanOrEqual(START + SETTLE_MS);
    expect(await statusOf(orderId)).toBe('PENDING');
  });

  it('moves on after the timeout when replication to a peer is stalled, and reports it', async () => {
    const orderId = await order();
    const peer = new ScriptedPeer([lacking]);

    await step(peer).execute({ orderId, status: 'RESERVED' });

    expect(clock.now()).toBe(START + SETTLE_MS);
    expect(peer.reads).toBe(SETTLE_MS / POLL_MS + 1);
    expect(unconfirmed).toEqual([[orderId, [OTHER]]]);
    expect(await statusOf(orderId)).toBe('RESERVED');
  });

  it('is not held up by a peer that cannot be asked (a region outage)', async () => {
    const orderId = await order();
    const peer = new ScriptedPeer([{ reachable: false }]);

    await step(peer).execute({ orderId, status: 'RESERVED' });

    expect(peer.reads).toBe(1);
    expect(await statusOf(orderId)).toBe('RESERVED');
  });

  it("refuses RESERVED on a peer's takeover marker", async () => {
    const orderId = await order();
    const takeover: Takeover = {
      orderId,
      customerId: 'CUST-1',
      homeRegion: HOME,
      takenOverBy: OTHER,
      takenOverAt: new Date(START).toISOString(),
      statusAtTakeover: 'PENDING',
      reason: TAKEOVER_REASON,
      homeUnhealthySince: new Date(START).toISOString(),
    };
    const peer = new ScriptedPeer([{ ...ours, takeover }]);

    await expect(step(peer).execute({ orderId, status: 'RESERVED' })).rejects.toMatchObject({
      name: SAGA_ERRORS.orderTakenOver,
    });
    expect(await statusOf(orderId)).toBe('PENDING');
  });

  it('gates FAILED straight from PENDING too: a region whose replica is behind stands down instead of overwriting', async () => {
    const orderId = await order();
    // Back from an outage: the peer placed the same order again and its newer copy is still on its way here.
    const peer = new ScriptedPeer([theirs], { 2: rivalWins(orderId) });

    await expect(
      step(peer).execute({ orderId, status: 'FAILED', reason: SAGA_ERRORS.outOfStock }),
    ).rejects.toMatchObject({ name: SAGA_ERRORS.orderHomedElsewhere });

    expect(await statusOf(orderId)).toBe('PENDING');
  });

  it('moves FAILED straight from PENDING once the peers agree', async () => {
    const orderId = await order();
    const peer = new ScriptedPeer([lacking, ours]);

    await step(peer).execute({ orderId, status: 'FAILED', reason: SAGA_ERRORS.outOfStock });

    expect(peer.reads).toBe(2);
    expect(await statusOf(orderId)).toBe('FAILED');
  });

  it('does not read the peers on the later moves of a fresh order', async () => {
    const orderId = await order();
    const peer = new ScriptedPeer([ours]);
    await step(peer).execute({ orderId, status: 'RESERVED' });

    await step(peer).execute({ orderId, status: 'PAID' });

    expect(peer.reads).toBe(1);
  });
});

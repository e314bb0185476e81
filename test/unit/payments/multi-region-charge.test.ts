import { ScanCommand } from '@aws-sdk/lib-dynamodb';
import { lambdaContext } from '../../../services/shared/lambda';
import { ManualClock } from '../../../services/shared/clock';
import { SimulatedPaymentProvider } from '../../../services/payments/provider/domain/provider';
import { seededRandomness } from '../../../services/payments/provider/domain/randomness';
import { ManualScheduler, MemoryLedgerStore, RecordingDispatcher } from './support/fakes';
import { paymentTables, paymentsHarness } from './support/harness';
import { sagaOrder, stepInput } from './support/orders';

const ctx = lambdaContext('payments-authorize');

/**
 * Two regions that both take one order id before their tables replicate: each has its own replica (here,
 * its own tables) and its own copy of the simulated provider. Their writes must converge on one charge.
 */
describe('one order authorized in two regions before replication', () => {
  let east: Awaited<ReturnType<typeof paymentTables>>;
  let west: Awaited<ReturnType<typeof paymentTables>>;
  beforeAll(async () => {
    east = await paymentTables();
    west = await paymentTables();
  });

  async function chargeItems(h: ReturnType<typeof paymentsHarness>, table: string, orderId: string) {
    const result = await h.client.send(new ScanCommand({ TableName: table, ConsistentRead: true }));
    return (result.Items ?? []).filter(
      (i) => String(i.pk).startsWith('CHARGE#') && i.idempotencyKey === orderId,
    );
  }

  it('creates the same charge item (same id, same outcome) in both regions', async () => {
    // Arrange: same provider seed and approval rate in both regions, as one deployment configures them.
    const inEast = paymentsHarness({ tables: east, region: 'us-east-1', seed: 'drill', approvalRate: 0.5 });
    const inWest = paymentsHarness({ tables: west, region: 'eu-west-1', seed: 'drill', approvalRate: 0.5 });
    // Fixed ids (fresh tables per file): the draws are a function of seed and id, so the mix is fixed too.
    const orders = Array.from({ length: 12 }, (_, i) =>
      sagaOrder({ orderId: `ord_two_regions_${i}`, paymentToken: undefined }),
    );

    // Act: each region runs the payment step for every order (as its home), before any replication.
    for (const order of orders) {
      await inEast.authorize(stepInput({ ...order, homeRegion: 'us-east-1' }, { taskToken: 'east' }), ctx);
      await inWest.authorize(stepInput({ ...order, homeRegion: 'eu-west-1' }, { taskToken: 'west' }), ctx);
    }
    await (inEast.scheduler as ManualScheduler).runAll();
    await (inWest.scheduler as ManualScheduler).runAll();

    // Assert: per order, one charge id and one decision — the items are copies of one charge.
    const outcomes = new Set<string>();
    for (const order of orders) {
      const [eastItem] = await chargeItems(inEast, east.payments, order.orderId);
      const [westItem] = await chargeItems(inWest, west.payments, order.orderId);
      expect(eastItem?.pk).toBeDefined();
      expect(westItem?.pk).toBe(eastItem?.pk);
      expect(westItem?.status).toBe(eastItem?.status);
      expect(westItem?.plannedOutcome).toEqual(eastItem?.plannedOutcome);
      expect(westItem?.decisionEventId).toBe(eastItem?.decisionEventId);
      expect((await inWest.repository.get(order.orderId))?.chargeId).toBe(
        (await inEast.repository.get(order.orderId))?.chargeId,
      );
      outcomes.add(String(eastItem?.status));
    }
    // The rate really drew: both outcomes occur, and still the regions agree on each one.
    expect(outcomes).toEqual(new Set(['authorized', 'declined']));
    expect(inWest.delivered.map((e) => e.id)).toEqual(inEast.delivered.map((e) => e.id));
  });

  it('derives the charge id from the idempotency key alone, whichever provider copy answers', async () => {
    const providers = ['a', 'b'].map(
      () =>
        new SimulatedPaymentProvider({
          ledger: new MemoryLedgerStore(),
          dispatcher: new RecordingDispatcher(),
          scheduler: new ManualScheduler(),
          clock: new ManualClock(),
          randomness: seededRandomness('same-seed'),
        }),
    );
    const request = (key: string) => ({
      idempotencyKey: key,
      amountMinor: 1000,
      currency: 'EUR',
      metadata: { orderId: key },
    });

    const [first, second] = await Promise.all(providers.map((p) => p.createCharge(request('ord_same'))));
    const other = await providers[0]?.createCharge(request('ord_other'));

    expect(first?.chargeId).toMatch(/^ch_[0-9A-Z]{26}$/);
    expect(second?.chargeId).toBe(first?.chargeId);
    expect(other?.chargeId).not.toBe(first?.chargeId);
  });
});

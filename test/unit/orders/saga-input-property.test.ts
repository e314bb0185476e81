import { ManualClock } from '../../../services/shared/clock';
import { ValidationError } from '../../../services/shared/errors';
import { sagaInputSchema } from '../../../services/shared/saga';
import { PlaceOrder } from '../../../services/orders/domain/place-order';
import type { Order, OrderRequest } from '../../../services/orders/domain/order';
import type {
  IdempotencyRecord,
  IdempotencyStore,
  OrderRepository,
} from '../../../services/orders/domain/ports';
import { createTables, testDocumentClient } from '../../support/dynamo';
import { FakeSagaStarter, RecordingPublisher } from './support/fakes';
import { bodyOf, buildApp, createOrderEvent, errorOf, type TestApp } from './support/app';

/** Unit prices at and around every edge of the rules: zero, one hundredth, 2 decimals, the maximum. */
const BOUNDARY_PRICES = [
  0,
  -0,
  -0.01,
  Number.MIN_VALUE,
  1e-20,
  1e-17,
  Number.EPSILON,
  1e-9,
  0.001,
  0.004,
  0.0049999999,
  0.005,
  0.0050000001,
  0.009,
  0.0099999999,
  0.01,
  0.01 + Number.EPSILON,
  0.011,
  0.015,
  0.02,
  0.1 + 0.2,
  0.29,
  1.005,
  1.01,
  19.99,
  19.999,
  999_999.99,
  999_999.995,
  1_000_000,
  1_000_000 + 1e-9,
  1_000_000.01,
];
const QUANTITIES = [1, 2, 999, 1000];
const CURRENCIES = ['EUR', 'JPY'] as const;

/** A small seeded generator (mulberry32), so the random part is the same on every run. */
function seeded(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Prices near a whole number of hundredths, nudged by amounts from a float ulp to half a hundredth. */
function randomPrices(count: number): number[] {
  const random = seeded(20260101);
  const nudges = [0, 0, 1e-15, -1e-15, 1e-12, 1e-9, -1e-9, 0.001, 0.005, -0.004];
  return Array.from({ length: count }, () => {
    const cents = random() < 0.5 ? Math.floor(random() * 3) : Math.floor(random() * 100_000_001);
    return cents / 100 + (nudges[Math.floor(random() * nudges.length)] as number);
  });
}

describe('every accepted order makes a saga input the state machine accepts', () => {
  const client = testDocumentClient();
  let app: TestApp;

  beforeAll(async () => {
    const tables = await createTables(['orders', 'processed-events']);
    app = buildApp(client, { orders: tables.orders, processed: tables['processed-events'] });
  });

  /** Posts `body`; a 201 must yield a parseable saga input, anything else must be a clean 400. */
  async function check(body: {
    currency: string;
    lines: { productId: string; quantity: number; unitPrice: number }[];
  }) {
    const res = await app.api(createOrderEvent({ customerId: 'CUST-1', ...body }));
    if (res.statusCode !== 201) {
      // Everything but the prices is valid here, so a rejection must be about a price and nothing else.
      expect(res.statusCode).toBe(400);
      const paths = errorOf(res).fields.map((f) => f.path);
      expect(paths.length).toBeGreaterThan(0);
      for (const path of paths) expect(path).toMatch(/^lines\.\d+\.unitPrice$/);
      return 'rejected' as const;
    }
    const orderId = String(bodyOf(res).orderId);
    const input = app.saga.executions.get(orderId);
    const parsed = sagaInputSchema.safeParse(input);
    expect(parsed.error?.issues ?? []).toEqual([]);
    const order = parsed.data!.order;
    expect(order.totalMinor).toBe(order.lines.reduce((sum, l) => sum + l.quantity * l.unitPriceMinor, 0));
    // An accepted price is carried as sent, up to the binary-rounding tolerance of the 2-decimal rule
    // (relative to the amount), never rounded to a materially different amount.
    order.lines.forEach((l, i) => {
      const sent = body.lines[i]!.unitPrice;
      expect(Math.abs(l.unitPriceMinor / 100 - sent)).toBeLessThanOrEqual(sent * 1e-13);
    });
    return 'accepted' as const;
  }

  it('over boundary prices × quantities × currencies', async () => {
    const outcomes = new Map<number, Set<string>>();
    for (const unitPrice of BOUNDARY_PRICES) {
      for (const quantity of QUANTITIES) {
        for (const currency of CURRENCIES) {
          const outcome = await check({
            currency,
            lines: [{ productId: 'PROD-1', quantity, unitPrice }],
          });
          outcomes.set(unitPrice, (outcomes.get(unitPrice) ?? new Set()).add(`${currency}:${outcome}`));
        }
      }
    }

    // The edges fall where the rules say: nothing below one hundredth, nothing above the maximum.
    for (const below of [0, Number.MIN_VALUE, 1e-20, 1e-17, 1e-9, 0.004, 0.009]) {
      expect([...(outcomes.get(below) ?? [])]).toEqual(['EUR:rejected', 'JPY:rejected']);
    }
    expect(outcomes.get(0.01)).toEqual(new Set(['EUR:accepted', 'JPY:rejected']));
    expect(outcomes.get(1_000_000)).toEqual(new Set(['EUR:accepted', 'JPY:accepted']));
    expect(outcomes.get(1_000_000.01)).toEqual(new Set(['EUR:rejected', 'JPY:rejected']));
  });

  it('over seeded prices near whole hundredths', async () => {
    let accepted = 0;
    for (const unitPrice of randomPrices(150)) {
      if (
        (await check({ currency: 'USD', lines: [{ productId: 'PROD-7', quantity: 3, unitPrice }] })) ===
        'accepted'
      ) {
        accepted++;
      }
    }
    // Both sides of the rule were exercised.
    expect(accepted).toBeGreaterThan(10);
    expect(accepted).toBeLessThan(150);
  });

  it('over the largest order: 50 lines of 1000 units at the maximum price', async () => {
    const lines = Array.from({ length: 50 }, (_, i) => ({
      productId: `PROD-${i + 1}`,
      quantity: 1000,
      unitPrice: 1_000_000,
    }));

    expect(await check({ currency: 'EUR', lines })).toBe('accepted');
  });
});

describe('PlaceOrder refuses an order the saga would reject, before writing anything', () => {
  it('names the line whose price rounds to zero hundredths and claims no key', async () => {
    // Arrange: a request that bypassed the API schema.
    const claims: IdempotencyRecord[] = [];
    const created: Order[] = [];
    const idempotency: IdempotencyStore = {
      claim: async (record) => {
        claims.push(record);
        return { claimed: true };
      },
    };
    const orders: OrderRepository = {
      create: async (order) => {
        created.push(order);
        return { created: true, order };
      },
      get: async () => undefined,
      getWithTakeover: async () => ({}),
      listStale: async () => ({ items: [] }),
      listByCustomer: async () => ({ items: [] }),
      changeStatus: async () => undefined,
    };
    const saga = new FakeSagaStarter();
    const publisher = new RecordingPublisher();
    const place = new PlaceOrder({
      idempotency,
      orders,
      publisher,
      saga,
      clock: new ManualClock(),
      region: 'us-east-1',
      idempotencyTtlSeconds: 60,
    });
    const request: OrderRequest = {
      customerId: 'CUST-1',
      currency: 'EUR',
      lines: [
        { productId: 'PROD-1', quantity: 1, unitPrice: 5 },
        { productId: 'PROD-2', quantity: 2, unitPrice: 1e-9 },
      ],
    };

    // Act
    const error = await place
      .execute({ idempotencyKey: 'k', request, correlationId: 'c' })
      .catch((e: unknown) => e);

    // Assert
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as ValidationError).fields?.map((f) => f.path)).toContain('lines.1.unitPrice');
    expect(claims).toEqual([]);
    expect(created).toEqual([]);
    expect(saga.calls).toBe(0);
    expect(publisher.published).toEqual([]);
  });
});

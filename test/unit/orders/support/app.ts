import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { ScanCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { DynamoProcessedEventStore } from '../../../../services/shared/adapters/dynamo-processed-events';
import { ManualClock } from '../../../../services/shared/clock';
import type { ErrorBody } from '../../../../services/shared/http';
import { observability } from '../../../../services/shared/observability';
import { DynamoIdempotencyStore } from '../../../../services/orders/adapters/dynamo-idempotency-store';
import { DynamoOrderRepository } from '../../../../services/orders/adapters/dynamo-order-repository';
import { DynamoTakeoverStore } from '../../../../services/orders/adapters/dynamo-takeover-store';
import { CancelOrder } from '../../../../services/orders/domain/cancel-order';
import { CheckHealth } from '../../../../services/orders/domain/check-health';
import { PlaceOrder } from '../../../../services/orders/domain/place-order';
import type {
  HealthProbe,
  IdempotencyStore,
  OrderRepository,
} from '../../../../services/orders/domain/ports';
import { GetOrder, ListOrders } from '../../../../services/orders/domain/queries';
import { SetOrderStatus } from '../../../../services/orders/domain/set-order-status';
import { buildApiHandler } from '../../../../services/orders/handlers/api';
import { buildEventsHandler } from '../../../../services/orders/handlers/events';
import { buildSetOrderStatusHandler } from '../../../../services/orders/handlers/set-order-status';
import { FakeProbe, FakeSagaStarter, RecordingPublisher } from './fakes';

export const HOME = 'us-east-1';
export const OTHER = 'eu-west-1';

export interface TestTables {
  readonly orders: string;
  readonly processed: string;
}

export interface AppOptions {
  readonly region?: string;
  readonly clock?: ManualClock;
  readonly probes?: readonly HealthProbe[];
  readonly healthTimeoutMs?: number;
  /** Wraps the real repository, e.g. to inject a crash or a race. */
  readonly wrapOrders?: (real: OrderRepository) => OrderRepository;
  readonly wrapIdempotency?: (real: IdempotencyStore) => IdempotencyStore;
  readonly idempotencyTtlSeconds?: number;
}

/** The orders service wired as main.ts wires it, on dynalite tables, with fakes for the bus and SFN. */
export function buildApp(client: DynamoDBDocumentClient, tables: TestTables, opts: AppOptions = {}) {
  const region = opts.region ?? HOME;
  const clock = opts.clock ?? new ManualClock(Date.UTC(2026, 0, 1));
  const publisher = new RecordingPublisher();
  const saga = new FakeSagaStarter();
  const realOrders = new DynamoOrderRepository(client, tables.orders);
  const orders = opts.wrapOrders ? opts.wrapOrders(realOrders) : realOrders;
  const realIdempotency = new DynamoIdempotencyStore(client, tables.orders);
  const idempotency = opts.wrapIdempotency ? opts.wrapIdempotency(realIdempotency) : realIdempotency;
  const { logger, metrics } = observability('orders-test');
  const cancelOrder = new CancelOrder({ orders, publisher, clock, region });
  const api = buildApiHandler({
    placeOrder: new PlaceOrder({
      idempotency,
      orders,
      publisher,
      saga,
      clock,
      region,
      idempotencyTtlSeconds: opts.idempotencyTtlSeconds ?? 86_400,
    }),
    getOrder: new GetOrder(orders),
    listOrders: new ListOrders(orders, new DynamoTakeoverStore(client, tables.orders)),
    cancelOrder,
    checkHealth: new CheckHealth({
      probes: opts.probes ?? [
        new FakeProbe('table', 'ok'),
        new FakeProbe('bus', 'ok'),
        new FakeProbe('stateMachine', 'ok'),
      ],
      region,
      timeoutMs: opts.healthTimeoutMs ?? 1_500,
    }),
    logger,
    metrics,
  });
  const setStatus = buildSetOrderStatusHandler({
    setOrderStatus: new SetOrderStatus({ orders, publisher, clock, region }),
    logger,
    metrics,
  });
  const events = buildEventsHandler({
    cancelOrder,
    processed: new DynamoProcessedEventStore(client, tables.processed, region),
    logger,
    metrics,
  });
  return { api, setStatus, events, publisher, saga, clock, region, repository: realOrders };
}

export type TestApp = ReturnType<typeof buildApp>;

const ROUTES: readonly [RegExp, string][] = [
  [/^\/orders$/, '/orders'],
  [/^\/orders\/([^/]+)$/, '/orders/{id}'],
  [/^\/orders\/([^/]+)\/cancel$/, '/orders/{id}/cancel'],
  [/^\/health$/, '/health'],
];

export interface RequestOptions {
  readonly headers?: Record<string, string>;
  readonly body?: unknown;
  /** The raw body as sent; overrides `body`. */
  readonly rawBody?: string | null;
  readonly isBase64Encoded?: boolean;
  readonly query?: Record<string, string>;
  /** Send as a greedy `{proxy+}` integration (routing on the path) instead of a resource integration. */
  readonly proxy?: boolean;
}

/** An API Gateway REST proxy event as API Gateway builds it for `method path`. */
export function apiEvent(method: string, path: string, opts: RequestOptions = {}): APIGatewayProxyEvent {
  let resource = '/{proxy+}';
  let pathParameters: Record<string, string> | null = { proxy: path.slice(1) };
  if (!opts.proxy) {
    const hit = ROUTES.find(([re]) => re.test(path));
    resource = hit ? hit[1] : path;
    const id = hit?.[0].exec(path)?.[1];
    pathParameters = id !== undefined ? { id: decodeURIComponent(id) } : null;
  }
  const hasJson = opts.body !== undefined && opts.rawBody === undefined;
  const body = opts.rawBody !== undefined ? opts.rawBody : hasJson ? JSON.stringify(opts.body) : null;
  return {
    resource,
    path,
    httpMethod: method,
    headers: { ...(hasJson ? { 'Content-Type': 'application/json' } : {}), ...opts.headers },
    multiValueHeaders: {},
    queryStringParameters: opts.query ?? null,
    multiValueQueryStringParameters: null,
    pathParameters,
    stageVariables: null,
    requestContext: {} as APIGatewayProxyEvent['requestContext'],
    body,
    isBase64Encoded: opts.isBase64Encoded ?? false,
  };
}

/** A valid POST /orders body; override any part. */
export function orderBody(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    customerId: 'CUST-1',
    currency: 'EUR',
    lines: [
      { productId: 'PROD-1', quantity: 2, unitPrice: 19.99 },
      { productId: 'PROD-2', quantity: 1, unitPrice: 5 },
    ],
    ...overrides,
  };
}

let keyCounter = 0;
/** A fresh Idempotency-Key. */
export function newKey(): string {
  keyCounter += 1;
  return `key-${process.pid}-${Date.now()}-${keyCounter}`;
}

/** POST /orders with a fresh (or given) Idempotency-Key. */
export function createOrderEvent(
  body: unknown = orderBody(),
  key: string = newKey(),
  headers: Record<string, string> = {},
) {
  return apiEvent('POST', '/orders', { body, headers: { 'Idempotency-Key': key, ...headers } });
}

/** Parses a JSON response body. */
export function bodyOf<T = Record<string, unknown>>(res: APIGatewayProxyResult): T {
  return JSON.parse(res.body) as T;
}

/** The error of an error response. */
export function errorOf(res: APIGatewayProxyResult): ErrorBody['error'] {
  return bodyOf<ErrorBody>(res).error;
}

/** Paths of the field errors of an error response. */
export function fieldPaths(res: APIGatewayProxyResult): string[] {
  return errorOf(res).fields.map((f) => f.path);
}

/** Places an order through the API and returns its id. */
export async function placeOrder(app: TestApp, body: unknown = orderBody()): Promise<string> {
  const res = await app.api(createOrderEvent(body));
  if (res.statusCode !== 201) throw new Error(`placing an order failed: ${res.statusCode} ${res.body}`);
  return bodyOf<{ orderId: string }>(res).orderId;
}

/** Every item of the orders table whose pk starts with `prefix`. */
export async function scanItems(client: DynamoDBDocumentClient, table: string, prefix: string) {
  const out = await client.send(
    new ScanCommand({
      TableName: table,
      FilterExpression: 'begins_with(pk, :p)',
      ExpressionAttributeValues: { ':p': prefix },
      ConsistentRead: true,
    }),
  );
  return out.Items ?? [];
}

import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { instrumented, lambdaContext } from '../../../services/shared/lambda';
import { MAX_BODY_BYTES } from '../../../services/shared/http';
import { observability } from '../../../services/shared/observability';
import { ReserveStock, CommitStock } from '../../../services/inventory/domain/reservations';
import { GetStock, SetStockLevel } from '../../../services/inventory/domain/stock-levels';
import { buildApiHandler, requestCorrelationId } from '../../../services/inventory/handlers/api';
import { createTables, testDocumentClient } from '../../support/dynamo';
import { freshSku, inventoryDeps, order, putAllocation } from './support';

const REGION = 'eu-west-1';
const client = testDocumentClient();
const { logger, metrics } = observability('inventory-test');
let table: string;

beforeAll(async () => {
  table = (await createTables(['inventory'])).inventory;
});

function setup(region = REGION) {
  const deps = inventoryDeps(client, table, region);
  const handler = buildApiHandler({
    setStockLevel: new SetStockLevel(deps),
    getStock: new GetStock(deps),
    logger,
    metrics,
  });
  return {
    deps,
    call: (event: Partial<APIGatewayProxyEvent>) => handler(apiEvent(event), lambdaContext('inventory-api')),
  };
}

function apiEvent(e: Partial<APIGatewayProxyEvent>): APIGatewayProxyEvent {
  return {
    resource: '/inventory/{sku}',
    path: '/inventory/x',
    httpMethod: 'GET',
    headers: {},
    multiValueHeaders: {},
    queryStringParameters: null,
    multiValueQueryStringParameters: null,
    pathParameters: null,
    stageVariables: null,
    body: null,
    isBase64Encoded: false,
    requestContext: {} as APIGatewayProxyEvent['requestContext'],
    ...e,
  };
}

const JSON_HEADERS = { 'Content-Type': 'application/json' };

function put(
  sku: string,
  body: unknown,
  headers: Record<string, string> = JSON_HEADERS,
): Partial<APIGatewayProxyEvent> {
  return {
    httpMethod: 'PUT',
    path: `/inventory/${sku}`,
    pathParameters: { sku },
    headers,
    body: typeof body === 'string' ? body : JSON.stringify(body),
  };
}

function get(sku: string): Partial<APIGatewayProxyEvent> {
  return { httpMethod: 'GET', path: `/inventory/${sku}`, pathParameters: { sku } };
}

interface ErrorShape {
  error: { code: string; message: string; fields: { path: string; message: string }[] };
}

function errorOf(res: APIGatewayProxyResult): ErrorShape {
  const body = JSON.parse(res.body) as ErrorShape;
  expect(body).toEqual({
    error: { code: expect.any(String), message: expect.any(String), fields: expect.any(Array) },
  });
  return body;
}

describe('PUT /inventory/{sku}', () => {
  it('creates this region’s allocation and returns the SKU view', async () => {
    const { call, deps } = setup();
    const sku = freshSku();

    const res = await call({
      ...put(sku, { available: 25 }),
      headers: { ...JSON_HEADERS, 'X-Correlation-Id': 'req-1' },
    });

    expect(res.statusCode).toBe(200);
    expect(res.headers).toMatchObject({ 'x-correlation-id': 'req-1' });
    expect(JSON.parse(res.body)).toEqual({
      sku,
      allocations: [
        {
          region: REGION,
          available: 25,
          reserved: 0,
          committed: 0,
          version: 1,
          updatedAt: expect.any(String),
        },
      ],
      totals: { available: 25, reserved: 0, committed: 0 },
    });
    expect(deps.publisher.ofType('StockLevelChanged')).toEqual([
      expect.objectContaining({
        correlationId: 'req-1',
        region: REGION,
        source: 'meridian.inventory',
        data: { sku, available: 25 },
      }),
    ]);
  });

  it('keeps the holds when the free units change', async () => {
    const { call, deps } = setup();
    const sku = freshSku();
    await call(put(sku, { available: 10 }));
    await new ReserveStock(deps).execute(order([[sku, 3]]));
    const committed = order([[sku, 2]]);
    await new ReserveStock(deps).execute(committed);
    await new CommitStock(deps).execute(committed);

    const res = await call(put(sku, { available: 100 }));

    expect(res.statusCode).toBe(200);
    expect(JSON.parse(res.body)).toMatchObject({
      allocations: [{ region: REGION, available: 100, reserved: 3, committed: 2, version: 5 }],
      totals: { available: 100, reserved: 3, committed: 2 },
    });
    expect(Object.keys((await deps.store.getAllocation(sku))?.holds ?? {})).toHaveLength(2);
  });

  it('applies an update that names the current version and refuses a stale one with 409', async () => {
    const { call } = setup();
    const sku = freshSku();
    expect((await call(put(sku, { available: 1, expectedVersion: 0 }))).statusCode).toBe(200);
    expect((await call(put(sku, { available: 2, expectedVersion: 1 }))).statusCode).toBe(200);

    const stale = await call(put(sku, { available: 3, expectedVersion: 1 }));
    const createAgain = await call(put(sku, { available: 3, expectedVersion: 0 }));

    expect(stale.statusCode).toBe(409);
    expect(errorOf(stale).error.code).toBe('VERSION_CONFLICT');
    expect(errorOf(stale).error.message).toContain('version 2');
    expect(createAgain.statusCode).toBe(409);
    expect(JSON.parse((await call(get(sku))).body).totals.available).toBe(2);
  });

  it('answers 409 for an allocation handed over to another region', async () => {
    const { call } = setup();
    const sku = freshSku();
    await putAllocation(client, table, { sku, region: REGION, ownerRegion: 'us-east-1', available: 4 });

    const res = await call(put(sku, { available: 9 }));

    expect(res.statusCode).toBe(409);
    expect(errorOf(res).error.code).toBe('ALLOCATION_NOT_OWNED');
  });

  it('routes on the raw path when API Gateway sends no resource', async () => {
    const { call } = setup();
    const sku = freshSku();

    const res = await call({
      ...put(sku, { available: 7 }),
      resource: undefined as unknown as string,
      pathParameters: null,
    });

    expect(res.statusCode).toBe(200);
    expect(JSON.parse(res.body).sku).toBe(sku);
  });
});

describe('GET /inventory/{sku}', () => {
  it('shows every region’s allocation and the totals', async () => {
    const eu = setup('eu-west-1');
    const us = setup('us-east-1');
    const sku = freshSku();
    await eu.call(put(sku, { available: 10 }));
    await us.call(put(sku, { available: 20 }));
    await new ReserveStock(us.deps).execute(order([[sku, 4]]));

    const res = await eu.call(get(sku));

    expect(res.statusCode).toBe(200);
    expect(JSON.parse(res.body)).toEqual({
      sku,
      allocations: [
        {
          region: 'eu-west-1',
          available: 10,
          reserved: 0,
          committed: 0,
          version: 1,
          updatedAt: expect.any(String),
        },
        {
          region: 'us-east-1',
          available: 16,
          reserved: 4,
          committed: 0,
          version: 2,
          updatedAt: expect.any(String),
        },
      ],
      totals: { available: 26, reserved: 4, committed: 0 },
    });
  });

  it('answers 404 SKU_NOT_FOUND for a SKU with no allocation', async () => {
    const { call } = setup();

    const res = await call(get(freshSku()));

    expect(res.statusCode).toBe(404);
    expect(errorOf(res).error.code).toBe('SKU_NOT_FOUND');
  });
});

describe('routing', () => {
  it('answers 405 with the allowed methods for another method', async () => {
    const { call } = setup();

    const res = await call({ ...get('PROD-1'), httpMethod: 'DELETE' });

    expect(res.statusCode).toBe(405);
    expect(res.headers).toMatchObject({ allow: 'GET, PUT' });
    expect(errorOf(res).error.code).toBe('METHOD_NOT_ALLOWED');
  });

  it.each([
    ['another resource', { resource: '/orders', path: '/orders' }],
    ['the collection path', { resource: undefined as unknown as string, path: '/inventory' }],
    ['a deeper path', { resource: undefined as unknown as string, path: '/inventory/PROD-1/holds' }],
  ])('answers 404 for %s', async (_name, event) => {
    const { call } = setup();

    const res = await call({ httpMethod: 'GET', ...event });

    expect(res.statusCode).toBe(404);
    expect(errorOf(res).error.code).toBe('ROUTE_NOT_FOUND');
  });
});

describe('bad input never yields a 5xx', () => {
  const sku = 'PROD-123';
  const cases: [string, Partial<APIGatewayProxyEvent>, number, string[]][] = [
    ['a SKU without the PROD- prefix', put('SKU-1', { available: 1 }), 400, ['pathParameters.sku']],
    [
      'a SKU with too many digits',
      put(`PROD-${'1'.repeat(21)}`, { available: 1 }),
      400,
      ['pathParameters.sku'],
    ],
    ['an empty SKU', { ...put('', { available: 1 }), pathParameters: null }, 400, ['pathParameters.sku']],
    ['a huge SKU on GET', get(`PROD-${'9'.repeat(10_000)}`), 400, ['pathParameters.sku']],
    ['a missing available', put(sku, {}), 400, ['available']],
    ['a string available', put(sku, { available: '5' }), 400, ['available']],
    ['a huge string available', put(sku, { available: 'x'.repeat(50_000) }), 400, ['available']],
    ['a negative available', put(sku, { available: -1 }), 400, ['available']],
    ['a fractional available', put(sku, { available: 1.5 }), 400, ['available']],
    ['a too large available', put(sku, { available: 1_000_000_001 }), 400, ['available']],
    ['an overflowing number', put(sku, '{"available": 1e400}'), 400, ['available']],
    ['a null available', put(sku, { available: null }), 400, ['available']],
    ['a boolean available', put(sku, { available: true }), 400, ['available']],
    ['an object available', put(sku, { available: { n: 1 } }), 400, ['available']],
    ['a negative expectedVersion', put(sku, { available: 1, expectedVersion: -1 }), 400, ['expectedVersion']],
    [
      'a fractional expectedVersion',
      put(sku, { available: 1, expectedVersion: 0.5 }),
      400,
      ['expectedVersion'],
    ],
    ['an unknown field', put(sku, { available: 1, holds: {} }), 400, ['holds']],
    ['a huge unknown key', put(sku, { available: 1, ['k'.repeat(60_000)]: 1 }), 400, ['k'.repeat(100)]],
    ['a JSON array', put(sku, [1, 2]), 400, ['(root)']],
    ['a JSON string', put(sku, '"hello"'), 400, ['(root)']],
    ['JSON null', put(sku, 'null'), 400, ['(root)']],
    [
      'bad field and bad SKU together',
      put('nope', { available: -5 }),
      400,
      ['pathParameters.sku', 'available'],
    ],
    ['non-JSON text', put(sku, 'available=5'), 400, []],
    ['truncated JSON', put(sku, '{"available": 5'), 400, []],
    ['an empty body', { ...put(sku, ''), body: null }, 400, []],
    ['a body over 64 KiB', put(sku, { available: 1, pad: 'x'.repeat(MAX_BODY_BYTES) }), 413, []],
    ['a text/plain body', put(sku, { available: 1 }, { 'content-type': 'text/plain' }), 415, []],
    ['no content type', put(sku, { available: 1 }, {}), 415, []],
    [
      'a form content type',
      put(sku, 'available=1', { 'content-type': 'application/x-www-form-urlencoded' }),
      415,
      [],
    ],
    [
      'a base64 body that is not JSON',
      { ...put(sku, ''), body: Buffer.from('\u0000\u0001garbage').toString('base64'), isBase64Encoded: true },
      400,
      [],
    ],
    [
      'a malformed percent-encoded path',
      { httpMethod: 'GET', resource: undefined as unknown as string, path: '/inventory/%E0%A4%A' },
      400,
      ['pathParameters.sku'],
    ],
  ];

  it.each(cases)('answers %s with %i and the error shape', async (_name, event, status, paths) => {
    const { call, deps } = setup();

    const res = await call(event);

    expect(res.statusCode).toBe(status);
    const body = errorOf(res);
    expect(body.error.fields.map((f) => f.path)).toEqual(paths);
    expect(res.body.length).toBeLessThan(4096);
    expect(deps.publisher.events).toHaveLength(0);
  });
});

describe('correlation id', () => {
  const CORRELATION = /^[A-Za-z0-9._:-]{1,128}$/;

  /** The handler wrapped as main.ts wraps it, recording the correlation id the logger was given. */
  function instrumentedApi() {
    const obs = observability('inventory-test');
    const deps = inventoryDeps(client, table, REGION);
    const appended: unknown[] = [];
    jest.spyOn(obs.logger, 'appendKeys').mockImplementation((keys) => {
      appended.push((keys as { correlationId?: unknown }).correlationId);
    });
    const handler = instrumented(
      obs,
      requestCorrelationId,
      buildApiHandler({
        setStockLevel: new SetStockLevel(deps),
        getStock: new GetStock(deps),
        logger: obs.logger,
        metrics: obs.metrics,
      }),
    );
    return { deps, appended, call: (e: APIGatewayProxyEvent) => handler(e, lambdaContext('inventory-api')) };
  }

  afterEach(() => {
    jest.restoreAllMocks();
  });

  it.each([
    ['a malformed header', { 'x-correlation-id': 'not ok; <script>' }],
    ['an overlong header', { 'x-correlation-id': 'c'.repeat(129) }],
    ['no header', {}],
  ])(
    'gives the logger, the response and the events the same normalised id for %s',
    async (_name, headers) => {
      const { deps, appended, call } = instrumentedApi();
      const sku = freshSku();

      const res = await call(
        apiEvent({ ...put(sku, { available: 3 }), headers: { ...JSON_HEADERS, ...headers } }),
      );

      expect(res.statusCode).toBe(200);
      const echoed = res.headers?.['x-correlation-id'];
      expect(String(echoed)).toMatch(CORRELATION);
      expect(echoed).not.toBe(headers['x-correlation-id' as keyof typeof headers]);
      expect(appended).toEqual([echoed]);
      expect(deps.publisher.ofType('StockLevelChanged').map((e) => e.correlationId)).toEqual([echoed]);
    },
  );

  it('keeps a well-formed id as sent', async () => {
    const { appended, call } = instrumentedApi();

    const res = await call(
      apiEvent({
        ...put(freshSku(), { available: 1 }),
        headers: { ...JSON_HEADERS, 'X-Correlation-Id': 'ok-1' },
      }),
    );

    expect(res.headers?.['x-correlation-id']).toBe('ok-1');
    expect(appended).toEqual(['ok-1']);
  });

  it('treats an id sent twice with different values as malformed instead of failing the request', async () => {
    const { appended, call } = instrumentedApi();
    const event = apiEvent({
      ...get(freshSku()),
      headers: { 'x-correlation-id': 'one' },
      multiValueHeaders: { 'X-Correlation-Id': ['two'] },
    });

    const res = await call(event);

    expect(res.statusCode).toBe(404);
    const echoed = res.headers?.['x-correlation-id'];
    expect(['one', 'two']).not.toContain(echoed);
    expect(String(echoed)).toMatch(CORRELATION);
    expect(appended).toEqual([echoed]);
    expect(requestCorrelationId(event)).toBe(echoed);
  });

  it('reads headers sent only in multiValueHeaders', async () => {
    const { call } = instrumentedApi();
    const sku = freshSku();
    const event = apiEvent({
      ...put(sku, { available: 4 }),
      headers: {},
      multiValueHeaders: { 'Content-Type': ['application/json'], 'x-correlation-id': ['multi-1'] },
    });

    const res = await call(event);

    expect(res.statusCode).toBe(200);
    expect(res.headers?.['x-correlation-id']).toBe('multi-1');
  });
});

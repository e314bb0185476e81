import {
  CLIENT_DEFAULTS,
  MeridianClient,
  MeridianClientInputError,
  type MeridianClientOptions,
} from '../../../lib/client';
import { FakeRegion, recordingSleep } from './fake-meridian';

const REGION = { region: 'eu-west-1', url: 'http://127.0.0.1:4100/v1' };

function construct(options: unknown): unknown {
  try {
    return new MeridianClient(options as MeridianClientOptions);
  } catch (error) {
    return error;
  }
}

describe('MeridianClient options', () => {
  it.each<[string, unknown, string]>([
    ['no endpoint at all', {}, 'edgeUrl/regions must name at least one endpoint'],
    ['an empty region list and no edge', { regions: [] }, 'edgeUrl/regions'],
    ['an edge URL that is not a URL', { edgeUrl: 'not a url' }, 'edgeUrl must be an absolute http(s) URL'],
    [
      'an edge URL with another scheme',
      { edgeUrl: 'ftp://edge.example.com' },
      'edgeUrl must be an http(s) URL',
    ],
    ['an edge URL with a query', { edgeUrl: 'http://127.0.0.1:8080/?x=1' }, 'edgeUrl must be a base URL'],
    ['regions that is not an array', { regions: REGION }, 'regions must be an array'],
    ['a region entry that is not an object', { regions: ['eu-west-1'] }, 'regions[0] must be an object'],
    ['a region without a name', { regions: [{ url: REGION.url }] }, 'regions[0].region must be a non-empty'],
    [
      'a region URL that is not a URL',
      { regions: [{ region: 'r', url: '127.0.0.1:4100' }] },
      'regions[0].url',
    ],
    [
      'a duplicate region',
      { regions: [REGION, { ...REGION, url: 'http://127.0.0.1:4200/v1' }] },
      'regions[1].region duplicates region "eu-west-1"',
    ],
    ['an empty location', { regions: [REGION], location: '' }, 'location must be a non-empty region name'],
    [
      'zero attempts',
      { regions: [REGION], maxAttempts: 0 },
      'maxAttempts must be a positive integer (got 0)',
    ],
    [
      'fractional attempts',
      { regions: [REGION], maxAttempts: 2.5 },
      'maxAttempts must be a positive integer',
    ],
    [
      'a negative timeout',
      { regions: [REGION], attemptTimeoutMs: -1 },
      'attemptTimeoutMs must be a positive finite number (got -1)',
    ],
    [
      'a zero base delay',
      { regions: [REGION], baseDelayMs: 0 },
      'baseDelayMs must be a positive finite number',
    ],
    [
      'an infinite max delay',
      { regions: [REGION], maxDelayMs: Infinity },
      'maxDelayMs must be a positive finite number',
    ],
    [
      'a string avoid period',
      { regions: [REGION], avoidMs: '30000' },
      'avoidMs must be a positive finite number (got "30000")',
    ],
    ['a zero time scale', { regions: [REGION], timeScale: 0 }, 'timeScale must be a positive finite number'],
    ['a fetch that is not a function', { regions: [REGION], fetch: 'fetch' }, 'fetch must be a function'],
    ['a sleep that is not a function', { regions: [REGION], sleep: 10 }, 'sleep must be a function'],
  ])('rejects %s, naming the option', (_case, options, message) => {
    const error = construct(options);

    expect(error).toBeInstanceOf(MeridianClientInputError);
    expect((error as Error).message).toContain(`MeridianClient: ${message}`);
  });

  it('rejects options that are not an object', () => {
    expect(construct(undefined)).toBeInstanceOf(MeridianClientInputError);
    expect((construct(null) as Error).message).toBe('MeridianClient: options must be an object');
  });

  it('accepts an edge alone, regions alone, or both, and starts with nothing avoided', () => {
    expect(new MeridianClient({ edgeUrl: 'http://127.0.0.1:8080' }).avoided()).toEqual({});
    expect(new MeridianClient({ regions: [REGION] }).avoided()).toEqual({});
    expect(new MeridianClient({ edgeUrl: 'https://api.example.com/', regions: [REGION] }).avoided()).toEqual(
      {},
    );
  });

  it('documents its defaults', () => {
    expect(CLIENT_DEFAULTS).toEqual({
      maxAttempts: 4,
      attemptTimeoutMs: 10_000,
      baseDelayMs: 100,
      maxDelayMs: 2_000,
      avoidMs: 30_000,
      timeScale: 1,
    });
  });
});

describe('MeridianClient call arguments', () => {
  let region: FakeRegion;
  let client: MeridianClient;

  beforeAll(async () => {
    region = await new FakeRegion('eu-west-1').start();
    client = new MeridianClient({
      regions: [{ region: region.name, url: region.url }],
      sleep: recordingSleep().sleep,
    });
  });

  afterAll(() => region.stop());

  beforeEach(() => {
    region.received.length = 0;
  });

  it.each<[string, () => Promise<unknown>, string]>([
    ['an empty order id', () => client.getOrder(''), 'orderId must be a non-empty string'],
    [
      'a missing customer id',
      () => client.listOrders(undefined as unknown as string),
      'customerId must be a non-empty string',
    ],
    ['an empty cursor', () => client.listOrders('CUST-1', ''), 'cursor must be a non-empty string'],
    [
      'an empty idempotency key',
      () => client.createOrder({}, { idempotencyKey: '' }),
      'idempotencyKey must be 1-255',
    ],
    [
      'an idempotency key with a space',
      () => client.createOrder({}, { idempotencyKey: 'a b' }),
      'idempotencyKey',
    ],
    ['a body JSON cannot hold', () => client.createOrder({ n: 1n }), 'body cannot be serialized as JSON'],
    [
      'a body that serializes to nothing',
      () => client.request('PUT', '/x', { body: () => 1 }),
      'body cannot be serialized as JSON (got a function)',
    ],
    ['a body on a GET', () => client.request('GET', '/health', { body: {} }), 'body is not allowed on GET'],
    [
      'a header value with a line break',
      () => client.createOrder({}, { headers: { 'x-a': 'b\r\nc' } }),
      'headers["x-a"] is not a valid HTTP header',
    ],
    [
      'a header value that is not a string',
      () => client.request('GET', '/x', { headers: { 'x-a': 1 as unknown as string } }),
      'headers["x-a"] must be a string',
    ],
    [
      'a method that is not a token',
      () => client.request('GE T', '/x'),
      'method must be an HTTP method token',
    ],
    ['a method fetch refuses', () => client.request('connect', '/x'), 'method CONNECT cannot be sent'],
    ['a path without a leading slash', () => client.request('GET', 'orders'), 'path must start with "/"'],
    [
      'a protocol-relative path',
      () => client.request('GET', '//evil.example.com/x'),
      'path must start with "/"',
    ],
    [
      'a retry flag that is not a boolean',
      () => client.request('POST', '/x', { retry: 'yes' as unknown as boolean }),
      'retry must be a boolean',
    ],
  ])('rejects %s before sending anything', async (_case, call, message) => {
    const error = await call().catch((e: unknown) => e);

    expect(error).toBeInstanceOf(MeridianClientInputError);
    expect((error as Error).message).toContain(`MeridianClient: ${message}`);
    expect(region.received).toEqual([]);
  });

  it('names the offending field on the error', async () => {
    const error = (await client.getOrder('').catch((e: unknown) => e)) as MeridianClientInputError;

    expect(error.field).toBe('orderId');
    expect(error.name).toBe('MeridianClientInputError');
  });

  it('upper-cases a lower-case method', async () => {
    const reply = await client.request('get', '/inventory/PROD-1');

    expect(reply.attempts[0]?.method).toBe('GET');
    expect(region.received[0]?.method).toBe('GET');
  });
});

import { request as httpRequest } from 'node:http';
import type { APIGatewayProxyEvent } from 'aws-lambda';
import type { ApiModel, RouteModel } from '../../../local/assembly';
import {
  apiGatewayServer,
  type ApiGatewayServer,
  type ApiGatewayServerOptions,
  type InvokeResult,
} from '../../../local/apigateway';

interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
  text: string;
}

/** A raw HTTP call, so tests control repeated headers, methods and exact bytes. */
function call(
  base: string,
  method: string,
  path: string,
  options: { headers?: string[]; body?: Buffer | string } = {},
): Promise<Reply> {
  const url = new URL(base);
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      {
        host: url.hostname,
        port: url.port,
        method,
        path,
        // Raw (array) headers switch off Node's defaults: send Host as a client would.
        headers: ['Host', url.host, ...(options.headers ?? [])],
        agent: false,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const body = Buffer.concat(chunks);
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body, text: body.toString('utf8') });
        });
      },
    );
    req.on('error', reject);
    req.end(options.body);
  });
}

function route(method: string, path: string, fn = 'OrdersFn'): RouteModel {
  return {
    method,
    path,
    functionLogicalId: fn,
    aliasLogicalId: `${fn}Live`,
    integrationType: 'AWS_PROXY',
    requestParameters: {},
    logicalId: `${method}${path}`,
  };
}

const ROUTES: RouteModel[] = [
  route('GET', '/orders'),
  route('POST', '/orders'),
  route('GET', '/orders/{id}'),
  route('GET', '/orders/special', 'SpecialFn'),
  route('POST', '/orders/{id}/cancel'),
  route('ANY', '/files/{proxy+}', 'FilesFn'),
  route('GET', '/files/readme', 'ReadmeFn'),
  route('GET', '/health', 'HealthFn'),
  route('PUT', '/upload', 'UploadFn'),
  { ...route('GET', '/search', 'SearchFn'), requestParameters: { 'method.request.querystring.q': true } },
];

function apiModel(overrides: Partial<ApiModel> = {}): ApiModel {
  return {
    logicalId: 'ApiCD79AAA0',
    name: 'test-api',
    stageName: 'v1',
    routes: ROUTES,
    gatewayResponses: [],
    ...overrides,
  };
}

const ok = (body: unknown): InvokeResult => ({ payload: { statusCode: 200, body: JSON.stringify(body) } });

describe('local API Gateway REST API', () => {
  let server: ApiGatewayServer;
  let calls: { fn: string; alias: string | undefined; event: APIGatewayProxyEvent }[];
  let respond: (event: APIGatewayProxyEvent, fn: string) => InvokeResult | Promise<InvokeResult>;

  async function start(overrides: Partial<ApiGatewayServerOptions> = {}): Promise<ApiGatewayServer> {
    server = await apiGatewayServer({
      api: apiModel(),
      region: 'us-east-1',
      accountId: '111111111111',
      invoke: async (fn, alias, event) => {
        calls.push({ fn, alias, event });
        return respond(event, fn);
      },
      ...overrides,
    });
    return server;
  }

  beforeEach(() => {
    calls = [];
    respond = (event, fn) => ok({ fn, resource: event.resource });
  });

  afterEach(async () => {
    await server?.close();
  });

  it('serves under /<stage> and exposes endpoint and baseUrl', async () => {
    await start();
    expect(server.endpoint).toBe(`http://127.0.0.1:${server.port}`);
    expect(server.baseUrl).toBe(`${server.endpoint}/v1`);
    const res = await call(server.endpoint, 'GET', '/v1/orders');
    expect(res.status).toBe(200);
    expect(JSON.parse(res.text)).toEqual({ fn: 'OrdersFn', resource: '/orders' });
    expect(calls[0]).toMatchObject({ fn: 'OrdersFn', alias: 'OrdersFnLive' });
  });

  it('prefers literal segments over {param}, {param} over {proxy+}, and decodes path parameters', async () => {
    await start();
    const resourceOf = async (method: string, path: string): Promise<unknown> => {
      const res = await call(server.endpoint, method, path);
      expect(res.status).toBe(200);
      return calls[calls.length - 1]!.event;
    };
    expect(await resourceOf('GET', '/v1/orders/special')).toMatchObject({
      resource: '/orders/special',
      pathParameters: null,
    });
    expect(await resourceOf('GET', '/v1/orders/a%20b%2Fc+d')).toMatchObject({
      resource: '/orders/{id}',
      path: '/orders/a b/c+d',
      pathParameters: { id: 'a b/c+d' },
    });
    expect(await resourceOf('POST', '/v1/orders/42/cancel')).toMatchObject({
      resource: '/orders/{id}/cancel',
      pathParameters: { id: '42' },
    });
    expect(await resourceOf('GET', '/v1/files/readme')).toMatchObject({ resource: '/files/readme' });
    expect(await resourceOf('DELETE', '/v1/files/a/b%20c/d.txt')).toMatchObject({
      resource: '/files/{proxy+}',
      httpMethod: 'DELETE',
      pathParameters: { proxy: 'a/b c/d.txt' },
    });
    // One trailing slash is ignored.
    expect(await resourceOf('GET', '/v1/orders/')).toMatchObject({ resource: '/orders' });
    expect(calls.map((c) => c.fn)).toEqual([
      'SpecialFn',
      'OrdersFn',
      'OrdersFn',
      'ReadmeFn',
      'FilesFn',
      'OrdersFn',
    ]);
  });

  it('builds the exact proxy event for a GET with a query string', async () => {
    await start();
    const res = await call(server.endpoint, 'GET', '/v1/orders/o-1?status=PAID&limit=10&flag', {
      headers: ['Accept', 'application/json', 'User-Agent', 'jest-agent/1.0'],
    });
    expect(res.status).toBe(200);
    const event = calls[0]!.event;
    const host = `127.0.0.1:${server.port}`;
    expect(event).toEqual({
      resource: '/orders/{id}',
      path: '/orders/o-1',
      httpMethod: 'GET',
      headers: {
        Accept: 'application/json',
        'User-Agent': 'jest-agent/1.0',
        Host: host,
        Connection: 'close',
        'X-Amzn-Trace-Id': expect.stringMatching(/^Root=1-[0-9a-f]{8}-[0-9a-f]{24}$/),
        'X-Forwarded-For': '127.0.0.1',
        'X-Forwarded-Port': String(server.port),
        'X-Forwarded-Proto': 'http',
      },
      multiValueHeaders: {
        Accept: ['application/json'],
        'User-Agent': ['jest-agent/1.0'],
        Host: [host],
        Connection: ['close'],
        'X-Amzn-Trace-Id': [event.headers['X-Amzn-Trace-Id']],
        'X-Forwarded-For': ['127.0.0.1'],
        'X-Forwarded-Port': [String(server.port)],
        'X-Forwarded-Proto': ['http'],
      },
      queryStringParameters: { status: 'PAID', limit: '10', flag: '' },
      multiValueQueryStringParameters: { status: ['PAID'], limit: ['10'], flag: [''] },
      pathParameters: { id: 'o-1' },
      stageVariables: null,
      requestContext: {
        resourceId: expect.stringMatching(/^[a-z0-9]{6}$/),
        resourcePath: '/orders/{id}',
        httpMethod: 'GET',
        extendedRequestId: expect.stringMatching(/^[A-Za-z0-9+/]{15}=$/),
        requestTime: expect.stringMatching(/^\d{2}\/[A-Z][a-z]{2}\/\d{4}:\d{2}:\d{2}:\d{2} \+0000$/),
        path: '/v1/orders/o-1',
        accountId: '111111111111',
        protocol: 'HTTP/1.1',
        stage: 'v1',
        domainPrefix: '127',
        requestTimeEpoch: expect.any(Number),
        requestId: expect.stringMatching(/^[0-9a-f-]{36}$/),
        identity: {
          cognitoIdentityPoolId: null,
          accountId: null,
          cognitoIdentityId: null,
          caller: null,
          sourceIp: '127.0.0.1',
          principalOrgId: null,
          accessKey: null,
          cognitoAuthenticationType: null,
          cognitoAuthenticationProvider: null,
          userArn: null,
          userAgent: 'jest-agent/1.0',
          user: null,
          apiKey: null,
          apiKeyId: null,
          clientCert: null,
        },
        domainName: '127.0.0.1',
        deploymentId: expect.stringMatching(/^[a-z0-9]{6}$/),
        apiId: server.apiId,
      },
      body: null,
      isBase64Encoded: false,
    });
    expect(server.apiId).toMatch(/^[a-z0-9]{10}$/);
    expect(res.headers['x-amzn-requestid']).toBe(event.requestContext.requestId);
    expect(res.headers['x-amz-apigw-id']).toBe(event.requestContext.extendedRequestId);
  });

  it('passes a JSON POST body as a UTF-8 string with null query and path parameters', async () => {
    await start();
    const body = JSON.stringify({ customerId: 'c-1', note: 'héllo ✓' });
    await call(server.endpoint, 'POST', '/v1/orders', {
      headers: [
        'Content-Type',
        'application/json; charset=utf-8',
        'Content-Length',
        String(Buffer.byteLength(body)),
        'Idempotency-Key',
        'k-1',
      ],
      body,
    });
    const event = calls[0]!.event;
    expect(event).toMatchObject({
      resource: '/orders',
      path: '/orders',
      httpMethod: 'POST',
      body,
      isBase64Encoded: false,
      queryStringParameters: null,
      multiValueQueryStringParameters: null,
      pathParameters: null,
      stageVariables: null,
    });
    expect(event.headers['Idempotency-Key']).toBe('k-1');
    expect(event.headers['Content-Length']).toBe(String(Buffer.byteLength(body)));
  });

  it('keeps every value of repeated headers and query parameters (last one wins in the single maps)', async () => {
    await start();
    await call(server.endpoint, 'GET', '/v1/orders?tag=a&tag=b%20c&x=1', {
      headers: ['X-Tag', 'one', 'X-Tag', 'two', 'X-Forwarded-For', '203.0.113.9'],
    });
    const event = calls[0]!.event;
    expect(event.headers['X-Tag']).toBe('two');
    expect(event.multiValueHeaders['X-Tag']).toEqual(['one', 'two']);
    expect(event.headers['X-Forwarded-For']).toBe('203.0.113.9, 127.0.0.1');
    expect(event.queryStringParameters).toEqual({ tag: 'b c', x: '1' });
    expect(event.multiValueQueryStringParameters).toEqual({ tag: ['a', 'b c'], x: ['1'] });
  });

  it('answers 403 Missing Authentication Token outside the stage, for unknown paths and for missing methods', async () => {
    await start();
    for (const [method, path] of [
      ['GET', '/orders'],
      ['GET', '/v2/orders'],
      ['GET', '/'],
      ['GET', '/v1'],
      ['GET', '/v1/nothing'],
      ['DELETE', '/v1/orders'],
      ['GET', '/v1/orders/1/cancel'],
      ['GET', '/v1/files'],
      ['HEAD', '/v1/health'],
      ['OPTIONS', '/v1/orders'],
    ] as const) {
      const res = await call(server.endpoint, method, path);
      expect([method, path, res.status]).toEqual([method, path, 403]);
      if (method !== 'HEAD') expect(res.text).toBe('{"message":"Missing Authentication Token"}');
      expect(res.headers['x-amzn-errortype']).toBe('MissingAuthenticationTokenException');
    }
    expect(calls).toHaveLength(0);
  });

  it("honours the template's gateway responses: a 404 override and DEFAULT_4XX/5XX fallbacks", async () => {
    await start({
      api: apiModel({
        gatewayResponses: [
          {
            responseType: 'MISSING_AUTHENTICATION_TOKEN',
            statusCode: '404',
            templates: {
              'application/json': '{"error":{"code":"ROUTE_NOT_FOUND","requestId":"$context.requestId"}}',
            },
          },
          {
            responseType: 'DEFAULT_4XX',
            templates: {
              'application/json': '{"error":{"code":"REJECTED","message":$context.error.messageString}}',
            },
          },
          {
            responseType: 'DEFAULT_5XX',
            templates: { 'application/json': '{"error":{"code":"INTERNAL_ERROR"}}' },
          },
        ],
        throttling: { rateLimit: 0, burstLimit: 1 },
      }),
      timeScale: 2900,
    });
    const notFound = await call(server.endpoint, 'GET', '/v1/nope');
    expect(notFound.status).toBe(404);
    expect(JSON.parse(notFound.text)).toEqual({
      error: { code: 'ROUTE_NOT_FOUND', requestId: notFound.headers['x-amzn-requestid'] },
    });
    respond = () => new Promise((resolve) => setTimeout(() => resolve(ok({})), 300));
    const timedOut = await call(server.endpoint, 'GET', '/v1/orders');
    expect(timedOut.status).toBe(504);
    expect(JSON.parse(timedOut.text)).toEqual({ error: { code: 'INTERNAL_ERROR' } });
    const throttled = await call(server.endpoint, 'GET', '/v1/orders');
    expect(throttled.status).toBe(429);
    expect(JSON.parse(throttled.text)).toEqual({ error: { code: 'REJECTED', message: 'Too Many Requests' } });
  });

  it('maps the proxy response: status, merged headers, default content type, AWS request headers', async () => {
    await start();
    respond = () => ({
      payload: {
        statusCode: 201,
        headers: { 'X-One': '1', 'Set-Cookie': 'a=1', 'X-Num': 5 },
        multiValueHeaders: { 'Set-Cookie': ['a=1', 'b=2'], 'X-Many': ['p', 'q'] },
        body: '{"created":true}',
      },
    });
    const res = await call(server.endpoint, 'POST', '/v1/orders', { body: '{}' });
    expect(res.status).toBe(201);
    expect(res.text).toBe('{"created":true}');
    expect(res.headers['content-type']).toBe('application/json');
    expect(res.headers['x-one']).toBe('1');
    expect(res.headers['x-num']).toBe('5');
    expect(res.headers['set-cookie']).toEqual(['a=1', 'b=2']);
    expect(res.headers['x-many']).toBe('p, q');
    expect(res.headers['x-amzn-requestid']).toMatch(/^[0-9a-f-]{36}$/);
    expect(res.headers['x-amz-apigw-id']).toBeDefined();
  });

  it('answers 502 Internal server error on a function error or a malformed proxy response', async () => {
    const lines: string[] = [];
    await start({ log: (l) => lines.push(l) });
    const malformed: InvokeResult[] = [
      { payload: null, functionError: 'Unhandled', errorType: 'Error', errorMessage: 'boom' },
      { payload: 'just a string' },
      { payload: [1, 2] },
      { payload: { body: 'no status' } },
      { payload: { statusCode: 'abc', body: '' } },
      { payload: { statusCode: 200, body: { not: 'a string' } } },
      { payload: { statusCode: 200, headers: { 'X-Obj': { a: 1 } } } },
      { payload: { statusCode: 200, headers: { 'X-Bad': 'a\r\nb' } } },
    ];
    for (const result of malformed) {
      respond = () => result;
      const res = await call(server.endpoint, 'GET', '/v1/orders');
      expect([result, res.status]).toEqual([result, 502]);
      expect(res.text).toBe('{"message": "Internal server error"}');
    }
    expect(lines.some((l) => l.includes('Malformed Lambda proxy response'))).toBe(true);
    expect(lines.some((l) => l.includes('function error Error: boom'))).toBe(true);
  });

  it('answers 500 when the invocation itself is rejected, and keeps serving', async () => {
    await start();
    respond = () => Promise.reject(new Error('TooManyRequestsException'));
    const res = await call(server.endpoint, 'GET', '/v1/orders');
    expect(res.status).toBe(500);
    expect(res.text).toBe('{"message": "Internal server error"}');
    respond = () => ok({ again: true });
    expect((await call(server.endpoint, 'GET', '/v1/orders')).status).toBe(200);
  });

  it('answers 504 Endpoint request timed out after 29 s divided by the time scale', async () => {
    await start({ timeScale: 1000 }); // 29 ms
    respond = () => new Promise((resolve) => setTimeout(() => resolve(ok({ late: true })), 400));
    const res = await call(server.endpoint, 'GET', '/v1/orders');
    expect(res.status).toBe(504);
    expect(JSON.parse(res.text)).toEqual({ message: 'Endpoint request timed out' });
  });

  it('answers 413 Request Too Long for a body over 10 MB, and accepts one at the limit', async () => {
    await start();
    const big = await call(server.endpoint, 'PUT', '/v1/upload', {
      headers: ['Content-Type', 'application/json'],
      body: Buffer.alloc(10 * 1024 * 1024 + 1, 0x61),
    });
    expect(big.status).toBe(413);
    expect(big.text).toBe('{"message":"Request Too Long"}');
    expect(calls).toHaveLength(0);
    const atLimit = await call(server.endpoint, 'PUT', '/v1/upload', {
      headers: ['Content-Type', 'text/plain'],
      body: Buffer.alloc(10 * 1024 * 1024, 0x61),
    });
    expect(atLimit.status).toBe(200);
    expect(calls[0]!.event.body).toHaveLength(10 * 1024 * 1024);
  });

  it('answers 429 Too Many Requests past the stage burst, and refills at the rate', async () => {
    let t = 1_700_000_000_000;
    await start({ api: apiModel({ throttling: { rateLimit: 1, burstLimit: 2 } }), now: () => t });
    expect((await call(server.endpoint, 'GET', '/v1/health')).status).toBe(200);
    expect((await call(server.endpoint, 'GET', '/v1/health')).status).toBe(200);
    const throttled = await call(server.endpoint, 'GET', '/v1/health');
    expect(throttled.status).toBe(429);
    expect(throttled.text).toBe('{"message":"Too Many Requests"}');
    t += 1000;
    expect((await call(server.endpoint, 'GET', '/v1/health')).status).toBe(200);
    expect((await call(server.endpoint, 'GET', '/v1/health')).status).toBe(429);
    expect(calls).toHaveLength(3);
  });

  it('base64-encodes binary request bodies and decodes base64 response bodies', async () => {
    await start();
    const png = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0xff, 0xfe]);
    respond = (event) => ({
      payload: {
        statusCode: 200,
        headers: { 'Content-Type': 'application/octet-stream' },
        body: Buffer.from(event.body ?? '', 'base64')
          .reverse()
          .toString('base64'),
        isBase64Encoded: true,
      },
    });
    const res = await call(server.endpoint, 'PUT', '/v1/upload', {
      headers: ['Content-Type', 'image/png'],
      body: png,
    });
    expect(calls[0]!.event.isBase64Encoded).toBe(true);
    expect(calls[0]!.event.body).toBe(png.toString('base64'));
    expect(res.body.equals(Buffer.from(png).reverse())).toBe(true);

    respond = () => ok({});
    await call(server.endpoint, 'PUT', '/v1/upload', {
      headers: ['Content-Type', 'text/csv'],
      body: 'a,b\n1,2',
    });
    expect(calls[1]!.event).toMatchObject({ isBase64Encoded: false, body: 'a,b\n1,2' });
  });

  it('honours explicit binaryMediaTypes', async () => {
    await start({ binaryMediaTypes: ['application/pdf', 'image/*'] });
    await call(server.endpoint, 'PUT', '/v1/upload', {
      headers: ['Content-Type', 'image/jpeg'],
      body: 'xyz',
    });
    await call(server.endpoint, 'PUT', '/v1/upload', {
      headers: ['Content-Type', 'application/octet-stream'],
      body: 'xyz',
    });
    expect(calls.map((c) => c.event.isBase64Encoded)).toEqual([true, false]);
  });

  it('enforces required query-string parameters with BAD_REQUEST_PARAMETERS', async () => {
    await start();
    const res = await call(server.endpoint, 'GET', '/v1/search');
    expect(res.status).toBe(400);
    expect(res.text).toBe('{"message":"Missing required request parameters: [q]"}');
    expect((await call(server.endpoint, 'GET', '/v1/search?q=x')).status).toBe(200);
  });

  it('survives garbage: bad percent-encoding, oversized headers and aborted requests', async () => {
    await start();
    const badPath = await call(server.endpoint, 'GET', '/v1/orders/%E0%A4%A');
    expect(badPath.status).toBe(400);
    expect(JSON.parse(badPath.text)).toEqual({ message: 'Bad Request' });
    const badQuery = await call(server.endpoint, 'GET', '/v1/orders?x=%zz');
    expect(badQuery.status).toBe(400);

    const huge = await call(server.endpoint, 'GET', '/v1/orders', {
      headers: ['X-Huge', 'a'.repeat(64 * 1024)],
    });
    expect(huge.status).toBe(431);

    await new Promise<void>((resolve) => {
      const req = httpRequest({
        host: '127.0.0.1',
        port: server.port,
        method: 'POST',
        path: '/v1/orders',
        headers: { 'Content-Length': '1000' },
      });
      req.on('error', () => resolve());
      req.write('partial');
      setTimeout(() => {
        req.destroy();
        resolve();
      }, 50);
    });
    expect((await call(server.endpoint, 'GET', '/v1/health')).status).toBe(200);
    expect(calls.map((c) => c.fn)).toEqual(['HealthFn']);
  });
});

/** An API Gateway REST API (regional, Lambda proxy integrations) served over real HTTP on loopback. */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import type { APIGatewayProxyEvent } from 'aws-lambda';
import type { ApiModel, RouteModel } from '../assembly/model';
import {
  BadRequestError,
  buildProxyEvent,
  decodeComponent,
  newRequestIds,
  parseQuery,
  stableId,
  type GatewayRequest,
  type RequestIds,
} from './event';
import {
  gatewayResponse,
  internalServerError,
  mapProxyResponse,
  plainError,
  type RenderedResponse,
} from './responses';
import { RouteTable } from './routes';
import { stageThrottle } from './throttle';

/** API Gateway's payload limit for REST APIs. */
export const MAX_REQUEST_BYTES = 10 * 1024 * 1024;
/** API Gateway's default (and, for regional REST APIs without a quota raise, maximum) integration timeout. */
export const INTEGRATION_TIMEOUT_MS = 29_000;

/** What the Lambda runner answers for one synchronous invocation. */
export interface InvokeResult {
  readonly payload: unknown;
  /** Set when the function failed (`Unhandled`, `Handled`), as Lambda's `X-Amz-Function-Error`. */
  readonly functionError?: string;
  readonly errorType?: string;
  readonly errorMessage?: string;
}

/** The port through which the gateway invokes a function (the region's Lambda runner). */
export type ApiInvoke = (
  functionLogicalId: string,
  aliasLogicalId: string | undefined,
  event: APIGatewayProxyEvent,
) => Promise<InvokeResult>;

/** Options of {@link apiGatewayServer}. */
export interface ApiGatewayServerOptions {
  readonly api: ApiModel;
  readonly region: string;
  readonly accountId: string;
  /** @default 0 (an ephemeral port) */
  readonly port?: number;
  readonly invoke: ApiInvoke;
  /** Divides the 29 s integration timeout. @default 1 */
  readonly timeScale?: number;
  /**
   * The RestApi's `BinaryMediaTypes`. @default every non-text media type is binary (base64 to the function)
   */
  readonly binaryMediaTypes?: readonly string[];
  /** The clock for request times and throttling. @default Date.now */
  readonly now?: () => number;
  readonly log?: (line: string) => void;
}

/** A running API: `baseUrl` is `endpoint/<stage>`. */
export interface ApiGatewayServer {
  readonly port: number;
  readonly endpoint: string;
  readonly baseUrl: string;
  /** The emulated REST API id (stable for a region and API). */
  readonly apiId: string;
  close(): Promise<void>;
}

class TooLargeError extends Error {}

/** Reads the whole body; past the limit it keeps draining (so the client reads the 413) and then rejects. */
function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let tooLarge = Number(req.headers['content-length'] ?? 0) > limit;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) tooLarge = true;
      if (!tooLarge) chunks.push(chunk);
    });
    req.on('end', () => (tooLarge ? reject(new TooLargeError()) : resolve(Buffer.concat(chunks))));
    req.on('error', reject);
    req.on('aborted', () => reject(new Error('request aborted')));
  });
}

function send(req: IncomingMessage, res: ServerResponse, response: RenderedResponse): void {
  if (res.headersSent || res.destroyed) return;
  const flat: string[] = [];
  for (const [name, value] of response.headers) flat.push(name, value);
  flat.push('Content-Length', String(response.body.length));
  res.writeHead(response.status, flat);
  res.end(req.method === 'HEAD' ? undefined : response.body);
}

/** Starts the API on 127.0.0.1 and resolves once it listens. */
export async function apiGatewayServer(opts: ApiGatewayServerOptions): Promise<ApiGatewayServer> {
  const { api, accountId, region } = opts;
  const now = opts.now ?? Date.now;
  const log = opts.log ?? (() => undefined);
  const timeScale = opts.timeScale ?? 1;
  if (!(timeScale > 0)) throw new Error(`apiGatewayServer: timeScale must be positive, got ${timeScale}`);
  const integrationTimeoutMs = INTEGRATION_TIMEOUT_MS / timeScale;
  const routes = new RouteTable(api.routes.filter((r) => r.integrationType === 'AWS_PROXY'));
  for (const r of api.routes) {
    if (r.integrationType !== 'AWS_PROXY') {
      log(`apigateway: ${r.method} ${r.path} has integration ${r.integrationType}; only AWS_PROXY is served`);
    }
  }
  const throttle = stageThrottle(api.throttling, now);
  const apiId = stableId(`${region}:${api.logicalId}`, 10);
  const deploymentId = stableId(`${region}:${api.logicalId}:${api.stageName}`, 6);
  const timers = new Set<NodeJS.Timeout>();
  let port = 0;

  const templateContext = (ids: RequestIds, method: string, rawPath: string, resourcePath = '') => ({
    requestId: ids.requestId,
    extendedRequestId: ids.extendedRequestId,
    apiId,
    accountId,
    stage: api.stageName,
    httpMethod: method,
    path: rawPath,
    resourcePath,
    requestTimeEpoch: now(),
    domainName: '127.0.0.1',
  });

  /** Invokes with the integration timeout; `undefined` means it timed out. */
  const invokeWithTimeout = (
    route: RouteModel,
    event: APIGatewayProxyEvent,
  ): Promise<InvokeResult | undefined> =>
    new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        timers.delete(timer);
        resolve(undefined);
      }, integrationTimeoutMs);
      timers.add(timer);
      opts.invoke(route.functionLogicalId, route.aliasLogicalId, event).then(
        (result) => {
          clearTimeout(timer);
          timers.delete(timer);
          resolve(result);
        },
        (err: unknown) => {
          clearTimeout(timer);
          timers.delete(timer);
          reject(err instanceof Error ? err : new Error(String(err)));
        },
      );
    });

  const handle = async (req: IncomingMessage, ids: RequestIds): Promise<RenderedResponse> => {
    const method = (req.method ?? 'GET').toUpperCase();
    let url = req.url ?? '/';
    // Absolute-form targets (`GET http://host/path`) carry the path after the authority.
    if (/^https?:\/\//i.test(url)) url = url.replace(/^https?:\/\/[^/?#]*/i, '') || '/';
    const q = url.indexOf('?');
    const rawPath = (q < 0 ? url : url.slice(0, q)).replace(/#.*$/, '');
    const rawQuery = q < 0 ? '' : url.slice(q + 1).replace(/#.*$/, '');
    const context = templateContext(ids, method, rawPath);

    let body: Buffer;
    try {
      body = await readBody(req, MAX_REQUEST_BYTES);
    } catch (err) {
      if (err instanceof TooLargeError) return gatewayResponse(api, 'REQUEST_TOO_LARGE', context);
      throw err;
    }

    const missing = (): RenderedResponse => gatewayResponse(api, 'MISSING_AUTHENTICATION_TOKEN', context);
    if (!rawPath.startsWith('/')) return missing();
    const rawSegments = rawPath.split('/').slice(1);
    // `/v1/orders/` is `/v1/orders`: API Gateway ignores one trailing slash.
    if (rawSegments.length > 1 && rawSegments[rawSegments.length - 1] === '') rawSegments.pop();
    const segments = rawSegments.map((s) => decodeComponent(s, 'path'));
    parseQuery(rawQuery); // a malformed query is a 400 whatever the route
    if (segments[0] !== api.stageName) return missing();
    const resourceSegments = segments.slice(1);
    const match = routes.match(resourceSegments);
    const route = match ? (match.methods.get(method) ?? match.methods.get('ANY')) : undefined;
    if (!match || !route) return missing();
    const routeContext = { ...context, resourcePath: match.resourcePath };

    if (throttle && !throttle.take()) return gatewayResponse(api, 'THROTTLED', routeContext);

    const gatewayRequest: GatewayRequest = {
      method,
      rawPath,
      rawQuery,
      rawHeaders: req.rawHeaders,
      httpVersion: req.httpVersion,
      sourceIp: (req.socket.remoteAddress ?? '127.0.0.1').replace(/^::ffff:/, ''),
      port,
      body,
    };
    const event = buildProxyEvent(gatewayRequest, {
      accountId,
      apiId,
      stage: api.stageName,
      deploymentId,
      resourcePath: match.resourcePath,
      resourceId: stableId(`${apiId}:${match.resourcePath}`, 6),
      path: `/${resourceSegments.join('/')}`,
      pathParameters: match.pathParameters,
      ids,
      nowMs: now(),
      binaryMediaTypes: opts.binaryMediaTypes,
    });

    const absent = requiredParametersMissing(route, event);
    if (absent.length > 0) {
      return gatewayResponse(
        api,
        'BAD_REQUEST_PARAMETERS',
        routeContext,
        `Missing required request parameters: [${absent.join(', ')}]`,
      );
    }

    let result: InvokeResult | undefined;
    try {
      result = await invokeWithTimeout(route, event);
    } catch (err) {
      // Lambda rejected the invocation (throttled, not found…): API Gateway answers 500.
      log(`apigateway: ${method} ${match.resourcePath}: invoke failed: ${(err as Error).message}`);
      return internalServerError(500, ids.requestId, ids.extendedRequestId);
    }
    if (result === undefined) {
      log(
        `apigateway: ${method} ${match.resourcePath}: integration timed out after ${integrationTimeoutMs} ms`,
      );
      return gatewayResponse(api, 'INTEGRATION_TIMEOUT', routeContext);
    }
    if (result.functionError) {
      log(
        `apigateway: ${method} ${match.resourcePath}: function error ` +
          `${result.errorType ?? result.functionError}: ${result.errorMessage ?? ''}`,
      );
      return internalServerError(502, ids.requestId, ids.extendedRequestId);
    }
    const mapped = mapProxyResponse(result.payload);
    if (!mapped.ok) {
      log(`apigateway: ${method} ${match.resourcePath}: Malformed Lambda proxy response: ${mapped.reason}`);
      return internalServerError(502, ids.requestId, ids.extendedRequestId);
    }
    return {
      status: mapped.status,
      headers: [
        ...mapped.headers,
        ['x-amzn-RequestId', ids.requestId],
        ['x-amz-apigw-id', ids.extendedRequestId],
        ['X-Amzn-Trace-Id', ids.traceId],
      ],
      body: mapped.body,
    };
  };

  const server = createServer((req, res) => {
    const started = now();
    const ids = newRequestIds(started);
    res.on('error', () => undefined);
    handle(req, ids)
      .catch((err: unknown): RenderedResponse | undefined => {
        if (err instanceof BadRequestError) return plainError(400, 'Bad Request', ids.requestId);
        if (req.destroyed && !res.headersSent) return undefined; // the client went away
        log(
          `apigateway: internal failure: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`,
        );
        return internalServerError(500, ids.requestId, ids.extendedRequestId);
      })
      .then((response) => {
        if (!response) return;
        try {
          send(req, res, response);
        } catch (err) {
          // A header value Node refuses (non-Latin-1): API Gateway would call the response malformed.
          log(`apigateway: cannot send the response: ${(err as Error).message}`);
          send(req, res, internalServerError(502, ids.requestId, ids.extendedRequestId));
        }
        log(`apigateway: ${req.method} ${req.url} ${response.status} ${now() - started}ms ${ids.requestId}`);
      })
      .catch(() => res.destroy());
  });
  server.on('clientError', (err: NodeJS.ErrnoException, socket: Socket) => {
    if (!socket.writable) return socket.destroy();
    const status =
      err.code === 'HPE_HEADER_OVERFLOW' ? '431 Request Header Fields Too Large' : '400 Bad Request';
    const body = JSON.stringify({ message: status.slice(4) });
    socket.end(
      `HTTP/1.1 ${status}\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n` +
        `Connection: close\r\n\r\n${body}`,
    );
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  port = (server.address() as AddressInfo).port;
  const endpoint = `http://127.0.0.1:${port}`;
  log(`apigateway: ${api.name} (${apiId}) listening on ${endpoint}/${api.stageName}`);
  return {
    port,
    endpoint,
    baseUrl: `${endpoint}/${api.stageName}`,
    apiId,
    close: async () => {
      for (const timer of timers) clearTimeout(timer);
      timers.clear();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
    },
  };
}

/** The route's required query-string and header parameters the request lacks (the request validator). */
function requiredParametersMissing(route: RouteModel, event: APIGatewayProxyEvent): string[] {
  const absent: string[] = [];
  for (const [key, required] of Object.entries(route.requestParameters)) {
    if (!required) continue;
    const m = /^method\.request\.(querystring|header)\.(.+)$/.exec(key);
    if (!m) continue; // path parameters are present whenever the resource matched
    const name = m[2]!;
    if (m[1] === 'querystring') {
      if (event.queryStringParameters?.[name] === undefined) absent.push(name);
    } else if (!Object.keys(event.headers).some((h) => h.toLowerCase() === name.toLowerCase())) {
      absent.push(name);
    }
  }
  return absent;
}

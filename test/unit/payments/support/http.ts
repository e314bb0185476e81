import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';

/** A request as a loopback server received it. */
export interface ReceivedRequest {
  readonly method: string;
  readonly url: string;
  readonly headers: Record<string, string>;
  readonly body: string;
}

/** A real HTTP server on 127.0.0.1 that answers each request with `respond`. */
export interface LoopbackServer {
  readonly url: string;
  readonly requests: ReceivedRequest[];
  close(): Promise<void>;
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

function flatHeaders(req: IncomingMessage): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(req.headers)) if (typeof v === 'string') out[k] = v;
  return out;
}

/** Starts a loopback server; `respond` gets each request and returns status, headers and body. */
export async function startLoopbackServer(
  respond: (
    req: ReceivedRequest,
  ) => Promise<{ status: number; headers?: Record<string, string>; body?: string }>,
): Promise<LoopbackServer> {
  const requests: ReceivedRequest[] = [];
  const server: Server = createServer((req, res) => {
    void (async () => {
      const received: ReceivedRequest = {
        method: req.method ?? 'GET',
        url: req.url ?? '/',
        headers: flatHeaders(req),
        body: await readBody(req),
      };
      requests.push(received);
      try {
        const answer = await respond(received);
        res.writeHead(answer.status, answer.headers ?? {});
        res.end(answer.body ?? '');
      } catch (err) {
        res.writeHead(599);
        res.end(String(err));
      }
    })();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((err) => (err ? reject(err) : resolve()));
      }),
  };
}

/** The API Gateway REST proxy event for a received request, as API Gateway would build it. */
export function toApiGatewayEvent(req: ReceivedRequest): APIGatewayProxyEvent {
  const path = req.url.split('?')[0] ?? '/';
  return {
    httpMethod: req.method,
    path,
    resource: path,
    headers: req.headers,
    multiValueHeaders: {},
    queryStringParameters: null,
    multiValueQueryStringParameters: null,
    pathParameters: null,
    stageVariables: null,
    body: req.body,
    isBase64Encoded: false,
    requestContext: {} as APIGatewayProxyEvent['requestContext'],
  };
}

/** A loopback server that hands every request to an API Gateway proxy handler. */
export function serveApiHandler(
  handler: (event: APIGatewayProxyEvent) => Promise<APIGatewayProxyResult>,
): Promise<LoopbackServer> {
  return startLoopbackServer(async (req) => {
    const result = await handler(toApiGatewayEvent(req));
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries(result.headers ?? {})) headers[k] = String(v);
    return { status: result.statusCode, headers, body: result.body };
  });
}

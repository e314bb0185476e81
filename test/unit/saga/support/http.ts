import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';

/** One request the loopback API received and what the handler answered. */
export interface Exchange {
  readonly path: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
  readonly status: number;
  readonly response: string;
}

/** A real HTTP server on 127.0.0.1 that fronts an API Gateway proxy handler, like API Gateway does. */
export interface LoopbackApi {
  readonly url: string;
  readonly exchanges: readonly Exchange[];
  close(): Promise<void>;
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

/** Serves `handler` on a free loopback port; every request becomes a REST proxy event for `resource`. */
export async function serveApi(
  resource: string,
  handler: (event: APIGatewayProxyEvent) => Promise<APIGatewayProxyResult>,
): Promise<LoopbackApi> {
  const exchanges: Exchange[] = [];
  const server = createServer((req, res) => {
    void (async () => {
      const headers: Record<string, string> = {};
      for (const [k, v] of Object.entries(req.headers)) if (typeof v === 'string') headers[k] = v;
      const body = await readBody(req);
      const path = (req.url ?? '/').split('?')[0] ?? '/';
      let result: APIGatewayProxyResult;
      try {
        result = await handler({
          resource,
          path,
          httpMethod: req.method ?? 'GET',
          headers,
          multiValueHeaders: {},
          queryStringParameters: null,
          multiValueQueryStringParameters: null,
          pathParameters: null,
          stageVariables: null,
          requestContext: {} as APIGatewayProxyEvent['requestContext'],
          body,
          isBase64Encoded: false,
        });
      } catch (err) {
        // A handler that throws is a 502 at API Gateway; record it so the test sees it.
        result = { statusCode: 502, body: String(err) };
      }
      exchanges.push({ path, headers, body, status: result.statusCode, response: result.body });
      const outHeaders: Record<string, string> = {};
      for (const [k, v] of Object.entries(result.headers ?? {})) outHeaders[k] = String(v);
      res.writeHead(result.statusCode, outHeaders);
      res.end(result.body);
    })();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    exchanges,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((err) => (err ? reject(err) : resolve()));
      }),
  };
}

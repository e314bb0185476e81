/**
 * A region's control endpoint (loopback only): the inbound side of the replication link, and what the
 * supervisor and the `meridian` CLI ask of a region (status, link settings, a table's items for comparison).
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ControlServerOptions {
  readonly port: number;
  readonly receiver: { handle(body: unknown): Promise<{ status: number; body: unknown }> };
  readonly status: () => Promise<unknown>;
  readonly scanTable: (table: string) => Promise<unknown[]>;
  readonly outbox: () => unknown;
  readonly log?: (line: string) => void;
}

const MAX_BODY = 10 * 1024 * 1024;

class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

async function readJson(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY) throw new HttpError(413, 'RequestTooLarge', `body over ${MAX_BODY} bytes`);
    chunks.push(chunk as Buffer);
  }
  const text = Buffer.concat(chunks).toString('utf8');
  try {
    return text.length === 0 ? {} : (JSON.parse(text) as unknown);
  } catch {
    throw new HttpError(400, 'SerializationException', 'body is not JSON');
  }
}

function send(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

/** Starts the control server on 127.0.0.1. */
export async function controlServer(
  options: ControlServerOptions,
): Promise<{ port: number; close(): Promise<void> }> {
  const route = async (req: IncomingMessage): Promise<{ status: number; body: unknown }> => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const p = url.pathname;
    if (req.method === 'POST' && p === '/_meridian/link') return options.receiver.handle(await readJson(req));
    if (req.method === 'GET' && p === '/_meridian/ping') return { status: 200, body: { ok: true } };
    if (req.method === 'GET' && p === '/_meridian/status')
      return { status: 200, body: await options.status() };
    if (req.method === 'GET' && p.startsWith('/_meridian/tables/')) {
      const table = decodeURIComponent(p.slice('/_meridian/tables/'.length));
      return { status: 200, body: { table, items: await options.scanTable(table) } };
    }
    if (req.method === 'GET' && p === '/_meridian/outbox')
      return { status: 200, body: await options.outbox() };
    throw new HttpError(404, 'NotFound', `no control route ${req.method} ${p}`);
  };
  const server = createServer((req, res) => {
    route(req).then(
      (out) => send(res, out.status, out.body),
      (err: unknown) => {
        if (err instanceof HttpError) {
          send(res, err.status, { error: { code: err.code, message: err.message } });
          return;
        }
        const message = err instanceof Error ? err.message : String(err);
        options.log?.(`${req.method} ${req.url}: ${message}`);
        const notFound = /ResourceNotFound|not found|does not exist/i.test(message);
        send(res, notFound ? 404 : 500, {
          error: { code: notFound ? 'NotFound' : 'InternalFailure', message },
        });
      },
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, '127.0.0.1', () => resolve());
  });
  return {
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** Shared plumbing of the messaging endpoints: listen on loopback, read bounded bodies, close cleanly. */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

/** A running endpoint, as every local service returns it. */
export interface LocalEndpoint {
  readonly port: number;
  readonly endpoint: string;
  close(): Promise<void>;
}

/** Thrown by {@link readBody} past the size limit. */
export class BodyTooLargeError extends Error {
  override readonly name = 'BodyTooLargeError';
}

/** Reads the request body, rejecting past `limit` bytes (after draining, so the client reads the answer). */
export function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= limit) chunks.push(chunk);
    });
    req.on('end', () => (size > limit ? reject(new BodyTooLargeError()) : resolve(Buffer.concat(chunks))));
    req.on('error', reject);
  });
}

/** Answers one request; a throw that escapes the handler is the handler's own internal-failure answer. */
export type RequestHandler = (req: IncomingMessage, res: ServerResponse) => Promise<void>;

/** Starts `handler` on 127.0.0.1:`port` and returns the endpoint. */
export async function listen(
  port: number | undefined,
  handler: RequestHandler,
  log: (line: string) => void,
  onClose?: () => void,
): Promise<LocalEndpoint> {
  const server = createServer((req, res) => {
    res.on('error', () => undefined);
    handler(req, res).catch((err: unknown) => {
      log(`internal failure: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
      if (!res.headersSent && !res.destroyed) {
        res.writeHead(500, { 'Content-Type': 'text/plain' });
        res.end('InternalFailure');
      } else res.destroy();
    });
  });
  server.on('clientError', (_err: Error, socket: Socket) => {
    if (socket.writable)
      socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
    else socket.destroy();
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port ?? 0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const actual = (server.address() as AddressInfo).port;
  return {
    port: actual,
    endpoint: `http://127.0.0.1:${actual}`,
    close: () =>
      new Promise<void>((resolve) => {
        onClose?.();
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

import {
  createServer,
  request as httpRequest,
  type IncomingHttpHeaders,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from 'node:http';
import type { AddressInfo } from 'node:net';

/** One request a fake server received. */
export interface Received {
  readonly method: string;
  /** Path and query below the stage (`/orders?customerId=…`). */
  readonly path: string;
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
}

/** A scripted HTTP answer: `raw` is sent as is, else `body` as JSON. */
export interface ScriptedReply {
  readonly status: number;
  readonly body?: unknown;
  readonly raw?: string;
  readonly headers?: Record<string, string>;
}

/** A scripted answer, or a misbehaviour: `reset` drops the connection, `hang` never answers. */
export type Scripted = ScriptedReply | 'reset' | 'hang';

/**
 * A stand-in for one region's API under the stage `/v1`. Answers scripted replies first (one per request),
 * then its default: 201 with an order for POST /orders, else 200 echoing the path; every answer carries
 * `x-meridian-region`. `down` resets every connection, like a killed region.
 */
export class FakeRegion {
  readonly received: Received[] = [];
  readonly script: Scripted[] = [];
  down = false;
  private server: Server | undefined;
  private port = 0;

  constructor(readonly name: string) {}

  async start(): Promise<this> {
    this.server = createServer((req, res) => this.handle(req, res));
    this.port = await listen(this.server);
    return this;
  }

  /** The API base URL, stage included. */
  get url(): string {
    return `http://127.0.0.1:${this.port}/v1`;
  }

  /** Requests received on `path` (query included). */
  on(path: string): Received[] {
    return this.received.filter((r) => r.path === path);
  }

  async stop(): Promise<void> {
    await close(this.server);
    this.server = undefined;
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    if (this.down) {
      req.socket.destroy();
      return;
    }
    readBody(req, (body) => {
      const path = (req.url ?? '').replace(/^\/v1/, '');
      this.received.push({ method: req.method ?? '', path, headers: req.headers, body });
      const scripted = this.script.shift();
      if (scripted === 'reset') return void req.socket.destroy();
      if (scripted === 'hang') return;
      const reply = scripted ?? this.defaultReply(req.method ?? '', path);
      const text = reply.raw ?? (reply.body === undefined ? '' : JSON.stringify(reply.body));
      res.writeHead(reply.status, {
        'content-type': 'application/json',
        'x-meridian-region': this.name,
        ...reply.headers,
      });
      res.end(text);
    });
  }

  private defaultReply(method: string, path: string): ScriptedReply {
    if (method === 'POST' && path === '/orders') {
      return {
        status: 201,
        body: { orderId: `ORD-${this.received.length}`, status: 'PENDING', homeRegion: this.name },
      };
    }
    return { status: 200, body: { region: this.name, method, path } };
  }
}

/**
 * A stand-in for the local edge: forwards every request to the region `routeTo` names, adding
 * `X-Meridian-Region`, and answers 502 RegionUnavailable (naming the region) when the region cannot be
 * reached — as the real edge does.
 */
export class FakeEdge {
  readonly received: Received[] = [];
  routeTo: string;
  private server: Server | undefined;
  private port = 0;

  constructor(
    private readonly regions: readonly FakeRegion[],
    routeTo: string,
  ) {
    this.routeTo = routeTo;
  }

  async start(): Promise<this> {
    this.server = createServer((req, res) => this.handle(req, res));
    this.port = await listen(this.server);
    return this;
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  async stop(): Promise<void> {
    await close(this.server);
    this.server = undefined;
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    readBody(req, (body) => {
      const path = req.url ?? '';
      this.received.push({ method: req.method ?? '', path, headers: req.headers, body });
      const region = this.regions.find((r) => r.name === this.routeTo)!;
      const unavailable = (reason: string) => {
        res.writeHead(502, { 'content-type': 'application/json', 'X-Meridian-Region': region.name });
        res.end(
          JSON.stringify({ error: { code: 'RegionUnavailable', message: reason, region: region.name } }),
        );
      };
      const headers = { ...req.headers };
      delete headers.host;
      const upstream = httpRequest(
        `${region.url}${path}`,
        { method: req.method, headers, agent: false },
        (ures) => {
          const chunks: Buffer[] = [];
          ures.on('data', (c: Buffer) => chunks.push(c));
          ures.on('error', () => unavailable('broken response'));
          ures.on('end', () => {
            // Like the real edge: its own X-Meridian-Region replaces the region's.
            res.writeHead(ures.statusCode ?? 502, { ...ures.headers, 'x-meridian-region': region.name });
            res.end(Buffer.concat(chunks));
          });
        },
      );
      upstream.on('error', (err: NodeJS.ErrnoException) => unavailable(err.code ?? err.message));
      upstream.end(body);
    });
  }
}

/** A loopback port nothing listens on (bound, then released). */
export async function closedPortUrl(): Promise<string> {
  const server = createServer();
  const port = await listen(server);
  await close(server);
  return `http://127.0.0.1:${port}/v1`;
}

/** A clock the test moves by hand. */
export class ManualClock {
  constructor(public ms = 1_000_000) {}
  readonly now = (): number => this.ms;
  advance(ms: number): void {
    this.ms += ms;
  }
}

/** A sleep that returns at once and records what it was asked to wait. */
export function recordingSleep(): {
  readonly delays: number[];
  readonly sleep: (ms: number) => Promise<void>;
} {
  const delays: number[] = [];
  return {
    delays,
    sleep: (ms) => {
      delays.push(ms);
      return Promise.resolve();
    },
  };
}

function readBody(req: IncomingMessage, done: (body: string) => void): void {
  const chunks: Buffer[] = [];
  req.on('data', (c: Buffer) => chunks.push(c));
  req.on('end', () => done(Buffer.concat(chunks).toString('utf8')));
}

function listen(server: Server): Promise<number> {
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port)),
  );
}

function close(server: Server | undefined): Promise<void> {
  if (server === undefined) return Promise.resolve();
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
}

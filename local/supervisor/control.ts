/**
 * The supervisor's control endpoint on loopback, which the `meridian` CLI drives: region kill/restore, link
 * partition/heal/lag, status. Its address is written to `<stateDir>/runtime.json` while `meridian up` runs.
 */
import { rmSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import * as path from 'node:path';
import type { RegionPorts } from '../region/config';
import type { Runtime } from './runtime';

/** What `<stateDir>/runtime.json` holds. */
export interface RuntimeFile {
  readonly pid: number;
  readonly controlUrl: string;
  readonly edgeUrl: string;
  readonly regions: readonly string[];
  /** The runtime's time scale (health checks, TTLs, retries and waits are divided by it). */
  readonly timeScale: number;
  /** The environment's resource prefix: the `meridian:environment` tag of the edge's health checks. */
  readonly environment: string;
  /**
   * `meridian up`'s override of the takeover grace period, in AWS seconds (every region runs it divided
   * by the time scale, rounded up); absent when the template's TAKEOVER_GRACE_SECONDS applies.
   */
  readonly takeoverGraceSeconds?: number;
  /** Each region's API base URL, control URL and AWS-compatible service ports (drills use them). */
  readonly endpoints: Readonly<
    Record<string, { apiBaseUrl: string; controlUrl: string; ports: RegionPorts }>
  >;
}

/** The file the CLI reads to find a running `meridian up`. */
export function runtimeFilePath(stateDir: string): string {
  return path.join(stateDir, 'runtime.json');
}

async function body(req: IncomingMessage): Promise<Record<string, unknown>> {
  let text = '';
  for await (const chunk of req) {
    text += String(chunk);
    if (text.length > 65_536) throw new RequestError('body too large');
  }
  if (!text) return {};
  const parsed = JSON.parse(text) as unknown;
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))
    throw new RequestError('expected a JSON object');
  return parsed as Record<string, unknown>;
}

class RequestError extends Error {}

/** Serves the runtime's controls; `close()` removes runtime.json. */
export async function supervisorControl(
  runtime: Runtime,
  options: { port?: number } = {},
): Promise<{ url: string; close(): Promise<void> }> {
  const handle = async (req: IncomingMessage): Promise<unknown> => {
    const parts = new URL(req.url ?? '/', 'http://localhost').pathname
      .split('/')
      .filter(Boolean)
      .map(decodeURIComponent);
    const [resource, a, b, action] = parts;
    if (req.method === 'GET' && resource === 'status' && parts.length === 1) return runtime.status();
    if (
      req.method === 'POST' &&
      resource === 'regions' &&
      a &&
      (b === 'kill' || b === 'restore') &&
      parts.length === 3
    ) {
      if (b === 'kill') await runtime.kill(a);
      else await runtime.restore(a);
      return { region: a, action: b, processes: runtime.processes() };
    }
    if (req.method === 'POST' && resource === 'links' && a && b && action && parts.length === 4) {
      if (action === 'partition') runtime.partition(a, b);
      else if (action === 'heal') runtime.heal(a, b);
      else if (action === 'lag') {
        const ms = (await body(req)).ms;
        if (typeof ms !== 'number') throw new RequestError('lag: body must be { "ms": <number> }');
        runtime.setLag(a, b, ms);
      } else throw new RequestError(`unknown link action ${action} (partition, heal, lag)`);
      return { links: runtime.links() };
    }
    throw new RequestError(`no control route ${req.method} /${parts.join('/')}`);
  };
  const server = createServer((req, res) => {
    handle(req).then(
      (out) => {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify(out));
      },
      (err: unknown) => {
        const message = err instanceof Error ? err.message : String(err);
        res.writeHead(
          err instanceof RequestError ||
            err instanceof SyntaxError ||
            /unknown region|must|different/.test(message)
            ? 400
            : 500,
          {
            'content-type': 'application/json',
          },
        );
        res.end(JSON.stringify({ error: { message } }));
      },
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => resolve());
  });
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const file = runtimeFilePath(runtime.stateDir);
  const content: RuntimeFile = {
    pid: process.pid,
    controlUrl: url,
    edgeUrl: runtime.edge.endpoint,
    regions: runtime.regions,
    timeScale: runtime.timeScale,
    environment: runtime.environment,
    ...(runtime.takeoverGraceSeconds !== undefined && { takeoverGraceSeconds: runtime.takeoverGraceSeconds }),
    endpoints: runtime.endpoints,
  };
  writeFileSync(file, JSON.stringify(content, null, 2));
  return {
    url,
    close: () =>
      new Promise<void>((resolve) => {
        rmSync(file, { force: true });
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

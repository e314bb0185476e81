import {
  Agent as HttpAgent,
  request as httpRequest,
  type IncomingMessage,
  type ServerResponse,
} from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { HOP_BY_HOP, connectionListed } from '../hop-by-hop';

// The hop-by-hop fields, and `host` (rewritten for the region).
const NOT_RELAYED = new Set([...HOP_BY_HOP, 'host']);

/** The keep-alive agents the edge uses towards the regions; destroy them on close. */
export interface UpstreamAgents {
  readonly http: HttpAgent;
  readonly https: HttpsAgent;
}

/** Agents with keep-alive, so the edge does not open one loopback connection per request. */
export function createUpstreamAgents(): UpstreamAgents {
  // Node retires a pooled socket a second before the server's announced Keep-Alive timeout.
  return {
    http: new HttpAgent({ keepAlive: true, timeout: 4000 }),
    https: new HttpsAgent({ keepAlive: true, timeout: 4000 }),
  };
}

/** What the proxy should do with one request. */
export interface ProxyTarget {
  readonly region: string;
  /** The region's API base URL, stage included (`http://127.0.0.1:4100/v1`). */
  readonly apiBaseUrl: string;
  /** Headers to add to the response (X-Meridian-Region, …). */
  readonly responseHeaders: Readonly<Record<string, string>>;
}

/** Sends the edge's 502: what a client would otherwise see as a connection error. */
export function sendRegionUnavailable(res: ServerResponse, target: ProxyTarget, reason: string): void {
  if (res.headersSent || res.destroyed) return;
  const body = JSON.stringify({
    error: {
      code: 'RegionUnavailable',
      message: `The edge could not reach region ${target.region} (${reason}). The edge answers like DNS and does not retry another region; retry later or re-resolve.`,
      region: target.region,
    },
  });
  res.writeHead(502, {
    ...target.responseHeaders,
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(body),
  });
  res.end(body);
}

/**
 * Forwards one request to `<apiBaseUrl><path and query>` and streams the answer back: method, body and
 * end-to-end headers as received (Host rewritten), status and response headers as the region sent them,
 * plus the target's headers. A refused or broken connection before the response is a 502
 * `RegionUnavailable`; a break in the middle of the response body ends the client's connection (the client
 * sees the same truncated answer it would see from the region). Never throws.
 */
export function forward(
  req: IncomingMessage,
  res: ServerResponse,
  pathAndQuery: string,
  target: ProxyTarget,
  agents: UpstreamAgents,
): void {
  let base: URL;
  try {
    base = new URL(target.apiBaseUrl);
  } catch {
    sendRegionUnavailable(res, target, `invalid API base URL ${target.apiBaseUrl}`);
    req.resume();
    return;
  }
  const https = base.protocol === 'https:';
  const basePath = base.pathname.endsWith('/') ? base.pathname.slice(0, -1) : base.pathname;

  const dropped = connectionListed(req.headers.connection);
  const headers: Record<string, string | string[]> = {};
  for (const [name, values] of Object.entries(req.headersDistinct)) {
    if (NOT_RELAYED.has(name) || dropped.has(name) || values === undefined) continue;
    headers[name] = values.length === 1 ? values[0]! : values;
  }
  headers.host = base.host;

  let clientGone = false;
  const upstream = (https ? httpsRequest : httpRequest)({
    protocol: base.protocol,
    hostname: base.hostname.startsWith('[') ? base.hostname.slice(1, -1) : base.hostname,
    port: base.port || (https ? 443 : 80),
    method: req.method,
    path: `${basePath}${pathAndQuery}`,
    headers,
    agent: https ? agents.https : agents.http,
  });

  upstream.on('response', (ures) => {
    ures.on('error', () => res.destroy());
    if (clientGone) {
      ures.destroy();
      return;
    }
    const droppedOut = connectionListed(ures.headers.connection);
    const ours = new Set(Object.keys(target.responseHeaders).map((n) => n.toLowerCase()));
    const raw: string[] = [];
    for (let i = 0; i + 1 < ures.rawHeaders.length; i += 2) {
      const name = ures.rawHeaders[i]!;
      const lower = name.toLowerCase();
      if (NOT_RELAYED.has(lower) || droppedOut.has(lower) || ours.has(lower)) continue;
      raw.push(name, ures.rawHeaders[i + 1]!);
    }
    for (const [name, value] of Object.entries(target.responseHeaders)) raw.push(name, value);
    try {
      res.writeHead(ures.statusCode ?? 502, ures.statusMessage, raw);
    } catch (err) {
      // A header the region sent that Node refuses to write again: answer 502 rather than crash.
      ures.destroy();
      sendRegionUnavailable(res, target, `unforwardable response header: ${(err as Error).message}`);
      return;
    }
    ures.pipe(res);
  });

  upstream.on('error', (err: NodeJS.ErrnoException) => {
    if (clientGone) return;
    if (!res.headersSent) {
      sendRegionUnavailable(res, target, err.code ?? err.message);
      req.resume();
    } else {
      res.destroy();
    }
  });

  // The client went away (or finished reading); an unfinished exchange is abandoned upstream too.
  res.on('close', () => {
    if (!res.writableFinished) {
      clientGone = true;
      upstream.destroy();
    }
  });
  req.on('error', () => {
    clientGone = true;
    upstream.destroy();
  });
  req.pipe(upstream);
}

import {
  Agent,
  request,
  type IncomingHttpHeaders,
  type IncomingMessage,
  type ServerResponse,
} from 'node:http';
import { HOP_BY_HOP, connectionListed } from '../hop-by-hop';

/**
 * The header a forwarded request carries to the peer. A request that has it is always served where it
 * lands, so a misconfigured peer map can never bounce a request between regions.
 */
export const FORWARDED_FROM_HEADER = 'x-meridian-forwarded-from';

/** Requests one region's endpoint forwarded to a peer, and how many of them found the peer unreachable. */
export interface PeerForwardStats {
  readonly forwarded: number;
  readonly unreachable: number;
}

/** Distinct unknown regions logged at most (a client sending garbage must not grow memory). */
const MAX_LOGGED_UNKNOWN = 64;
const REGION_NAME = /^[a-z]{2}(-[a-z]+)+-\d$/;
// `AWS4-HMAC-SHA256 Credential=<key>/<yyyymmdd>/<region>/<service>/aws4_request, SignedHeaders=…, Signature=…`
const SIGV4 = /^AWS4-HMAC-SHA256\s+Credential=([^,\s]+)/;

/**
 * The region a request's SigV4 Authorization header is scoped to (the `<region>` of
 * `Credential=<key>/<date>/<region>/<service>/aws4_request`); undefined when the header is absent, not
 * SigV4 or malformed. The signature itself is not checked (the local runtime has no secrets to check it).
 */
export function signingRegionOf(authorization: string | string[] | undefined): string | undefined {
  if (typeof authorization !== 'string') return undefined;
  const credential = SIGV4.exec(authorization)?.[1];
  if (credential === undefined) return undefined;
  const scope = credential.split('/');
  if (scope.length < 5 || scope[scope.length - 1] !== 'aws4_request') return undefined;
  const region = scope[scope.length - 3]!;
  return region.length > 0 ? region : undefined;
}

interface Peer {
  readonly region: string;
  readonly host: string;
  readonly port: number;
  reachable: boolean;
  forwarded: number;
  unreachable: number;
}

/**
 * Routes requests signed for a peer region to that peer's DynamoDB endpoint, as the SDK's request would
 * have gone to `dynamodb.<peer>.amazonaws.com` in AWS: method, path, headers and body unchanged, the
 * answer relayed unchanged. An unreachable peer resets the client's connection, which the SDK sees as
 * ECONNRESET: the same retryable network error class as the ECONNREFUSED of a real unreachable endpoint.
 */
export class PeerProxy {
  private readonly peers = new Map<string, Peer>();
  private readonly agent = new Agent({ keepAlive: true, maxSockets: 64 });
  private readonly loggedUnknown = new Set<string>();

  constructor(
    private readonly self: string,
    peers: Readonly<Record<string, string>>,
    private readonly log: (line: string) => void,
  ) {
    for (const [region, endpoint] of Object.entries(peers)) {
      if (region === self) throw new TypeError(`peers: ${region} is this region, not a peer`);
      if (!REGION_NAME.test(region)) throw new TypeError(`peers: '${region}' is not a region name`);
      let url: URL;
      try {
        url = new URL(endpoint);
      } catch {
        throw new TypeError(`peers.${region}: '${endpoint}' is not a URL`);
      }
      if (url.protocol !== 'http:' || url.pathname !== '/' || url.search !== '' || url.port === '') {
        throw new TypeError(`peers.${region}: '${endpoint}' must be an http://host:port base URL`);
      }
      this.peers.set(region, {
        region,
        host: url.hostname.replace(/^\[|\]$/g, ''),
        port: Number(url.port),
        reachable: true,
        forwarded: 0,
        unreachable: 0,
      });
    }
  }

  /**
   * The peer a request belongs to: the one its signature is scoped to. Own-region, unsigned, malformed and
   * already-forwarded requests stay here, and so does a request for a region outside the runtime (logged
   * once per region name).
   */
  route(headers: IncomingHttpHeaders): string | undefined {
    if (headers[FORWARDED_FROM_HEADER] !== undefined) return undefined;
    const region = signingRegionOf(headers.authorization);
    if (region === undefined || region === this.self) return undefined;
    if (this.peers.has(region)) return region;
    if (!this.loggedUnknown.has(region) && this.loggedUnknown.size < MAX_LOGGED_UNKNOWN) {
      this.loggedUnknown.add(region);
      this.log(
        `dynamodb ${this.self}: requests signed for '${region.slice(0, 64)}', not a region of this runtime, are served by ${this.self}'s replica`,
      );
    }
    return undefined;
  }

  /** Relays one request to a peer and its answer back; settles once the exchange is over, never rejects. */
  forward(region: string, req: IncomingMessage, res: ServerResponse): Promise<void> {
    const peer = this.peers.get(region);
    if (!peer) throw new Error(`${region} is not a peer of ${this.self}`);
    peer.forwarded++;
    return new Promise<void>((resolve) => {
      let over = false;
      // The connection is reset, as a dead endpoint's would be, whatever part of the answer was sent.
      const fail = (err: Error): void => {
        if (over) return;
        over = true;
        peer.unreachable++;
        if (peer.reachable) {
          peer.reachable = false;
          this.log(
            `dynamodb ${this.self}: peer ${region} (${peer.host}:${peer.port}) is unreachable (${(err as NodeJS.ErrnoException).code ?? err.message}); its requests get a connection reset`,
          );
        }
        upstream.destroy();
        if (!req.socket.destroyed) req.socket.resetAndDestroy();
      };
      const upstream = request({
        host: peer.host,
        port: peer.port,
        method: req.method,
        path: req.url,
        headers: { ...relayed(req.headers), [FORWARDED_FROM_HEADER]: this.self },
        agent: this.agent,
      });
      upstream.on('response', (answer) => {
        if (!peer.reachable) {
          peer.reachable = true;
          this.log(`dynamodb ${this.self}: peer ${region} is reachable again`);
        }
        answer.on('close', () => {
          if (!answer.complete) fail(new Error('the peer closed the connection mid-answer'));
        });
        res.writeHead(answer.statusCode ?? 502, relayed(answer.headers));
        answer.pipe(res);
      });
      upstream.on('error', fail);
      req.on('error', () => undefined); // an aborted upload is handled by 'close' below
      // The client gone (or close() ending connections) before the answer ended: abandon the peer's request.
      res.on('close', () => {
        if (!res.writableFinished && !over) {
          over = true;
          upstream.destroy();
        }
        resolve();
      });
      req.pipe(upstream);
    });
  }

  /** Per peer region: requests forwarded and those that found the peer unreachable. */
  stats(): Record<string, PeerForwardStats> {
    return Object.fromEntries(
      [...this.peers.values()].map((p) => [p.region, { forwarded: p.forwarded, unreachable: p.unreachable }]),
    );
  }

  /** Ends the keep-alive connections to the peers. */
  close(): void {
    this.agent.destroy();
  }
}

/**
 * The headers of a message without the hop-by-hop ones and those its `Connection` header lists (Node frames
 * the body again on each side).
 */
function relayed(headers: IncomingHttpHeaders): Record<string, string | string[]> {
  const listed = connectionListed(headers.connection);
  const out: Record<string, string | string[]> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value !== undefined && !HOP_BY_HOP.has(name) && !listed.has(name)) out[name] = value;
  }
  return out;
}

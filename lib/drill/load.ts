/**
 * The drill's steady load: a bounded number of workers placing orders through the edge with the retrying
 * client (one client per client location), paced to a rate; and a DNS-only probe — a plain client that
 * asks the edge for `GET /health` without retrying, which is what a client relying on DNS alone sees.
 */
import { MeridianClient, MeridianUnavailableError, type AttemptRecord } from '../client';

/** One order submission and what came of it. */
export interface SubmissionRecord {
  readonly seq: number;
  readonly idempotencyKey: string;
  /** The client location it was sent from (a region name). */
  readonly location: string;
  readonly sku: string;
  readonly quantity: number;
  readonly startedAt: number;
  readonly endedAt: number;
  /** The final HTTP status; absent when every attempt failed. */
  readonly status?: number;
  readonly orderId?: string;
  /** The region that answered the final attempt. */
  readonly region?: string;
  readonly attempts: readonly AttemptRecord[];
  readonly error?: string;
}

/** One DNS-only probe. */
export interface ProbeRecord {
  readonly at: number;
  readonly ok: boolean;
  readonly status?: number;
  readonly region?: string;
  readonly error?: string;
}

/** Options of {@link startLoad}. */
export interface LoadOptions {
  readonly edgeUrl?: string;
  readonly apiUrls: Readonly<Record<string, string>>;
  /** Client locations, one retrying client each; workers take them in turn. */
  readonly locations: readonly string[];
  readonly concurrency: number;
  /** Order submissions per second, all workers together (real time). */
  readonly ratePerSecond: number;
  readonly runId: string;
  readonly customerId: string;
  /** The SKUs to order; the last one is scarce and gets one order in five. */
  readonly skus: readonly string[];
  readonly timeScale: number;
  /** The client's avoid period, in AWS milliseconds. */
  readonly avoidMs: number;
  /** Every `declineEvery`-th order uses a declining card (0 = never). */
  readonly declineEvery: number;
}

/** A running load. */
export interface Load {
  readonly submissions: SubmissionRecord[];
  /** Stops submitting and waits for the requests in flight. */
  stop(): Promise<void>;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Orders placed by `customerId` with keys `<runId>-<seq>`, over the SKUs in turn. */
export function startLoad(options: LoadOptions): Load {
  const regions = Object.entries(options.apiUrls).map(([region, url]) => ({ region, url }));
  const clients = options.locations.map((location) => {
    // Each location lists its own region first: a client fails over to the nearest other region.
    const ordered = [
      ...regions.filter((r) => r.region === location),
      ...regions.filter((r) => r.region !== location),
    ];
    return new MeridianClient({
      ...(options.edgeUrl && { edgeUrl: options.edgeUrl }),
      regions: ordered,
      location,
      timeScale: options.timeScale,
      avoidMs: options.avoidMs,
      maxAttempts: 5,
      // Real seconds, whatever the time scale: a cold Lambda and a busy laptop must not look like an outage.
      attemptTimeoutMs: 8000 * options.timeScale,
    });
  });
  const submissions: SubmissionRecord[] = [];
  const intervalMs = 1000 / options.ratePerSecond;
  let nextSlot = Date.now();
  let seq = 0;
  let stopping = false;

  const submit = async (n: number): Promise<void> => {
    const location = options.locations[n % options.locations.length]!;
    const client = clients[n % clients.length]!;
    // The last SKU is the scarce one: one order in five asks for it, so it sells out during the drill.
    const sku = n % 5 === 4 ? options.skus.at(-1)! : options.skus[n % Math.max(1, options.skus.length - 1)]!;
    const quantity = 1;
    const idempotencyKey = `${options.runId}-${n}`;
    const declined = options.declineEvery > 0 && n % options.declineEvery === options.declineEvery - 1;
    const startedAt = Date.now();
    const record = { seq: n, idempotencyKey, location, sku, quantity, startedAt };
    try {
      const res = await client.createOrder<{ orderId?: string }>(
        {
          customerId: options.customerId,
          currency: 'EUR',
          lines: [{ productId: sku, quantity, unitPrice: 12.5 }],
          paymentToken: declined ? 'tok_chargeDeclined' : 'tok_visa',
        },
        { idempotencyKey },
      );
      submissions.push({
        ...record,
        endedAt: Date.now(),
        status: res.status,
        ...(typeof res.body?.orderId === 'string' && { orderId: res.body.orderId }),
        ...(res.region && { region: res.region }),
        attempts: res.attempts,
      });
    } catch (err) {
      submissions.push({
        ...record,
        endedAt: Date.now(),
        attempts: err instanceof MeridianUnavailableError ? err.attempts : [],
        error: err instanceof Error ? err.message : String(err),
      });
    }
  };

  const worker = async (): Promise<void> => {
    while (!stopping) {
      // A shared schedule: each submission takes the next slot, so the rate holds whatever the latency.
      const slot = nextSlot;
      nextSlot = Math.max(nextSlot + intervalMs, Date.now() - intervalMs);
      const wait = slot - Date.now();
      if (wait > 0) await sleep(wait);
      if (stopping) return;
      await submit(seq++);
    }
  };
  const workers = Array.from({ length: options.concurrency }, () => worker());
  return {
    submissions,
    async stop() {
      stopping = true;
      await Promise.all(workers);
    },
  };
}

/** A running DNS-only probe. */
export interface Probe {
  readonly records: ProbeRecord[];
  stop(): Promise<void>;
}

/** `GET <edge>/health` from `location` every `intervalMs`, one attempt each, answer cache honoured. */
export function startProbe(edgeUrl: string, location: string, intervalMs: number, timeoutMs: number): Probe {
  const records: ProbeRecord[] = [];
  let stopping = false;
  const loop = async () => {
    while (!stopping) {
      const started = Date.now();
      try {
        const res = await fetch(`${edgeUrl}/health`, {
          headers: { 'x-meridian-client-location': location, accept: 'application/json' },
          signal: AbortSignal.timeout(timeoutMs),
        });
        await res.arrayBuffer();
        const region = res.headers.get('x-meridian-region') ?? undefined;
        records.push({ at: Date.now(), ok: res.ok, status: res.status, ...(region && { region }) });
      } catch (err) {
        records.push({ at: Date.now(), ok: false, error: err instanceof Error ? err.message : String(err) });
      }
      const wait = intervalMs - (Date.now() - started);
      if (wait > 0 && !stopping) await sleep(wait);
    }
  };
  const running = loop();
  return {
    records,
    async stop() {
      stopping = true;
      await running;
    },
  };
}

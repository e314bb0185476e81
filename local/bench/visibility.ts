/**
 * Cross-region visibility: how long after an order is written in its home region it can be read in every
 * other region's replica, and how much of that is the link's configured lag versus the replication path's
 * own time (change capture, outbox, shipper, receiver, apply).
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';
import { orderKey } from '../../services/orders/adapters/dynamo-order-repository';
import { loopback } from '../region/config';
import type { Runtime } from '../supervisor/runtime';
import { summarizeLatencies, type LatencySummary } from './metrics';

/** What {@link measureVisibility} reports. */
export interface VisibilityResult {
  /** Orders placed (one at a time, home regions in turn); each is read from every peer. */
  readonly orders: number;
  /** Order × peer readings; a reading that timed out is counted in `timedOut`, not in the summaries. */
  readonly readings: number;
  readonly timedOut: number;
  /** The one-way lag configured on the links while measuring (the same on every link), ms. */
  readonly linkLagMs: number;
  /** The order's write in its home region (its `createdAt`) → the first read that finds it in a peer. */
  readonly writeToVisibleMs: LatencySummary;
  /** The same less the link lag: the replication path's own share. */
  readonly ownMs: LatencySummary;
  /** The 201 at the client → visible in a peer: what a client switching regions after the ack sees. */
  readonly acknowledgementToVisibleMs: LatencySummary;
  /** How often a peer's replica is read while waiting, ms. */
  readonly pollMs: number;
}

export interface VisibilityOptions {
  readonly runtime: Runtime;
  /** The orders table's physical name (the same in every region). */
  readonly ordersTable: string;
  /** How many orders to place. */
  readonly orders: number;
  /** Builds the body of order `i` (the bench's own customer and SKU). */
  readonly body: (i: number) => unknown;
  /** Idempotency-Key prefix. */
  readonly keyPrefix: string;
  /**
   * Awaited before each order, so that no earlier order's work (its saga's writes, replicated in order on
   * the same link) is ahead of it: the figures are those of an idle runtime. @default none
   */
  readonly settle?: () => Promise<void>;
  /** @default 2 */
  readonly pollMs?: number;
  /** A reading gives up after this long, ms. @default 30000 */
  readonly timeoutMs?: number;
  readonly log?: (line: string) => void;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Places orders one at a time straight at each region's API and times their arrival in every peer. */
export async function measureVisibility(options: VisibilityOptions): Promise<VisibilityResult> {
  const { runtime } = options;
  const regions = [...runtime.regions];
  const pollMs = options.pollMs ?? 2;
  const timeoutMs = options.timeoutMs ?? 30_000;
  const links = runtime.links();
  const lags = new Set(
    regions.flatMap((a) => regions.filter((b) => b !== a).map((b) => links[a]![b]!.lagMs)),
  );
  if (lags.size !== 1) throw new Error(`the links have different lags (${[...lags].join(', ')} ms)`);
  const linkLagMs = [...lags][0]!;
  const documents = Object.fromEntries(
    regions.map((r) => [
      r,
      DynamoDBDocumentClient.from(
        new DynamoDBClient({
          region: r,
          endpoint: loopback(runtime.endpoints[r]!.ports.dynamodb),
          credentials: { accessKeyId: 'bench', secretAccessKey: 'bench' },
          maxAttempts: 1,
        }),
      ),
    ]),
  );

  const writeToVisible: number[] = [];
  const ackToVisible: number[] = [];
  let readings = 0;
  let timedOut = 0;
  try {
    for (let i = 0; i < options.orders; i++) {
      const home = regions[i % regions.length]!;
      await options.settle?.();
      const res = await fetch(`${runtime.endpoints[home]!.apiBaseUrl}/orders`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'idempotency-key': `${options.keyPrefix}-${i}` },
        body: JSON.stringify(options.body(i)),
      });
      const ackAt = Date.now();
      const out = (await res.json()) as { orderId?: string; createdAt?: string };
      if (res.status !== 201 || !out.orderId || !out.createdAt) {
        throw new Error(`POST /orders in ${home}: HTTP ${res.status} ${JSON.stringify(out)}`);
      }
      const writtenAt = Date.parse(out.createdAt);
      const key = orderKey(out.orderId);
      await Promise.all(
        regions
          .filter((r) => r !== home)
          .map(async (peer) => {
            readings += 1;
            const deadline = ackAt + timeoutMs;
            for (;;) {
              const { Item } = await documents[peer]!.send(
                new GetCommand({ TableName: options.ordersTable, Key: key, ConsistentRead: true }),
              );
              const now = Date.now();
              if (Item) {
                writeToVisible.push(now - writtenAt);
                ackToVisible.push(now - ackAt);
                return;
              }
              if (now > deadline) {
                timedOut += 1;
                options.log?.(`visibility: ${out.orderId} not in ${peer} after ${timeoutMs} ms`);
                return;
              }
              await sleep(pollMs);
            }
          }),
      );
    }
  } finally {
    for (const d of Object.values(documents)) d.destroy();
  }
  return {
    orders: options.orders,
    readings,
    timedOut,
    linkLagMs,
    writeToVisibleMs: summarizeLatencies(writeToVisible),
    ownMs: summarizeLatencies(writeToVisible.map((ms) => ms - linkLagMs)),
    acknowledgementToVisibleMs: summarizeLatencies(ackToVisible),
    pollMs,
  };
}

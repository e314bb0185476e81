import { randomBytes } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { crc32 } from 'node:zlib';
import dynalite from 'dynalite';
import type { TableModel } from '../assembly/model';
import { Backend, DynamoError, TARGET_PREFIX, errorOf, type RawResponse } from './backend';
import { IntentJournal } from './intents';
import { extractKey, type AttributeMap, type KeySchema } from './keys';
import { KeyedMutex } from './mutex';
import { PeerProxy, type PeerForwardStats } from './peer-proxy';

/** The hidden dynalite table holding each item's last-writer-wins version and the TTL settings. */
export const REPLICATION_TABLE = '__meridian_replication';

/**
 * One committed write, as shipped to the other replicas. `image` is the whole item after the write
 * (absent: the item is deleted). `ts` is milliseconds since the epoch, strictly increasing per region
 * and above every timestamp this region has seen; `(ts, origin)` orders versions for last-writer-wins.
 */
export interface ReplicationChange {
  readonly table: string;
  readonly key: AttributeMap;
  readonly image?: AttributeMap;
  readonly ts: number;
  readonly origin: string;
}

/** The name the region wiring uses for a ReplicationChange. */
export type ChangeRecord = ReplicationChange;

/** What apply() did with a peer's change. `no-table`: this region has no replica of the table. */
export type ApplyResult = 'applied' | 'stale' | 'no-table';

export interface RegionalDynamoOptions {
  readonly region: string;
  /** The port of the DynamoDB endpoint. @default 0 (ephemeral) */
  readonly port?: number;
  /** dynalite keeps its LevelDB under `<dir>/data`; in memory when undefined. */
  readonly dir?: string;
  /** The tables of this region (created when missing). */
  readonly tables: readonly TableModel[];
  readonly clock?: { now(): number };
  /** Divides the default TTL sweep interval. @default 1 */
  readonly timeScale?: number;
  /** How often expired items are deleted. @default 60000 / timeScale */
  readonly ttlSweepIntervalMs?: number;
  /**
   * The other regions' DynamoDB endpoints (`{ 'eu-west-1': 'http://127.0.0.1:4121' }`). A request whose
   * SigV4 signature is scoped to one of them is relayed there unchanged, as an SDK client created with
   * `region: <peer>` would reach that region's endpoint in AWS. @default {} (everything is served here)
   */
  readonly peers?: Readonly<Record<string, string>>;
  readonly log?: (line: string) => void;
}

/** Counters of the regional layer. */
export interface RegionalDynamoStats {
  /** Local writes captured (each emitted one change). */
  readonly writes: number;
  readonly replicatedApplied: number;
  readonly replicatedStale: number;
  readonly ttlDeleted: number;
  /**
   * Write request units of the local writes, as on-demand DynamoDB would bill them: per item written,
   * ceil(item size / 1 KB) (at least 1; a delete counts 1), plus the same again for every GSI the new image
   * is in. The size is DynamoDB's item size (names + values) of the image after the write.
   */
  readonly writeUnits: number;
  /** Write units (same rule) of the peers' changes applied here: Global Tables' replicated writes (rWRU). */
  readonly replicatedWriteUnits: number;
  /** Successful client read requests: GetItem, Query and Scan count 1 each, BatchGetItem 1 per key asked. */
  readonly reads: number;
  /**
   * Read request units of those reads: ceil(response bytes / 4 KB) (at least 1 per request, or per key of a
   * BatchGetItem), halved for eventually consistent reads. The JSON answer is a little larger than DynamoDB's
   * item size, so this errs high.
   */
  readonly readUnits: number;
  /**
   * Per peer region: the requests signed for it that this endpoint relayed there, and how many of them found
   * it unreachable. The peer counts their reads and writes, as their region does in AWS.
   */
  readonly peerRequests: Record<string, PeerForwardStats>;
  readonly tables: string[];
}

type Json = Record<string, unknown>;
type WriteOp = 'PutItem' | 'UpdateItem' | 'DeleteItem' | 'BatchWriteItem';

interface WriteTarget {
  readonly table: string;
  readonly key: AttributeMap;
  readonly lockKey: string;
}

const WRITE_OPS = new Set<string>(['PutItem', 'UpdateItem', 'DeleteItem', 'BatchWriteItem']);
const PASS_THROUGH = new Set<string>([
  'BatchGetItem',
  'CreateTable',
  'DeleteTable',
  'DescribeTable',
  'GetItem',
  'Query',
  'Scan',
  'TagResource',
  'UntagResource',
  'ListTagsOfResource',
  'UpdateTable',
]);
/** The read operations counted in `stats().reads` / `readUnits`. */
const READ_OPS = new Set<string>(['GetItem', 'BatchGetItem', 'Query', 'Scan']);
const UNSUPPORTED: Readonly<Record<string, string>> = {
  TransactWriteItems: 'transactions',
  TransactGetItems: 'transactions',
  ExecuteStatement: 'PartiQL',
  BatchExecuteStatement: 'PartiQL',
  ExecuteTransaction: 'PartiQL',
};
/** dynalite's own request limit. */
const MAX_BODY_BYTES = 16 * 1024 * 1024;
/** AWS does not delete items whose TTL is more than five years in the past. */
const TTL_MAX_AGE_SECONDS = 5 * 365 * 24 * 3600;
const TTL_PREFIX = '#ttl#';

const validation = (field: string, constraint: string): DynamoError =>
  new DynamoError(
    'ValidationException',
    `1 validation error detected: Value at '${field}' failed to satisfy constraint: ${constraint}`,
  );

const notFound = (table: string): DynamoError =>
  new DynamoError('ResourceNotFoundException', `Requested resource not found: Table: ${table} not found`);

/**
 * A region's DynamoDB endpoint: dynalite (LevelDB on disk, or memory) behind a proxy speaking the DynamoDB
 * JSON 1.0 protocol. The proxy serializes writes per item, captures every committed write as a
 * ReplicationChange (delivered to listeners before the client's reply), applies peers' changes
 * last-writer-wins, and sweeps expired TTL items.
 */
export class RegionalDynamo {
  readonly region: string;
  readonly port: number;
  readonly endpoint: string;

  private readonly mutex = new KeyedMutex();
  private readonly listeners: ((change: ReplicationChange) => void)[] = [];
  private readonly schemas = new Map<string, KeySchema>();
  private readonly ttl = new Map<string, string>();
  private readonly inflight = new Set<Promise<unknown>>();
  private readonly clock: { now(): number };
  private readonly log: (line: string) => void;
  private lastTs = 0;
  private counters = {
    writes: 0,
    replicatedApplied: 0,
    replicatedStale: 0,
    ttlDeleted: 0,
    writeUnits: 0,
    replicatedWriteUnits: 0,
    reads: 0,
    readUnits: 0,
  };
  private sweeper: NodeJS.Timeout | undefined;
  private sweeping: Promise<number> | undefined;
  private closed = false;
  /** The write-ahead journal of captured writes (on disk only: an in-memory region loses everything anyway). */
  private readonly journal: IntentJournal | undefined;

  private constructor(
    private readonly opts: RegionalDynamoOptions,
    private readonly db: Server,
    private readonly backend: Backend,
    private readonly server: Server,
    private readonly peers: PeerProxy,
    port: number,
  ) {
    this.region = opts.region;
    this.port = port;
    this.endpoint = `http://127.0.0.1:${port}`;
    this.clock = opts.clock ?? { now: () => Date.now() };
    this.log = opts.log ?? (() => undefined);
    this.journal = opts.dir ? new IntentJournal(join(opts.dir, 'write-intents.jsonl')) : undefined;
  }

  /** Starts dynalite and the endpoint, creates the model's tables when missing, starts the TTL sweeper. */
  static async start(opts: RegionalDynamoOptions): Promise<RegionalDynamo> {
    // First, so a bad peer map fails before anything listens.
    const peers = new PeerProxy(opts.region, opts.peers ?? {}, opts.log ?? (() => undefined));
    if (opts.dir) mkdirSync(opts.dir, { recursive: true });
    const db = dynalite({
      ...(opts.dir && { path: join(opts.dir, 'data') }),
      createTableMs: 0,
      deleteTableMs: 0,
      updateTableMs: 0,
    });
    await new Promise<void>((resolve, reject) => {
      db.once('error', reject);
      db.listen(0, '127.0.0.1', () => resolve());
    });
    const backend = new Backend((db.address() as AddressInfo).port);
    const server = createServer();
    let self: RegionalDynamo | undefined;
    try {
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(opts.port ?? 0, '127.0.0.1', () => resolve());
      });
      self = new RegionalDynamo(opts, db, backend, server, peers, (server.address() as AddressInfo).port);
      const instance = self;
      await instance.ensureTables();
      await instance.loadReplicationState();
      server.on('request', (req: IncomingMessage, res: ServerResponse) => {
        instance.track(instance.onRequest(req, res));
      });
      instance.startSweeper();
      return instance;
    } catch (err) {
      if (self) await self.close();
      else {
        server.close();
        backend.close();
        peers.close();
        await new Promise<void>((resolve) => db.close(() => resolve()));
      }
      throw err;
    }
  }

  /** Registers a listener called synchronously for every committed local write; returns its remover. */
  onChange(listener: (change: ReplicationChange) => void): () => void {
    this.listeners.push(listener);
    return () => {
      const i = this.listeners.indexOf(listener);
      if (i >= 0) this.listeners.splice(i, 1);
    };
  }

  /**
   * Emits again the changes of the writes a killed process began and never reported (see IntentJournal):
   * each item as it stands now, stamped with the version reserved for the write, unless a newer version
   * has replaced it since. Call once, after the change listeners are attached. Returns the changes emitted.
   */
  async recoverInterruptedWrites(): Promise<number> {
    let emitted = 0;
    for (const intent of this.journal?.pending() ?? []) {
      const release = await this.mutex.acquireAll(intent.items.map((i) => i.lockKey));
      // A write that cannot be redone (its table is gone) is reported and dropped: it must not keep the
      // region from starting.
      try {
        const versions = await Promise.all(intent.items.map((i) => this.getVersion(i.lockKey)));
        const redo = intent.items.filter((item, n) => {
          const v = versions[n];
          return !v || v.ts < item.ts || (v.ts === item.ts && v.origin === this.region);
        });
        if (redo.length > 0) {
          this.log(
            `dynamodb ${this.region}: re-emitting ${redo.length} change(s) of a write interrupted by a kill`,
          );
          await this.commit(
            redo,
            redo.map((i) => i.ts),
          );
          emitted += redo.length;
        }
      } catch (err) {
        this.log(`dynamodb ${this.region}: an interrupted write could not be re-emitted: ${String(err)}`);
      } finally {
        this.journal?.end(intent.id);
        release();
      }
    }
    return emitted;
  }

  /**
   * Applies a peer's change if its (ts, origin) is newer than the item's current version, writing straight
   * into dynalite (no change is emitted, so replication never loops).
   */
  apply(change: ReplicationChange): Promise<ApplyResult> {
    return this.track(this.applyChange(change));
  }

  /** Deletes every item whose TTL attribute (epoch seconds) is past, through the captured write path. */
  sweepTtl(): Promise<number> {
    if (!this.sweeping) {
      this.sweeping = this.track(this.sweep()).finally(() => (this.sweeping = undefined));
    }
    return this.sweeping;
  }

  /** Every item of a table (consistent), in canonical key order, for comparing replicas. */
  async scanAll(table: string): Promise<AttributeMap[]> {
    if (table === REPLICATION_TABLE) throw notFound(table);
    const schema = await this.schemaOf(table);
    if (!schema) throw notFound(table);
    const items = await this.scanPages({ TableName: table, ConsistentRead: true });
    return items
      .map((item) => ({ item, k: extractKey(schema, item)?.canonical ?? '' }))
      .sort((a, b) => (a.k < b.k ? -1 : a.k > b.k ? 1 : 0))
      .map((x) => x.item);
  }

  stats(): RegionalDynamoStats {
    return {
      ...this.counters,
      peerRequests: this.peers.stats(),
      tables: this.opts.tables.map((t) => t.tableName).sort(),
    };
  }

  /** Stops the sweeper and the endpoint, lets in-flight work finish, then closes dynalite (and LevelDB). */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.sweeper) clearInterval(this.sweeper);
    await new Promise<void>((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
    await Promise.allSettled([...this.inflight]);
    this.peers.close();
    this.backend.close();
    this.journal?.close();
    await new Promise<void>((resolve) => {
      this.db.close(() => resolve());
      this.db.closeAllConnections();
    });
  }

  // ---- the endpoint ----

  private async onRequest(req: IncomingMessage, res: ServerResponse): Promise<void> {
    try {
      // Routed on the headers alone: a peer's request is streamed there without being read here.
      const peer = this.peers.route(req.headers);
      if (peer !== undefined) return await this.peers.forward(peer, req, res);
      const body = await readBody(req);
      if (body === undefined) {
        res.setHeader('connection', 'close');
        return sendJson(
          res,
          413,
          new DynamoError(
            'ValidationException',
            `Request size exceeds ${MAX_BODY_BYTES} bytes`,
            413,
          ).toBody(),
        );
      }
      if (req.method !== 'POST')
        return relay(res, await this.backend.forward(req.method ?? 'GET', body, req.headers));
      const target = String(req.headers['x-amz-target'] ?? '');
      const dot = target.indexOf('.');
      const op = target.slice(dot + 1);
      if (dot < 0 || target.slice(0, dot) !== TARGET_PREFIX || op.length === 0) {
        throw new DynamoError('UnknownOperationException', `Unknown X-Amz-Target '${target.slice(0, 100)}'`);
      }
      const input = parseInput(body);
      this.checkNotHidden(input);
      if (WRITE_OPS.has(op)) {
        return relay(
          res,
          await this.capturedWrite(op as WriteOp, input, () =>
            this.backend.forward('POST', body, req.headers),
          ),
        );
      }
      if (op === 'UpdateTimeToLive') return sendJson(res, 200, await this.updateTimeToLive(input));
      if (op === 'DescribeTimeToLive') return sendJson(res, 200, await this.describeTimeToLive(input));
      if (op === 'ListTables')
        return this.listTables(res, await this.backend.forward('POST', body, req.headers));
      if (PASS_THROUGH.has(op)) {
        const answer = await this.backend.forward('POST', body, req.headers);
        if (answer.status === 200 && READ_OPS.has(op)) this.countRead(op, input, answer.body.length);
        if (op === 'DeleteTable' && answer.status === 200 && typeof input.TableName === 'string') {
          await this.tableDeleted(input.TableName);
        }
        return relay(res, answer);
      }
      const what = UNSUPPORTED[op];
      if (what) {
        throw new DynamoError(
          'UnknownOperationException',
          `${op} is not supported by Meridian's local DynamoDB (dynalite has no ${what})`,
        );
      }
      throw new DynamoError('UnknownOperationException', `Unknown operation ${op.slice(0, 100)}`);
    } catch (err) {
      if (err instanceof DynamoError) return sendJson(res, err.status, err.toBody());
      this.log(
        `dynamodb ${this.region}: internal error: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`,
      );
      sendJson(res, 500, new DynamoError('InternalServerError', 'Internal server error', 500).toBody());
    }
  }

  /** Rejects any use of the hidden replication table by clients. */
  private checkNotHidden(input: Json): void {
    const items = input.RequestItems;
    if (
      input.TableName === REPLICATION_TABLE ||
      (typeof items === 'object' && items !== null && Object.hasOwn(items, REPLICATION_TABLE))
    ) {
      throw notFound(REPLICATION_TABLE);
    }
  }

  private listTables(res: ServerResponse, answer: RawResponse): void {
    if (answer.status !== 200) return relay(res, answer);
    const out = JSON.parse(answer.body.toString('utf8')) as {
      TableNames?: string[];
      LastEvaluatedTableName?: string;
    };
    const names = out.TableNames ?? [];
    const visible = names.filter((n) => n !== REPLICATION_TABLE);
    const result: Json = { TableNames: visible };
    if (out.LastEvaluatedTableName !== undefined) {
      result.LastEvaluatedTableName =
        out.LastEvaluatedTableName === REPLICATION_TABLE && visible.length > 0
          ? visible[visible.length - 1]
          : out.LastEvaluatedTableName;
    }
    sendJson(res, 200, result);
  }

  // ---- change capture ----

  /**
   * Runs a write under the locks of every item it touches; when dynalite commits it, reads the items back,
   * stamps them, stores their version and emits one change per item — all before the caller replies.
   */
  private async capturedWrite(
    op: WriteOp,
    input: Json,
    send: () => Promise<RawResponse>,
  ): Promise<RawResponse> {
    const targets = await this.writeTargets(op, input);
    if (!targets) {
      // The key could not be read from the request, so dynalite will reject it (missing table, bad key).
      const answer = await send();
      if (answer.status === 200)
        this.log(`dynamodb ${this.region}: a ${op} without a readable key succeeded uncaptured`);
      return answer;
    }
    const release = await this.mutex.acquireAll(targets.map((t) => t.lockKey));
    try {
      // Stamped and journaled before dynalite applies the write: a kill from here on is redone at restart.
      const stamps = targets.map(() => this.nextTs());
      const intent = this.journal?.begin(targets.map((t, i) => ({ ...t, ts: stamps[i]! })));
      const answer = await send();
      if (answer.status === 200) {
        const committed = op === 'BatchWriteItem' ? await this.processed(targets, answer) : targets;
        await this.commit(
          committed,
          committed.map((t) => stamps[targets.indexOf(t)]!),
        );
      }
      // Left open when anything above threw: the write may be applied without its change, so redo it.
      if (intent !== undefined) this.journal?.end(intent);
      return answer;
    } finally {
      release();
    }
  }

  private async writeTargets(op: WriteOp, input: Json): Promise<WriteTarget[] | undefined> {
    if (op !== 'BatchWriteItem') {
      const table = input.TableName;
      if (typeof table !== 'string') return undefined;
      const target = await this.target(table, op === 'PutItem' ? input.Item : input.Key);
      return target && [target];
    }
    const items = input.RequestItems;
    if (typeof items !== 'object' || items === null || Array.isArray(items)) return undefined;
    const targets: WriteTarget[] = [];
    for (const [table, requests] of Object.entries(items as Json)) {
      if (!Array.isArray(requests)) return undefined;
      for (const r of requests as unknown[]) {
        const req = (typeof r === 'object' && r !== null ? r : {}) as {
          PutRequest?: { Item?: unknown };
          DeleteRequest?: { Key?: unknown };
        };
        const target = await this.target(
          table,
          req.PutRequest ? req.PutRequest.Item : req.DeleteRequest?.Key,
        );
        if (!target) return undefined;
        targets.push(target);
      }
    }
    return targets;
  }

  private async target(table: string, item: unknown): Promise<WriteTarget | undefined> {
    const schema = await this.schemaOf(table);
    const k = schema && extractKey(schema, item);
    return k && { table, key: k.key, lockKey: `${table}#${k.canonical}` };
  }

  /** The targets of a BatchWriteItem minus the requests dynalite handed back as unprocessed. */
  private async processed(targets: WriteTarget[], answer: RawResponse): Promise<WriteTarget[]> {
    const out = JSON.parse(answer.body.toString('utf8')) as { UnprocessedItems?: Json };
    const unprocessed = new Set<string>();
    for (const [table, requests] of Object.entries(out.UnprocessedItems ?? {})) {
      for (const r of requests as { PutRequest?: { Item?: unknown }; DeleteRequest?: { Key?: unknown } }[]) {
        const t = await this.target(table, r.PutRequest ? r.PutRequest.Item : r.DeleteRequest?.Key);
        if (t) unprocessed.add(t.lockKey);
      }
    }
    return targets.filter((t) => !unprocessed.has(t.lockKey));
  }

  /** Stores each target's version and emits its change (the item as dynalite now holds it). */
  private async commit(targets: readonly WriteTarget[], stamps: readonly number[]): Promise<void> {
    const [images] = await Promise.all([
      Promise.all(targets.map((t) => this.readItem(t.table, t.key))),
      Promise.all(targets.map((t, i) => this.putVersion(t.lockKey, stamps[i]!, this.region))),
    ]);
    let failure: unknown;
    for (const [i, t] of targets.entries()) {
      const image = images[i];
      const change: ReplicationChange = {
        table: t.table,
        key: t.key,
        ...(image && { image }),
        ts: stamps[i]!,
        origin: this.region,
      };
      this.counters.writes++;
      this.counters.writeUnits += this.writeUnitsOf(t.table, image);
      for (const listener of this.listeners) {
        try {
          listener(change);
        } catch (err) {
          failure ??= err;
        }
      }
    }
    if (failure !== undefined) {
      const message = failure instanceof Error ? failure.message : String(failure);
      this.log(`dynamodb ${this.region}: a change listener failed: ${message}`);
      throw new DynamoError(
        'InternalServerError',
        `The write was applied locally but could not be queued for replication: ${message}`,
        500,
      );
    }
  }

  /** Milliseconds since the epoch, strictly above every timestamp this region has issued or applied. */
  private nextTs(): number {
    this.lastTs = Math.max(Math.floor(this.clock.now()), this.lastTs + 1);
    return this.lastTs;
  }

  // ---- replication apply ----

  private async applyChange(raw: ReplicationChange): Promise<ApplyResult> {
    const change = parseChange(raw);
    // A hybrid logical clock: local writes after this one are stamped later, so they win over it everywhere.
    this.lastTs = Math.max(this.lastTs, change.ts);
    const schema = await this.schemaOf(change.table);
    if (!schema) {
      this.log(
        `dynamodb ${this.region}: change for table ${change.table}, which has no replica here, ignored`,
      );
      return 'no-table';
    }
    const k = extractKey(schema, change.key);
    if (!k) throw new TypeError(`change.key does not match the key schema of ${change.table}`);
    if (change.image && extractKey(schema, change.image)?.canonical !== k.canonical) {
      throw new TypeError(`change.image of ${change.table} does not carry change.key`);
    }
    const lockKey = `${change.table}#${k.canonical}`;
    const release = await this.mutex.acquire(lockKey);
    try {
      const stored = await this.getVersion(lockKey);
      if (stored && !(change.ts > stored.ts || (change.ts === stored.ts && change.origin > stored.origin))) {
        this.counters.replicatedStale++;
        return 'stale';
      }
      if (change.image) await this.backend.call('PutItem', { TableName: change.table, Item: change.image });
      else await this.backend.call('DeleteItem', { TableName: change.table, Key: k.key });
      await this.putVersion(lockKey, change.ts, change.origin);
      this.counters.replicatedApplied++;
      this.counters.replicatedWriteUnits += this.writeUnitsOf(change.table, change.image);
      return 'applied';
    } finally {
      release();
    }
  }

  // ---- request units (benchmarks: `meridian bench` prices them) ----

  /** Counts a successful read and its request units (see RegionalDynamoStats.readUnits). */
  private countRead(op: string, input: Json, responseBytes: number): void {
    const byBytes = Math.max(1, Math.ceil(responseBytes / 4096));
    if (op !== 'BatchGetItem') {
      this.counters.reads += 1;
      this.counters.readUnits += input.ConsistentRead === true ? byBytes : byBytes / 2;
      return;
    }
    const items = (
      typeof input.RequestItems === 'object' && input.RequestItems !== null ? input.RequestItems : {}
    ) as Record<string, { Keys?: unknown; ConsistentRead?: unknown }>;
    let keys = 0;
    let consistentKeys = 0;
    for (const request of Object.values(items)) {
      const n = Array.isArray(request?.Keys) ? request.Keys.length : 0;
      keys += n;
      if (request?.ConsistentRead === true) consistentKeys += n;
    }
    this.counters.reads += keys;
    const units = Math.max(keys, byBytes);
    // Split the units between consistent and eventually consistent keys in proportion.
    const consistentShare = keys === 0 ? 0 : consistentKeys / keys;
    this.counters.readUnits += units * consistentShare + (units * (1 - consistentShare)) / 2;
  }

  /** Write units of one item written to `table` (a delete: 1), its GSIs included. */
  private writeUnitsOf(table: string, image: AttributeMap | undefined): number {
    if (!image) return 1;
    const units = Math.max(1, Math.ceil(itemSize(image) / 1024));
    const model = this.opts.tables.find((t) => t.tableName === table);
    let total = units;
    for (const gsi of model?.globalSecondaryIndexes ?? []) {
      const inIndex =
        image[gsi.partitionKey.name] !== undefined &&
        (gsi.sortKey === undefined || image[gsi.sortKey.name] !== undefined);
      if (inIndex) total += gsi.projection === 'KEYS_ONLY' ? 1 : units;
    }
    return total;
  }

  // ---- TTL ----

  private startSweeper(): void {
    const scale = this.opts.timeScale ?? 1;
    const every = this.opts.ttlSweepIntervalMs ?? 60_000 / (scale > 0 ? scale : 1);
    this.sweeper = setInterval(
      () => {
        this.sweepTtl().catch((err: unknown) =>
          this.log(
            `dynamodb ${this.region}: TTL sweep failed: ${err instanceof Error ? err.message : String(err)}`,
          ),
        );
      },
      Math.max(1, every),
    );
    this.sweeper.unref();
  }

  private async sweep(): Promise<number> {
    let deleted = 0;
    for (const [table, attribute] of [...this.ttl]) {
      if (this.closed) break;
      const schema = await this.schemaOf(table);
      if (!schema) continue;
      const nowSec = this.clock.now() / 1000;
      const names: Record<string, string> = { '#t': attribute, '#h': schema.hash };
      if (schema.range !== undefined) names['#r'] = schema.range;
      const values = { ':now': { N: String(nowSec) }, ':min': { N: String(nowSec - TTL_MAX_AGE_SECONDS) } };
      const expired = await this.scanPages({
        TableName: table,
        ConsistentRead: true,
        FilterExpression: '#t < :now AND #t >= :min',
        ProjectionExpression: schema.range === undefined ? '#h' : '#h, #r',
        ExpressionAttributeNames: names,
        ExpressionAttributeValues: values,
      });
      for (const key of expired) {
        if (this.closed) break;
        // Conditional, so an item whose TTL was pushed back since the scan survives (as on AWS).
        const input = {
          TableName: table,
          Key: key,
          ConditionExpression: '#t < :now',
          ExpressionAttributeNames: { '#t': attribute },
          ExpressionAttributeValues: { ':now': values[':now'] },
        };
        const answer = await this.capturedWrite('DeleteItem', input, () =>
          this.backend.raw('DeleteItem', input),
        );
        if (answer.status === 200) {
          deleted++;
          this.counters.ttlDeleted++;
        } else {
          const err = errorOf(answer);
          if (err.type !== 'ConditionalCheckFailedException') {
            this.log(`dynamodb ${this.region}: TTL delete in ${table} failed: ${err.type}: ${err.message}`);
          }
        }
      }
    }
    return deleted;
  }

  private async updateTimeToLive(input: Json): Promise<Json> {
    const table = requireTableName(input);
    const spec = input.TimeToLiveSpecification as { Enabled?: unknown; AttributeName?: unknown } | undefined;
    if (typeof spec !== 'object' || spec === null) {
      throw validation('timeToLiveSpecification', 'Member must not be null');
    }
    if (typeof spec.Enabled !== 'boolean') {
      throw validation('timeToLiveSpecification.enabled', 'Member must not be null');
    }
    if (
      typeof spec.AttributeName !== 'string' ||
      spec.AttributeName.length === 0 ||
      spec.AttributeName.length > 255
    ) {
      throw validation('timeToLiveSpecification.attributeName', 'Member must have length between 1 and 255');
    }
    if (!(await this.schemaOf(table))) throw notFound(table);
    const current = this.ttl.get(table);
    if (spec.Enabled && current !== undefined)
      throw new DynamoError('ValidationException', 'TimeToLive is already enabled');
    if (!spec.Enabled && current === undefined) {
      throw new DynamoError('ValidationException', 'TimeToLive is already disabled');
    }
    await this.backend.call('PutItem', {
      TableName: REPLICATION_TABLE,
      Item: { k: { S: `${TTL_PREFIX}${table}` }, a: { S: spec.AttributeName }, e: { BOOL: spec.Enabled } },
    });
    if (spec.Enabled) this.ttl.set(table, spec.AttributeName);
    else this.ttl.delete(table);
    return { TimeToLiveSpecification: { Enabled: spec.Enabled, AttributeName: spec.AttributeName } };
  }

  private async describeTimeToLive(input: Json): Promise<Json> {
    const table = requireTableName(input);
    if (!(await this.schemaOf(table))) throw notFound(table);
    const attribute = this.ttl.get(table);
    return {
      TimeToLiveDescription:
        attribute === undefined
          ? { TimeToLiveStatus: 'DISABLED' }
          : { TimeToLiveStatus: 'ENABLED', AttributeName: attribute },
    };
  }

  // ---- dynalite helpers ----

  private async schemaOf(table: string): Promise<KeySchema | undefined> {
    const known = this.schemas.get(table);
    if (known) return known;
    let out: { Table: { KeySchema: { AttributeName: string; KeyType: string }[] } };
    try {
      out = await this.backend.call('DescribeTable', { TableName: table });
    } catch (err) {
      if (
        err instanceof DynamoError &&
        (err.type === 'ResourceNotFoundException' || err.type === 'ValidationException')
      ) {
        return undefined;
      }
      throw err;
    }
    const hash = out.Table.KeySchema.find((k) => k.KeyType === 'HASH')!.AttributeName;
    const range = out.Table.KeySchema.find((k) => k.KeyType === 'RANGE')?.AttributeName;
    const schema: KeySchema = range === undefined ? { hash } : { hash, range };
    this.schemas.set(table, schema);
    return schema;
  }

  private async tableDeleted(table: string): Promise<void> {
    this.schemas.delete(table);
    if (this.ttl.delete(table)) {
      await this.backend.call('DeleteItem', {
        TableName: REPLICATION_TABLE,
        Key: { k: { S: `${TTL_PREFIX}${table}` } },
      });
    }
  }

  private async readItem(table: string, key: AttributeMap): Promise<AttributeMap | undefined> {
    const out = await this.backend.call<{ Item?: AttributeMap }>('GetItem', {
      TableName: table,
      Key: key,
      ConsistentRead: true,
    });
    return out.Item;
  }

  private async getVersion(lockKey: string): Promise<{ ts: number; origin: string } | undefined> {
    const out = await this.backend.call<{ Item?: { ts?: { N?: string }; o?: { S?: string } } }>('GetItem', {
      TableName: REPLICATION_TABLE,
      Key: { k: { S: lockKey } },
      ConsistentRead: true,
    });
    if (!out.Item) return undefined;
    return { ts: Number(out.Item.ts?.N ?? 0), origin: out.Item.o?.S ?? '' };
  }

  private async putVersion(lockKey: string, ts: number, origin: string): Promise<void> {
    await this.backend.call('PutItem', {
      TableName: REPLICATION_TABLE,
      Item: { k: { S: lockKey }, ts: { N: String(ts) }, o: { S: origin } },
    });
  }

  private async scanPages(input: Json): Promise<AttributeMap[]> {
    const items: AttributeMap[] = [];
    let start: AttributeMap | undefined;
    do {
      const out = await this.backend.call<{ Items?: AttributeMap[]; LastEvaluatedKey?: AttributeMap }>(
        'Scan',
        {
          ...input,
          ...(start && { ExclusiveStartKey: start }),
        },
      );
      items.push(...(out.Items ?? []));
      start = out.LastEvaluatedKey;
    } while (start);
    return items;
  }

  private async ensureTables(): Promise<void> {
    await this.createTable({
      TableName: REPLICATION_TABLE,
      AttributeDefinitions: [{ AttributeName: 'k', AttributeType: 'S' }],
      KeySchema: [{ AttributeName: 'k', KeyType: 'HASH' }],
      BillingMode: 'PAY_PER_REQUEST',
    });
    for (const t of this.opts.tables) {
      const attributes = new Map<string, string>();
      const keySchema = (k: TableModel['partitionKey'], s?: TableModel['sortKey']): Json[] => {
        attributes.set(k.name, k.type);
        if (s) attributes.set(s.name, s.type);
        return [
          { AttributeName: k.name, KeyType: 'HASH' },
          ...(s ? [{ AttributeName: s.name, KeyType: 'RANGE' }] : []),
        ];
      };
      const KeySchema = keySchema(t.partitionKey, t.sortKey);
      const gsis = t.globalSecondaryIndexes.map((g) => ({
        IndexName: g.indexName,
        KeySchema: keySchema(g.partitionKey, g.sortKey),
        // The model does not carry INCLUDE's attribute list: project everything rather than too little.
        Projection: { ProjectionType: g.projection === 'KEYS_ONLY' ? 'KEYS_ONLY' : 'ALL' },
      }));
      await this.createTable({
        TableName: t.tableName,
        AttributeDefinitions: [...attributes].map(([AttributeName, AttributeType]) => ({
          AttributeName,
          AttributeType,
        })),
        KeySchema,
        BillingMode: 'PAY_PER_REQUEST',
        ...(gsis.length > 0 && { GlobalSecondaryIndexes: gsis }),
      });
      if (t.ttlAttribute) this.ttl.set(t.tableName, t.ttlAttribute);
    }
  }

  /** Creates a table unless it exists (state on disk survives restarts) and waits until it is ACTIVE. */
  private async createTable(input: Json): Promise<void> {
    try {
      await this.backend.call('CreateTable', input);
    } catch (err) {
      if (!(err instanceof DynamoError && err.type === 'ResourceInUseException')) throw err;
    }
    for (let i = 0; ; i++) {
      const out = await this.backend.call<{ Table: { TableStatus: string } }>('DescribeTable', {
        TableName: input.TableName,
      });
      if (out.Table.TableStatus === 'ACTIVE') return;
      if (i > 500) throw new Error(`table ${String(input.TableName)} did not become ACTIVE`);
      await new Promise((r) => setTimeout(r, 5));
    }
  }

  /** Restores the clock's floor (the highest stored version) and TTL settings changed through the API. */
  private async loadReplicationState(): Promise<void> {
    const rows = await this.scanPages({ TableName: REPLICATION_TABLE, ConsistentRead: true });
    for (const row of rows) {
      const k = (row.k as { S?: string } | undefined)?.S ?? '';
      if (k.startsWith(TTL_PREFIX)) {
        const table = k.slice(TTL_PREFIX.length);
        const enabled = (row.e as { BOOL?: boolean } | undefined)?.BOOL === true;
        const attribute = (row.a as { S?: string } | undefined)?.S;
        if (enabled && attribute) this.ttl.set(table, attribute);
        else this.ttl.delete(table);
        continue;
      }
      const ts = Number((row.ts as { N?: string } | undefined)?.N ?? 0);
      if (ts > this.lastTs) this.lastTs = ts;
    }
    this.lastTs = Math.max(this.lastTs, this.journal?.highestPendingTs() ?? 0);
  }

  private track<T>(p: Promise<T>): Promise<T> {
    this.inflight.add(p);
    const done = (): void => void this.inflight.delete(p);
    p.then(done, done);
    return p;
  }
}

/**
 * DynamoDB's item size in bytes (the sum of attribute names and values, as the developer guide defines it;
 * numbers approximated as 1 byte per two significant digits + 1).
 */
function itemSize(item: AttributeMap): number {
  let size = 0;
  for (const [name, value] of Object.entries(item))
    size += Buffer.byteLength(name, 'utf8') + valueSize(value);
  return size;
}

function valueSize(value: unknown): number {
  if (typeof value !== 'object' || value === null) return 1;
  const v = value as Record<string, unknown>;
  const numberSize = (n: unknown): number =>
    Math.ceil(String(n).replace(/^[-+]?0*|[.eE].*$/g, '').length / 2) + 1;
  if (typeof v.S === 'string') return Buffer.byteLength(v.S, 'utf8');
  if (v.N !== undefined) return numberSize(v.N);
  if (typeof v.B === 'string') return Buffer.from(v.B, 'base64').length;
  if (Array.isArray(v.SS)) return v.SS.reduce((n: number, x) => n + Buffer.byteLength(String(x), 'utf8'), 0);
  if (Array.isArray(v.NS)) return v.NS.reduce((n: number, x) => n + numberSize(x), 0);
  if (Array.isArray(v.BS))
    return v.BS.reduce((n: number, x) => n + Buffer.from(String(x), 'base64').length, 0);
  if (Array.isArray(v.L)) return 3 + v.L.reduce((n: number, x) => n + 1 + valueSize(x), 0);
  if (typeof v.M === 'object' && v.M !== null) {
    return (
      3 +
      Object.entries(v.M as Record<string, unknown>).reduce(
        (n, [k, x]) => n + 1 + Buffer.byteLength(k, 'utf8') + valueSize(x),
        0,
      )
    );
  }
  return 1; // BOOL, NULL
}

/** Validates a change received from a peer (it crossed a process boundary as JSON). */
function parseChange(raw: unknown): ReplicationChange {
  if (typeof raw !== 'object' || raw === null) throw new TypeError('change must be an object');
  const c = raw as Record<string, unknown>;
  if (typeof c.table !== 'string' || c.table.length === 0)
    throw new TypeError('change.table must be a string');
  if (typeof c.key !== 'object' || c.key === null || Array.isArray(c.key)) {
    throw new TypeError('change.key must be an attribute map');
  }
  if (c.image !== undefined && (typeof c.image !== 'object' || c.image === null || Array.isArray(c.image))) {
    throw new TypeError('change.image must be an attribute map when present');
  }
  if (typeof c.ts !== 'number' || !Number.isFinite(c.ts)) throw new TypeError('change.ts must be a number');
  if (typeof c.origin !== 'string' || c.origin.length === 0)
    throw new TypeError('change.origin must be a string');
  return c as unknown as ReplicationChange;
}

function requireTableName(input: Json): string {
  const table = input.TableName;
  if (typeof table !== 'string') throw validation('tableName', 'Member must not be null');
  if (!/^[a-zA-Z0-9_.-]{3,255}$/.test(table)) {
    throw validation('tableName', 'Member must satisfy regular expression pattern: [a-zA-Z0-9_.-]+');
  }
  return table;
}

function parseInput(body: Buffer): Json {
  if (body.length === 0) throw new DynamoError('SerializationException', 'The request body is empty');
  let input: unknown;
  try {
    input = JSON.parse(body.toString('utf8'));
  } catch {
    throw new DynamoError('SerializationException', 'The request body is not valid JSON');
  }
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    throw new DynamoError('SerializationException', 'The request body must be a JSON object');
  }
  return input as Json;
}

/** Reads a request body; undefined when it exceeds the limit (the rest is discarded). */
function readBody(req: IncomingMessage): Promise<Buffer | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let tooLarge = false;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) tooLarge = true;
      else chunks.push(chunk);
    });
    req.on('end', () => resolve(tooLarge ? undefined : Buffer.concat(chunks)));
    req.on('error', reject);
    // A client gone mid-body: settle, so close() never waits on a request that cannot finish.
    req.on('close', () => {
      if (!req.complete) reject(new DynamoError('SerializationException', 'The request was aborted'));
    });
  });
}

/** Relays dynalite's answer unchanged (status, body bytes and the headers the SDK reads). */
function relay(res: ServerResponse, answer: RawResponse): void {
  for (const name of ['content-type', 'x-amz-crc32', 'x-amzn-requestid', 'access-control-allow-origin']) {
    const v = answer.headers[name];
    if (v !== undefined) res.setHeader(name, v);
  }
  res.setHeader('content-length', answer.body.length);
  res.writeHead(answer.status);
  res.end(answer.body);
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  if (res.headersSent) return;
  const bytes = Buffer.from(JSON.stringify(body), 'utf8');
  res.writeHead(status, {
    'content-type': 'application/x-amz-json-1.0',
    'content-length': bytes.length,
    'x-amz-crc32': String(crc32(bytes)),
    'x-amzn-requestid': randomBytes(39).toString('base64').replace(/[+/]/g, '0').toUpperCase(),
  });
  res.end(bytes);
}

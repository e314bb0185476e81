/**
 * The local runtime: synthesizes the `local` environment, runs each region as its own OS process, keeps the
 * links between them (lag, partitions), and runs the edge that routes like Route 53. Regions can be killed
 * (SIGKILL, nothing flushed) and restored on the same ports and state.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import * as path from 'node:path';
import { DEFAULT_ENVIRONMENTS, resolveEnvironment } from '../../lib/config';
import { synthLocal } from '../assembly';
import { startEdge, type Edge } from '../edge';
import { Experiments, startFisServer, type ReplicationControl } from '../fis';
import {
  MAX_TAKEOVER_GRACE_SECONDS,
  PORT_NAMES,
  REGION_CONFIG_VARIABLE,
  loopback,
  type LinkState,
  type RegionConfig,
  type RegionPorts,
} from '../region/config';
import { scaledTakeoverGraceSeconds } from '../region/environment';

const REPO_ROOT = path.resolve(__dirname, '..', '..');
const REGION_MAIN = path.join(REPO_ROOT, 'local', 'region', 'main.ts');

/** The default one-way lag of every link (issue 4). */
export const DEFAULT_LINK_LAG_MS = 100;

export interface RuntimeOptions {
  /** 2–5 regions, the first primary. @default lib/config's local regions */
  readonly regions?: readonly string[];
  /** Where state lives (`.meridian`). */
  readonly stateDir: string;
  /** Wipe the state first. @default false */
  readonly fresh?: boolean;
  /** The edge's port. @default 8080 (0 = ephemeral) */
  readonly edgePort?: number;
  /**
   * The first port of the regions' endpoints: region i uses `basePort + 20 i + k`. Without it a free block
   * is chosen at random between 10000 and 30000 (tests).
   */
  readonly basePort?: number;
  /** Divides health-check intervals, TTLs, schedules, retries and Step Functions waits. @default 1 */
  readonly timeScale?: number;
  /** The edge's health checks (AWS defaults 10 s × 3, divided by the time scale). */
  readonly healthCheck?: {
    readonly intervalSeconds?: number;
    readonly failureThreshold?: number;
    readonly timeoutMs?: number;
  };
  /** The edge's answer TTL in seconds (before the time scale). */
  readonly ttlSeconds?: number;
  /**
   * Overrides the takeover grace period of stranded orders (every function's TAKEOVER_GRACE_SECONDS) in
   * every region: whole AWS seconds from 1 to 86400, divided by the time scale like the template's value
   * (rounded up, at least 1 s). For drills that keep a region down longer than the grace period.
   * @default the template's value (lib/config's takeoverGraceMinutes)
   */
  readonly takeoverGraceSeconds?: number;
  /** Reuse the cloud assembly already in `<stateDir>/cdk.out` (or `assemblyDir`) instead of synthesizing. */
  readonly reuseAssembly?: boolean;
  /** A cloud assembly to use instead of `<stateDir>/cdk.out`. */
  readonly assemblyDir?: string;
  /** Progress lines. */
  readonly log?: (line: string) => void;
}

export interface RegionProcessStatus {
  readonly region: string;
  readonly running: boolean;
  readonly pid?: number;
  readonly apiBaseUrl: string;
  readonly controlUrl: string;
  readonly logFile: string;
}

export interface Runtime {
  readonly regions: readonly string[];
  readonly edge: Edge;
  /** The environment's resource prefix (`meridian-local`): the edge's `meridian:environment` tag. */
  readonly environment: string;
  /** The time scale the regions and the edge run at. */
  readonly timeScale: number;
  /** The takeover grace override in AWS seconds (before the time scale); absent: the template's value. */
  readonly takeoverGraceSeconds?: number;
  readonly stateDir: string;
  readonly assemblyDir: string;
  /** Each region's API base URL (stage included) and control URL. */
  readonly endpoints: Readonly<
    Record<string, { apiBaseUrl: string; controlUrl: string; ports: RegionPorts }>
  >;
  /**
   * The AWS FIS endpoint of every region (the request's SigV4 scope picks the region): the templates of
   * the regional stacks, whose replication pause holds the region's links with every peer.
   */
  readonly fisEndpoint: string;
  processes(): RegionProcessStatus[];
  kill(region: string): Promise<void>;
  restore(region: string): Promise<void>;
  partition(a: string, b: string): void;
  heal(a: string, b: string): void;
  setLag(a: string, b: string, ms: number): void;
  links(): Record<string, Record<string, LinkState>>;
  /** Everything `meridian status` shows. */
  status(): Promise<RuntimeStatus>;
  stop(): Promise<void>;
}

export interface RuntimeStatus {
  readonly regions: (RegionProcessStatus & { detail?: unknown; error?: string })[];
  readonly links: Record<string, Record<string, LinkState>>;
  readonly edge: unknown;
}

/** Whether a loopback port can be bound right now. */
function canBind(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

/**
 * A base port whose block of `count` ports is free, chosen at random BELOW the kernel's ephemeral range
 * (32768+): a killed region must get its ports back on restore, and a port in the ephemeral range can be
 * taken meanwhile as the source port of any outgoing connection.
 */
async function freeBlock(count: number): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const base = 10_000 + 100 * Math.floor(Math.random() * 200);
    const checks = await Promise.all(Array.from({ length: count }, (_, k) => canBind(base + k)));
    if (checks.every(Boolean)) return base;
  }
  throw new Error('no free block of loopback ports between 10000 and 30000');
}

function portsOf(index: number, basePort: number): RegionPorts {
  return Object.fromEntries(PORT_NAMES.map((name, k) => [name, basePort + 20 * index + k])) as RegionPorts;
}

function assertRegions(regions: readonly string[]): void {
  if (regions.length < 2 || regions.length > 5) {
    throw new Error(`the local runtime runs 2–5 regions; got ${regions.length} (${regions.join(', ')})`);
  }
  if (new Set(regions).size !== regions.length) throw new Error(`regions repeat: ${regions.join(', ')}`);
}

/** Checks a takeover grace override: whole seconds, 1 to 86400 (lib/config's 1440 minutes). */
function assertTakeoverGrace(seconds: number | undefined): void {
  if (seconds === undefined) return;
  if (!Number.isInteger(seconds) || seconds < 1 || seconds > MAX_TAKEOVER_GRACE_SECONDS) {
    throw new Error(
      `takeoverGraceSeconds must be a whole number of seconds from 1 to ${MAX_TAKEOVER_GRACE_SECONDS} (AWS time, before the time scale); got ${seconds}`,
    );
  }
}

/** Starts every region and the edge; resolves when all are ready. */
export async function startRuntime(options: RuntimeOptions): Promise<Runtime> {
  const log = options.log ?? (() => {});
  const stateDir = path.resolve(options.stateDir);
  const timeScale = options.timeScale ?? 1;
  if (!Number.isFinite(timeScale) || timeScale <= 0) {
    throw new Error(`timeScale must be a positive number; got ${timeScale}`);
  }
  const takeoverGraceSeconds = options.takeoverGraceSeconds;
  assertTakeoverGrace(takeoverGraceSeconds);
  if (options.fresh) rmSync(stateDir, { recursive: true, force: true });
  mkdirSync(stateDir, { recursive: true });

  const assemblyDir = path.resolve(options.assemblyDir ?? path.join(stateDir, 'cdk.out'));
  const synthStart = Date.now();
  log(
    options.reuseAssembly
      ? `reading the cloud assembly in ${assemblyDir}`
      : 'synthesizing the local environment (cdk synth, esbuild bundles)…',
  );
  const assembly = synthLocal({
    outdir: assemblyDir,
    reuse: options.reuseAssembly ?? false,
    ...(options.regions && { regions: options.regions }),
  });
  const regions = assembly.regions.map((r) => r.region);
  assertRegions(regions);
  log(`cloud assembly ready in ${Date.now() - synthStart} ms: ${regions.join(', ')}`);
  // The configuration the assembly was synthesized from (bin/app.ts: the listed regions, the first primary).
  const environment = resolveEnvironment({
    ...DEFAULT_ENVIRONMENTS.local,
    regions: [...regions],
    primaryRegion: regions[0],
    waves: undefined,
  }).prefix;

  // Links: per ordered pair (from → to); persisted so a restart of `meridian up` keeps them.
  const linksFile = path.join(stateDir, 'links.json');
  const links: Record<string, Record<string, LinkState>> = existsSync(linksFile)
    ? (JSON.parse(readFileSync(linksFile, 'utf8')) as Record<string, Record<string, LinkState>>)
    : {};
  for (const from of regions) {
    links[from] ??= {};
    for (const to of regions) {
      if (to !== from) links[from]![to] ??= { lagMs: DEFAULT_LINK_LAG_MS, partitioned: false };
    }
  }
  const saveLinks = () => writeFileSync(linksFile, JSON.stringify(links, null, 2));
  saveLinks();

  const endpoints: Record<string, { apiBaseUrl: string; controlUrl: string; ports: RegionPorts }> = {};
  const basePort = options.basePort ?? (await freeBlock(20 * regions.length));
  for (const [i, region] of regions.entries()) {
    const ports = portsOf(i, basePort);
    const model = assembly.regions[i]!;
    endpoints[region] = {
      ports,
      controlUrl: loopback(ports.control),
      apiBaseUrl: `${loopback(ports.api)}/${model.api?.stageName ?? 'v1'}`,
    };
  }

  // The edge first, its checks held until the regions are up: the regions' handlers need its address
  // (AWS_ENDPOINT_URL_ROUTE_53), and a region still starting must not count as a failed check.
  const edge = await startEdge({
    port: options.edgePort ?? 8080,
    regions: regions.map((region) => ({ region, apiBaseUrl: endpoints[region]!.apiBaseUrl })),
    timeScale,
    // AWS allows 4 s; a scaled-down timeout would fail the deep /health of a cold region, so it stays >= 2 s.
    healthCheck: { timeoutMs: Math.max(4000, 2000 * timeScale), ...options.healthCheck },
    ...(options.ttlSeconds !== undefined && { ttlSeconds: options.ttlSeconds }),
    environment,
    deferHealthChecks: true,
    log: (line: string) => log(`[edge] ${line}`),
  });

  const children = new Map<string, ChildProcess>();
  const logFileOf = (region: string) => path.join(stateDir, region, 'region.log');

  const configOf = (region: string): RegionConfig => ({
    region,
    assemblyDir,
    stateDir: path.join(stateDir, region),
    ports: endpoints[region]!.ports,
    peers: regions
      .filter((r) => r !== region)
      .map((r) => ({
        region: r,
        controlUrl: endpoints[r]!.controlUrl,
        dynamodbUrl: loopback(endpoints[r]!.ports.dynamodb),
      })),
    links: links[region]!,
    timeScale,
    edgeUrl: edge.endpoint,
    ...(takeoverGraceSeconds !== undefined && { takeoverGraceSeconds }),
  });

  const spawnRegion = (region: string): Promise<void> => {
    mkdirSync(path.join(stateDir, region), { recursive: true });
    const fd = openSync(logFileOf(region), 'a');
    const child = spawn(process.execPath, ['--import', 'tsx', REGION_MAIN], {
      cwd: REPO_ROOT,
      env: { ...process.env, [REGION_CONFIG_VARIABLE]: JSON.stringify(configOf(region)) },
      stdio: ['ignore', fd, fd, 'ipc'],
    });
    closeSync(fd);
    children.set(region, child);
    child.on('exit', () => {
      if (children.get(region) === child) children.delete(region);
    });
    return new Promise<void>((resolve, reject) => {
      const onExit = (code: number | null, signal: string | null) =>
        reject(
          new Error(
            `region ${region} exited while starting (${signal ?? `code ${code}`}); see ${logFileOf(region)}`,
          ),
        );
      child.once('exit', onExit);
      child.on('message', (message: { type?: string; message?: string }) => {
        if (message.type === 'ready') {
          child.off('exit', onExit);
          resolve();
        } else if (message.type === 'failed') {
          reject(new Error(`region ${region} failed to start: ${message.message}; see ${logFileOf(region)}`));
        }
      });
    });
  };

  const stopChild = async (region: string, signal: NodeJS.Signals) => {
    const child = children.get(region);
    if (!child || child.exitCode !== null) return;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill(signal);
    const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
    await exited;
    clearTimeout(timer);
  };

  const regionsStart = Date.now();
  try {
    await Promise.all(regions.map((r) => spawnRegion(r)));
  } catch (err) {
    await Promise.all(regions.map((r) => stopChild(r, 'SIGKILL')));
    await edge.close();
    throw err;
  }
  log(`regions ready in ${Date.now() - regionsStart} ms`);
  edge.startHealthChecks();
  if (takeoverGraceSeconds !== undefined) {
    log(
      `takeover grace period: ${takeoverGraceSeconds} s (AWS time) in every region, ${scaledTakeoverGraceSeconds(takeoverGraceSeconds, timeScale)} s at time scale ${timeScale}`,
    );
  }

  const sendLinks = (region: string) => {
    const child = children.get(region);
    if (child?.connected) child.send({ type: 'links', links: links[region] });
  };
  const setLink = (a: string, b: string, change: (state: LinkState) => void) => {
    for (const r of [a, b]) {
      if (!regions.includes(r)) throw new Error(`unknown region ${r} (regions: ${regions.join(', ')})`);
    }
    if (a === b) throw new Error('a link joins two different regions');
    change(links[a]![b]!);
    change(links[b]![a]!);
    saveLinks();
    sendLinks(a);
    sendLinks(b);
  };
  // FIS experiments pause a region's replication with every peer. A pause heals only the links it cut,
  // once no other experiment still pauses either end; a link partitioned by hand stays as it was.
  const pausedBy = new Map<string, Set<string>>();
  const cutByPause = new Set<string>();
  const pair = (a: string, b: string) => [a, b].sort().join(' ');
  const replication: ReplicationControl = {
    pause(region, holder) {
      pausedBy.set(region, (pausedBy.get(region) ?? new Set()).add(holder));
      for (const peer of regions.filter((r) => r !== region)) {
        if (links[region]![peer]!.partitioned) continue;
        setLink(region, peer, (s) => (s.partitioned = true));
        cutByPause.add(pair(region, peer));
      }
    },
    resume(region, holder) {
      pausedBy.get(region)?.delete(holder);
      for (const peer of regions.filter((r) => r !== region)) {
        const held = [region, peer].some((r) => (pausedBy.get(r)?.size ?? 0) > 0);
        if (held || !cutByPause.delete(pair(region, peer))) continue;
        setLink(region, peer, (s) => (s.partitioned = false));
      }
    },
  };
  const fis = await startFisServer(
    new Experiments({
      templates: Object.fromEntries(assembly.regions.map((m) => [m.region, m.experimentTemplates])),
      tables: Object.fromEntries(assembly.regions.map((m) => [m.region, m.tables.map((t) => t.tableName)])),
      accountId: assembly.regions[0]!.accountId,
      timeScale,
      control: replication,
      log: (line) => log(`[fis] ${line}`),
    }),
  );

  const known = (region: string) => {
    if (!regions.includes(region))
      throw new Error(`unknown region ${region} (regions: ${regions.join(', ')})`);
  };

  const processes = (): RegionProcessStatus[] =>
    regions.map((region) => {
      const child = children.get(region);
      return {
        region,
        running: child !== undefined && child.exitCode === null,
        ...(child?.pid !== undefined && { pid: child.pid }),
        apiBaseUrl: endpoints[region]!.apiBaseUrl,
        controlUrl: endpoints[region]!.controlUrl,
        logFile: logFileOf(region),
      };
    });

  const runtime: Runtime = {
    regions,
    edge,
    environment,
    timeScale,
    ...(takeoverGraceSeconds !== undefined && { takeoverGraceSeconds }),
    stateDir,
    assemblyDir,
    endpoints,
    fisEndpoint: fis.endpoint,
    processes,
    async kill(region) {
      known(region);
      await stopChild(region, 'SIGKILL');
    },
    async restore(region) {
      known(region);
      if (children.has(region)) return;
      await spawnRegion(region);
    },
    partition: (a, b) => setLink(a, b, (s) => (s.partitioned = true)),
    heal: (a, b) => setLink(a, b, (s) => (s.partitioned = false)),
    setLag(a, b, ms) {
      if (!Number.isFinite(ms) || ms < 0) throw new Error(`lag must be a number of ms >= 0, got ${ms}`);
      setLink(a, b, (s) => (s.lagMs = ms));
    },
    links: () => JSON.parse(JSON.stringify(links)) as Record<string, Record<string, LinkState>>,
    async status() {
      const details = await Promise.all(
        processes().map(async (p) => {
          if (!p.running) return p;
          try {
            const response = await fetch(`${p.controlUrl}/_meridian/status`, {
              signal: AbortSignal.timeout(3000),
            });
            return { ...p, detail: (await response.json()) as unknown };
          } catch (err) {
            return { ...p, error: err instanceof Error ? err.message : String(err) };
          }
        }),
      );
      return { regions: details, links: runtime.links(), edge: edge.status() };
    },
    async stop() {
      // Ends running experiments first, so their pauses are lifted in the persisted links.
      await fis.close();
      await edge.close();
      await Promise.all(regions.map((r) => stopChild(r, 'SIGTERM')));
    },
  };
  return runtime;
}

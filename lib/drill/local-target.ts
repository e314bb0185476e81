/**
 * The local runtime as a drill target: faults through the supervisor (kill, restore, partition, lag), the
 * health-check inversion through the edge's Route 53 API, and observation through each region's
 * AWS-compatible DynamoDB and Step Functions endpoints — the same SDK calls a drill makes against AWS.
 */
import { DEFAULT_ENVIRONMENTS, resolveEnvironment } from '../config';
import { tableName } from '../global-data/global-tables-stack';
import { orderSagaName } from '../regional/saga';
import { loopback, type RegionPorts } from '../../local/region/config';
import type { Runtime } from '../../local/supervisor/runtime';
import type { RuntimeFile } from '../../local/supervisor/control';
import { SdkObserver, type DrillTarget, type HealthChange } from './target';

/** The controls of a running local runtime, in-process or over its control endpoint. */
export interface LocalRuntimeHandle {
  readonly regions: readonly string[];
  readonly edgeUrl: string;
  readonly timeScale: number;
  /** The runtime's takeover grace override, AWS seconds; absent: the local environment's (lib/config). */
  readonly takeoverGraceSeconds?: number;
  readonly endpoints: Readonly<Record<string, { apiBaseUrl: string; ports: RegionPorts }>>;
  kill(region: string): Promise<void>;
  restore(region: string): Promise<void>;
  partition(a: string, b: string): Promise<void>;
  heal(a: string, b: string): Promise<void>;
  setLag(a: string, b: string, ms: number): Promise<void>;
  /** The current one-way lag from `a` to `b`. */
  lag(a: string, b: string): Promise<number | undefined>;
  running(region: string): Promise<boolean>;
}

/** A handle on a runtime started in this process (tests, ephemeral drills). */
export function inProcessHandle(runtime: Runtime): LocalRuntimeHandle {
  return {
    regions: runtime.regions,
    edgeUrl: runtime.edge.endpoint,
    timeScale: runtime.edge.status().timeScale,
    ...(runtime.takeoverGraceSeconds !== undefined && { takeoverGraceSeconds: runtime.takeoverGraceSeconds }),
    endpoints: runtime.endpoints,
    kill: (r) => runtime.kill(r),
    restore: (r) => runtime.restore(r),
    partition: async (a, b) => runtime.partition(a, b),
    heal: async (a, b) => runtime.heal(a, b),
    setLag: async (a, b, ms) => runtime.setLag(a, b, ms),
    lag: async (a, b) => runtime.links()[a]?.[b]?.lagMs,
    running: async (r) => runtime.processes().find((p) => p.region === r)?.running ?? false,
  };
}

async function control(url: string, method: string, body?: unknown): Promise<unknown> {
  let response: Response;
  try {
    response = await fetch(url, {
      method,
      ...(body !== undefined && {
        body: JSON.stringify(body),
        headers: { 'content-type': 'application/json' },
      }),
      signal: AbortSignal.timeout(30_000),
    });
  } catch (err) {
    throw new Error(
      `the running \`meridian up\` does not answer at ${url} (${err instanceof Error ? err.message : String(err)})`,
    );
  }
  const out = (await response.json()) as { error?: { message?: string } };
  if (!response.ok) throw new Error(out.error?.message ?? `${method} ${url}: HTTP ${response.status}`);
  return out;
}

/** A handle on a `meridian up` running in another process, found through its runtime.json. */
export function controlEndpointHandle(file: RuntimeFile): LocalRuntimeHandle {
  if (!file.endpoints || typeof file.timeScale !== 'number') {
    throw new Error('the running `meridian up` is older than this CLI: restart it (npm start)');
  }
  const c = file.controlUrl;
  const enc = encodeURIComponent;
  const links = async () =>
    ((await control(`${c}/status`, 'GET')) as { links: Record<string, Record<string, { lagMs: number }>> })
      .links;
  return {
    regions: file.regions,
    edgeUrl: file.edgeUrl,
    timeScale: file.timeScale,
    ...(file.takeoverGraceSeconds !== undefined && { takeoverGraceSeconds: file.takeoverGraceSeconds }),
    endpoints: file.endpoints,
    kill: async (r) => void (await control(`${c}/regions/${enc(r)}/kill`, 'POST')),
    restore: async (r) => void (await control(`${c}/regions/${enc(r)}/restore`, 'POST')),
    partition: async (a, b) => void (await control(`${c}/links/${enc(a)}/${enc(b)}/partition`, 'POST')),
    heal: async (a, b) => void (await control(`${c}/links/${enc(a)}/${enc(b)}/heal`, 'POST')),
    setLag: async (a, b, ms) => void (await control(`${c}/links/${enc(a)}/${enc(b)}/lag`, 'POST', { ms })),
    lag: async (a, b) => (await links())[a]?.[b]?.lagMs,
    running: async (r) => {
      const status = (await control(`${c}/status`, 'GET')) as {
        regions: { region: string; running: boolean }[];
      };
      return status.regions.find((p) => p.region === r)?.running ?? false;
    },
  };
}

/** The local runtime behind `handle` as a drill target. */
export function localTarget(
  handle: LocalRuntimeHandle,
  options: { log?: (line: string) => void } = {},
): DrillTarget {
  const env = resolveEnvironment({ ...DEFAULT_ENVIRONMENTS.local, regions: [...handle.regions] });
  const observer = new SdkObserver({
    environment: env.prefix,
    regions: handle.regions,
    tableName: (table) => tableName(env, table),
    stateMachineName: orderSagaName(env),
    endpoints: Object.fromEntries(
      handle.regions.map((r) => {
        const ports = handle.endpoints[r]!.ports;
        return [r, { dynamodb: loopback(ports.dynamodb), sfn: loopback(ports.sfn) }];
      }),
    ),
    route53Endpoint: handle.edgeUrl,
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    ...(options.log && { log: options.log }),
  });
  return {
    kind: 'local',
    env: env.name,
    regions: handle.regions,
    timeScale: handle.timeScale,
    // Without an override every region runs the template's TAKEOVER_GRACE_SECONDS: the environment's grace.
    takeoverGraceSeconds: handle.takeoverGraceSeconds ?? env.takeoverGraceMinutes * 60,
    edgeUrl: handle.edgeUrl,
    apiUrls: Object.fromEntries(handle.regions.map((r) => [r, handle.endpoints[r]!.apiBaseUrl])),
    faults: {
      killRegion: (r) => handle.kill(r),
      restoreRegion: (r) => handle.restore(r),
      partition: (a, b) => handle.partition(a, b),
      heal: (a, b) => handle.heal(a, b),
      async setLinkLag(a, b, ms) {
        const before = await handle.lag(a, b);
        await handle.setLag(a, b, ms);
        return before;
      },
      setHealthCheckInverted: (r, inverted) => observer.setInverted(r, inverted),
    },
    // The edge keeps every flip with its time: no polling needed.
    async healthChanges(): Promise<HealthChange[]> {
      const response = await fetch(`${handle.edgeUrl}/_meridian/edge`, {
        signal: AbortSignal.timeout(10_000),
      });
      const status = (await response.json()) as {
        regions: { region: string; flips: { at: number; to: string; cause: string }[] }[];
      };
      return status.regions
        .flatMap((r) =>
          r.flips.map((f) => ({ region: r.region, at: f.at, healthy: f.to === 'healthy', cause: f.cause })),
        )
        .sort((x, y) => x.at - y.at);
    },
    startHealthWatch: () => {},
    regionUp: (r) => handle.running(r),
    scan: (region, table) => observer.scan(region, table),
    execution: (region, orderId) => observer.execution(region, orderId),
    close: async () => observer.destroy(),
  };
}

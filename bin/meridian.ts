#!/usr/bin/env node
/**
 * The `meridian` CLI: `up` runs every region of the local environment from the synthesized templates with
 * the edge in front (`npm start`); the other commands drive a running `up` through its control endpoint.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import {
  awsTarget,
  controlEndpointHandle,
  DrillTargetError,
  formatDrillReport,
  inProcessHandle,
  localTarget,
  runDrill,
  SCENARIOS,
  type DrillTarget,
  type ScenarioName,
} from '../lib/drill';
import { DEFAULT_ENVIRONMENTS } from '../lib/config';
import { BenchError, benchSettings, formatBenchReport, runBench } from '../local/bench';
import { runtimeFilePath, startRuntime, supervisorControl, type RuntimeFile } from '../local/supervisor';

const USAGE = `usage: meridian <command> [options]

commands:
  up [--regions a,b] [--fresh] [--time-scale N] [--edge-port 8080] [--base-port 4100] [--state-dir .meridian]
     [--takeover-grace <seconds>]
                                   run every region and the edge (npm start); Ctrl-C stops it.
                                   --takeover-grace: AWS seconds a region must be unhealthy before another
                                   takes over its stranded orders (default: the environment's, 25 min)
  region kill <region>             SIGKILL a region's process (state on disk stays)
  region restore <region>          start a killed region again on the same ports and state
  link partition <a> <b>           hold replication and forwarded events between two regions
  link heal <a> <b>                deliver what was held, in order
  link lag <a> <b> <ms>            set the one-way lag of the link, both directions
  status [--json]                  regions, health, replication lag, queue depths, executions
  drill <scenario> [--json]        region-outage | health-check-inversion | replication-partition | latency
        [--target local|aws] [--env dev] [--regions a,b] [--edge-url URL] [--region r] [--peer p]
        [--concurrency 4] [--rate 5] [--warmup 30] [--fault 180] [--recovery 60] (AWS seconds)
        [--latency-ms 2000] [--settle-timeout 180] [--time-scale 20] [--takeover-grace <seconds>]
                                   run a failover drill under load and audit it; exit 1 if an invariant
                                   broke. Local: uses the running \`meridian up\`, or starts its own
                                   (fresh state, --time-scale, default 20, and --takeover-grace in AWS
                                   seconds, local only) when none runs
  bench [--json] [--concurrency 8] [--orders 200] [--ceiling-seconds 5] [--idle-seconds N]
        [--visibility-orders 20] [--regions a,b] [--time-scale 1]
                                   start a fresh local runtime, measure orders/s, latencies, per-order
                                   resource counts, the raw dynalite write ceiling and the cost per
                                   million orders (npm run bench)
`;

class UsageError extends Error {}

const DEFAULT_STATE_DIR = '.meridian';

function number(value: string | undefined, name: string): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isFinite(n) || n < 0) throw new UsageError(`--${name} must be a number >= 0, got "${value}"`);
  return n;
}

/** The longest grace lib/config allows (1440 minutes), in seconds. */
const MAX_TAKEOVER_GRACE_SECONDS = 86_400;

/** `--takeover-grace` as whole AWS seconds (1–86400), or undefined when not given. */
function takeoverGrace(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!/^\d+$/.test(value) || n < 1 || n > MAX_TAKEOVER_GRACE_SECONDS) {
    throw new UsageError(
      `--takeover-grace must be a positive whole number of seconds (1–${MAX_TAKEOVER_GRACE_SECONDS}), got "${value}"`,
    );
  }
  return n;
}

/** `--regions a, b` as a list, or undefined when not given. */
function regionList(value: string | undefined): string[] | undefined {
  return value
    ?.split(',')
    .map((r) => r.trim())
    .filter(Boolean);
}

async function up(args: string[]): Promise<void> {
  const { values } = parseArgs({
    args,
    options: {
      regions: { type: 'string' },
      fresh: { type: 'boolean', default: false },
      'time-scale': { type: 'string' },
      'edge-port': { type: 'string' },
      'base-port': { type: 'string' },
      'state-dir': { type: 'string', default: DEFAULT_STATE_DIR },
      'reuse-assembly': { type: 'boolean', default: false },
      'takeover-grace': { type: 'string' },
    },
  });
  const started = Date.now();
  const timeScale = number(values['time-scale'], 'time-scale') ?? 1;
  if (timeScale <= 0) throw new UsageError('--time-scale must be > 0');
  const takeoverGraceSeconds = takeoverGrace(values['takeover-grace']);
  const stateDir = path.resolve(values['state-dir']);
  const say = (line: string) => console.log(`[meridian] ${line}`);
  const runtime = await startRuntime({
    stateDir,
    fresh: values.fresh,
    timeScale,
    edgePort: number(values['edge-port'], 'edge-port') ?? 8080,
    basePort: number(values['base-port'], 'base-port') ?? 4100,
    reuseAssembly: values['reuse-assembly'],
    ...(values.regions && { regions: regionList(values.regions) }),
    ...(takeoverGraceSeconds !== undefined && { takeoverGraceSeconds }),
    log: say,
  });
  const control = await supervisorControl(runtime);
  const edge = runtime.edge.endpoint.replace('127.0.0.1', 'localhost');
  const lines = [
    '',
    `Meridian is running locally: ${runtime.regions.length} regions and the edge, ready in ${((Date.now() - started) / 1000).toFixed(1)} s.`,
    '',
    `  edge (routes like Route 53)   ${edge}`,
    ...runtime.regions.map((r) => `  ${r.padEnd(28)}  ${runtime.endpoints[r]!.apiBaseUrl}`),
    `  AWS FIS (every region)        ${runtime.fisEndpoint}`,
    `  state                         ${stateDir}  (logs: <region>/region.log, outbox: <region>/outbox/)`,
    '',
    'Try it:',
    `  curl -s -X PUT ${edge}/inventory/PROD-7 -H 'content-type: application/json' -d '{"available":100}'`,
    `  curl -s -X POST ${edge}/orders -H 'content-type: application/json' -H 'Idempotency-Key: demo-1' \\`,
    `    -d '{"customerId":"CUST-42","currency":"EUR","lines":[{"productId":"PROD-7","quantity":2,"unitPrice":19.99}],"paymentToken":"tok_visa"}'`,
    `  curl -s ${edge}/orders/<orderId>        # PENDING → RESERVED → PAID → SHIPPED → FULFILLED`,
    '',
    'Drive it from another terminal: npx tsx bin/meridian.ts status | region kill <r> | link partition <a> <b> …',
    'Ctrl-C stops everything; state survives a restart (use --fresh to start over).',
  ];
  console.log(lines.join('\n'));
  let stopping = false;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    say('stopping…');
    await control.close();
    await runtime.stop();
    say('stopped');
    process.exit(0);
  };
  process.on('SIGINT', () => void stop());
  process.on('SIGTERM', () => void stop());
}

function runningRuntime(stateDir: string): RuntimeFile {
  const file = runtimeFilePath(path.resolve(stateDir));
  if (!existsSync(file))
    throw new UsageError(`no running \`meridian up\` found (${file} is missing): start one with npm start`);
  return JSON.parse(readFileSync(file, 'utf8')) as RuntimeFile;
}

async function call(stateDir: string, method: string, route: string, body?: unknown): Promise<unknown> {
  const { controlUrl } = runningRuntime(stateDir);
  let response: Response;
  try {
    response = await fetch(`${controlUrl}${route}`, {
      method,
      ...(body !== undefined && {
        body: JSON.stringify(body),
        headers: { 'content-type': 'application/json' },
      }),
    });
  } catch {
    throw new UsageError(
      `the running \`meridian up\` does not answer at ${controlUrl}; is it still running?`,
    );
  }
  const out = (await response.json()) as { error?: { message: string } };
  if (!response.ok) throw new UsageError(out.error?.message ?? `HTTP ${response.status}`);
  return out;
}

interface RegionDetail {
  region: string;
  running: boolean;
  pid?: number;
  detail?: {
    replication?: {
      incoming?: { from: string; lastLagMs?: number; p99LagMs?: number }[];
      outgoing?: { peer: string; pending: number; partitioned: boolean; lagMs: number }[];
    };
    queues?: Record<string, { visible: number; inFlight: number; delayed: number }>;
    executions?: { stateMachine: string; running: number; succeeded: number; failed: number }[];
  };
  error?: string;
}

function printStatus(status: {
  regions: RegionDetail[];
  edge: { regions?: { region: string; healthy: boolean; inverted?: boolean }[] };
}): void {
  const health = new Map((status.edge.regions ?? []).map((r) => [r.region, r]));
  for (const r of status.regions) {
    const h = health.get(r.region);
    console.log(
      `${r.region}: ${r.running ? `running (pid ${r.pid})` : 'DOWN'}; edge health ${h ? (h.healthy ? 'healthy' : 'UNHEALTHY') : '?'}${h?.inverted ? ' (inverted)' : ''}`,
    );
    if (r.error) console.log(`  status unavailable: ${r.error}`);
    for (const link of r.detail?.replication?.outgoing ?? []) {
      console.log(
        `  → ${link.peer}: lag ${link.lagMs} ms${link.partitioned ? ', PARTITIONED' : ''}, ${link.pending} pending`,
      );
    }
    for (const inc of r.detail?.replication?.incoming ?? []) {
      console.log(
        `  ← ${inc.from}: replication lag last ${inc.lastLagMs ?? '-'} ms, p99 ${inc.p99LagMs ?? '-'} ms`,
      );
    }
    for (const [name, q] of Object.entries(r.detail?.queues ?? {})) {
      console.log(`  queue ${name}: ${q.visible} visible, ${q.inFlight} in flight, ${q.delayed} delayed`);
    }
    for (const e of r.detail?.executions ?? []) {
      console.log(`  ${e.stateMachine}: ${e.running} running, ${e.succeeded} succeeded, ${e.failed} failed`);
    }
  }
}

/** A drill's target: a deployed environment, the running `meridian up`, or a runtime of its own. */
async function drillTarget(
  values: Record<string, string | boolean | undefined>,
  stateDir: string,
  say: (line: string) => void,
): Promise<{ target: DrillTarget; done(): Promise<void> }> {
  const kind = (values.target as string | undefined) ?? 'local';
  const regions = regionList(values.regions as string | undefined);
  const takeoverGraceSeconds = takeoverGrace(values['takeover-grace'] as string | undefined);
  if (kind === 'aws') {
    if (takeoverGraceSeconds !== undefined) {
      throw new UsageError(
        "--takeover-grace is for the local runtime only: in AWS the grace is the environment's takeoverGraceMinutes (lib/config), set when it is deployed",
      );
    }
    const env = values.env as string | undefined;
    if (!env) throw new UsageError('--target aws needs --env <name> (dev, staging, prod)');
    const target = await awsTarget({
      env,
      ...(regions && { regions }),
      ...(values['edge-url'] && { edgeUrl: values['edge-url'] as string }),
      log: say,
    });
    return { target, done: () => target.close() };
  }
  if (kind !== 'local') throw new UsageError(`--target must be local or aws, got "${kind}"`);
  const file = runtimeFilePath(path.resolve(stateDir));
  if (existsSync(file)) {
    const running = JSON.parse(readFileSync(file, 'utf8')) as RuntimeFile;
    const alive = await fetch(`${running.controlUrl}/status`, { signal: AbortSignal.timeout(5000) }).then(
      (r) => r.ok,
      () => false,
    );
    if (alive) {
      if (takeoverGraceSeconds !== undefined) {
        throw new UsageError(
          '--takeover-grace cannot change the running `meridian up`: its grace is fixed when it starts. ' +
            'Restart it with `meridian up --takeover-grace <seconds>`, or stop it and let the drill start its own runtime',
        );
      }
      if (values['time-scale'] !== undefined)
        say(`--time-scale ignored: the running \`meridian up\` runs at ${running.timeScale}`);
      say(
        `using the running \`meridian up\` (${running.regions.join(', ')}, time scale ${running.timeScale})`,
      );
      const target = localTarget(controlEndpointHandle(running), { log: say });
      return { target, done: () => target.close() };
    }
  }
  const timeScale = number(values['time-scale'] as string | undefined, 'time-scale') ?? 20;
  if (timeScale <= 0) throw new UsageError('--time-scale must be > 0');
  // The regions the runtime will have are known: a wrong --region or --peer fails before it starts.
  const planned = regions ?? DEFAULT_ENVIRONMENTS.local.regions;
  for (const flag of ['region', 'peer'] as const) {
    const region = values[flag] as string | undefined;
    if (region !== undefined && !planned.includes(region)) {
      throw new UsageError(`--${flag} ${region} is not one of the target's regions (${planned.join(', ')})`);
    }
  }
  const dir = mkdtempSync(path.join(tmpdir(), 'meridian-drill-'));
  say(
    `no running \`meridian up\`: starting a local runtime of its own (time scale ${timeScale}, ` +
      `${takeoverGraceSeconds === undefined ? 'default takeover grace' : `takeover grace ${takeoverGraceSeconds} s`}, state ${dir})`,
  );
  const runtime = await startRuntime({
    stateDir: dir,
    edgePort: 0,
    timeScale,
    ...(regions && { regions }),
    ...(takeoverGraceSeconds !== undefined && { takeoverGraceSeconds }),
    log: say,
  });
  const target = localTarget(inProcessHandle(runtime), { log: say });
  return {
    target,
    async done() {
      await target.close();
      await runtime.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

async function drill(args: string[]): Promise<void> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      json: { type: 'boolean', default: false },
      target: { type: 'string' },
      env: { type: 'string' },
      regions: { type: 'string' },
      'edge-url': { type: 'string' },
      region: { type: 'string' },
      peer: { type: 'string' },
      concurrency: { type: 'string' },
      rate: { type: 'string' },
      warmup: { type: 'string' },
      fault: { type: 'string' },
      recovery: { type: 'string' },
      'latency-ms': { type: 'string' },
      'settle-timeout': { type: 'string' },
      'time-scale': { type: 'string' },
      'takeover-grace': { type: 'string' },
      'state-dir': { type: 'string', default: DEFAULT_STATE_DIR },
    },
  });
  const [scenario, ...extra] = positionals;
  if (!scenario || extra.length || !(SCENARIOS as readonly string[]).includes(scenario)) {
    throw new UsageError(`usage: meridian drill <${SCENARIOS.join('|')}> [options] (see meridian help)`);
  }
  const positive = (name: string): number | undefined => {
    const n = number(values[name as keyof typeof values] as string | undefined, name);
    if (n !== undefined && n <= 0) throw new UsageError(`--${name} must be > 0`);
    return n;
  };
  const concurrency = positive('concurrency');
  if (concurrency !== undefined && !Number.isInteger(concurrency))
    throw new UsageError('--concurrency must be a whole number');
  const settings = {
    concurrency,
    ratePerSecond: positive('rate'),
    warmupSeconds: number(values.warmup, 'warmup'),
    faultSeconds: positive('fault'),
    recoverySeconds: number(values.recovery, 'recovery'),
    latencyMs: number(values['latency-ms'], 'latency-ms'),
    settleTimeoutSeconds: positive('settle-timeout'),
  };
  // Progress goes to stderr, so `--json` leaves stdout to the report alone.
  const say = (line: string) => console.error(`[drill] ${line}`);
  let target: Awaited<ReturnType<typeof drillTarget>>;
  try {
    target = await drillTarget(values, values['state-dir'], say);
  } catch (err) {
    if (err instanceof DrillTargetError) throw new UsageError(err.message);
    throw err;
  }
  // Ctrl-C mends the fault before leaving (an inverted health check must not stay inverted); twice: now.
  const interrupt = new AbortController();
  process.once('SIGINT', () => {
    say('interrupted: mending the fault and stopping the load (Ctrl-C again to leave at once)');
    interrupt.abort();
    process.once('SIGINT', () => process.exit(130));
  });
  try {
    const report = await runDrill({
      target: target.target,
      signal: interrupt.signal,
      scenario: scenario as ScenarioName,
      ...(values.region && { region: values.region }),
      ...(values.peer && { peer: values.peer }),
      ...Object.fromEntries(Object.entries(settings).filter(([, v]) => v !== undefined)),
      log: say,
    }).catch((err: unknown) => {
      throw err instanceof DrillTargetError ? new UsageError(err.message) : err;
    });
    console.log(values.json ? JSON.stringify(report, null, 2) : formatDrillReport(report));
    if (!report.invariants.passed) process.exitCode = 1;
  } finally {
    await target.done();
  }
}

async function bench(args: string[]): Promise<void> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      json: { type: 'boolean', default: false },
      concurrency: { type: 'string' },
      orders: { type: 'string' },
      'ceiling-seconds': { type: 'string' },
      'idle-seconds': { type: 'string' },
      'visibility-orders': { type: 'string' },
      regions: { type: 'string' },
      'time-scale': { type: 'string' },
    },
  });
  if (positionals.length) throw new UsageError(`bench takes no arguments, got "${positionals.join(' ')}"`);
  const timeScale = number(values['time-scale'], 'time-scale') ?? 1;
  if (timeScale <= 0) throw new UsageError('--time-scale must be > 0');
  const options = {
    concurrency: number(values.concurrency, 'concurrency'),
    orders: number(values.orders, 'orders'),
    ceilingSeconds: number(values['ceiling-seconds'], 'ceiling-seconds'),
    idleSeconds: number(values['idle-seconds'], 'idle-seconds'),
    visibilityOrders: number(values['visibility-orders'], 'visibility-orders'),
  };
  // Before a runtime starts: a bad option costs nothing.
  try {
    benchSettings(Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined)), timeScale);
  } catch (err) {
    const kebab = (name: string) => name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
    if (err instanceof BenchError) throw new UsageError(`--${err.message.replace(/^\w+/, kebab)}`);
    throw err;
  }
  const say = (line: string) => console.error(`[bench] ${line}`);
  const dir = mkdtempSync(path.join(tmpdir(), 'meridian-bench-'));
  const runtime = await startRuntime({
    stateDir: dir,
    edgePort: 0,
    timeScale,
    ...(values.regions && { regions: regionList(values.regions) }),
    log: say,
  });
  try {
    const report = await runBench({
      runtime,
      ...Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined)),
      log: say,
    });
    console.log(values.json ? JSON.stringify(report, null, 2) : formatBenchReport(report));
  } finally {
    await runtime.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

async function main(argv: string[]): Promise<void> {
  const [command, ...rest] = argv;
  const stateDirIndex = rest.indexOf('--state-dir');
  const stateDir = stateDirIndex >= 0 ? (rest[stateDirIndex + 1] ?? DEFAULT_STATE_DIR) : DEFAULT_STATE_DIR;
  const args =
    stateDirIndex >= 0 ? rest.filter((_, i) => i !== stateDirIndex && i !== stateDirIndex + 1) : rest;
  switch (command) {
    case 'up':
      return up(rest);
    case 'region': {
      const [action, region] = args;
      if ((action !== 'kill' && action !== 'restore') || !region)
        throw new UsageError('usage: meridian region kill|restore <region>');
      await call(stateDir, 'POST', `/regions/${encodeURIComponent(region)}/${action}`);
      console.log(`${region}: ${action === 'kill' ? 'killed' : 'restored'}`);
      return;
    }
    case 'link': {
      const [action, a, b, ms] = args;
      if (
        !a ||
        !b ||
        !['partition', 'heal', 'lag'].includes(action ?? '') ||
        (action === 'lag' && ms === undefined)
      ) {
        throw new UsageError('usage: meridian link partition|heal <a> <b> | meridian link lag <a> <b> <ms>');
      }
      const route = `/links/${encodeURIComponent(a)}/${encodeURIComponent(b)}/${action}`;
      await call(stateDir, 'POST', route, action === 'lag' ? { ms: number(ms, 'ms') } : undefined);
      console.log(
        `link ${a} ↔ ${b}: ${action === 'lag' ? `lag ${ms} ms` : action === 'partition' ? 'partitioned' : 'healed'}`,
      );
      return;
    }
    case 'status': {
      const status = await call(stateDir, 'GET', '/status');
      if (args.includes('--json')) console.log(JSON.stringify(status, null, 2));
      else printStatus(status as Parameters<typeof printStatus>[0]);
      return;
    }
    case 'drill':
      return drill(rest);
    case 'bench':
      return bench(rest);
    case undefined:
    case 'help':
    case '--help':
      console.log(USAGE);
      if (!command) process.exitCode = 1;
      return;
    default:
      throw new UsageError(`unknown command "${command}"\n\n${USAGE}`);
  }
}

/** Whether node:util parseArgs rejected the command line (an unknown option, a missing value). */
const isParseArgsError = (err: unknown): boolean =>
  err instanceof Error && String((err as { code?: unknown }).code).startsWith('ERR_PARSE_ARGS');

main(process.argv.slice(2)).catch((err: unknown) => {
  console.error(`meridian: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(err instanceof UsageError || isParseArgsError(err) ? 2 : 1);
});

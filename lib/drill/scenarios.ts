/** The four drills: what each breaks, how it mends it, and what the target must offer for it. */
import type { DrillFaults, DrillTarget } from './target';

/** The scenario names `meridian drill` accepts. */
export const SCENARIOS = [
  'region-outage',
  'health-check-inversion',
  'replication-partition',
  'latency',
] as const;
export type ScenarioName = (typeof SCENARIOS)[number];

/** What a scenario acts on. */
export interface FaultContext {
  readonly target: DrillTarget;
  /** The region the fault hits (killed, inverted; one end of a link). */
  readonly region: string;
  /** The other end of a link. */
  readonly peer: string;
  /** The link lag the `latency` drill sets, ms. */
  readonly latencyMs: number;
}

/** One scenario. */
export interface Scenario {
  readonly name: ScenarioName;
  readonly summary: string;
  /** The faults the target must offer. */
  readonly needs: readonly (keyof DrillFaults)[];
  /** Whether Route 53-style health checks are expected to take the region out (detection is measured). */
  readonly detected: boolean;
  /** Whether the region's own replica can be read during the fault. */
  readonly regionReadableDuringFault: boolean;
  /** Breaks something; returns what it did, for the timeline. */
  inject(ctx: FaultContext): Promise<string>;
  /** Mends what `inject` broke. */
  recover(ctx: FaultContext): Promise<string>;
}

const required = <K extends keyof DrillFaults>(faults: DrillFaults, name: K): NonNullable<DrillFaults[K]> => {
  const fault = faults[name];
  if (!fault) throw new Error(`the target cannot ${name}`);
  return fault as NonNullable<DrillFaults[K]>;
};

/** The lag the latency drill found on the link, put back by its recovery. */
const lagsBefore = new WeakMap<FaultContext, number | undefined>();

export const SCENARIO_DEFINITIONS: Readonly<Record<ScenarioName, Scenario>> = {
  'region-outage': {
    name: 'region-outage',
    summary: 'kill a region under load, keep it down, restore it',
    needs: ['killRegion', 'restoreRegion'],
    detected: true,
    regionReadableDuringFault: false,
    async inject({ target, region }) {
      await required(target.faults, 'killRegion')(region);
      return `killed ${region}`;
    },
    async recover({ target, region }) {
      await required(target.faults, 'restoreRegion')(region);
      return `restored ${region}`;
    },
  },
  'health-check-inversion': {
    name: 'health-check-inversion',
    summary: "invert the region's Route 53 health check (UpdateHealthCheck Inverted=true), then revert it",
    needs: ['setHealthCheckInverted'],
    detected: true,
    regionReadableDuringFault: true,
    async inject({ target, region }) {
      await target.faults.setHealthCheckInverted(region, true);
      return `inverted the health check of ${region}`;
    },
    async recover({ target, region }) {
      await target.faults.setHealthCheckInverted(region, false);
      return `reverted the health check of ${region}`;
    },
  },
  'replication-partition': {
    name: 'replication-partition',
    summary: 'cut the link between two regions, keep writing on both sides, heal it',
    needs: ['partition', 'heal'],
    detected: false,
    regionReadableDuringFault: true,
    async inject({ target, region, peer }) {
      await required(target.faults, 'partition')(region, peer);
      return `partitioned ${region} ↔ ${peer}`;
    },
    async recover({ target, region, peer }) {
      await required(target.faults, 'heal')(region, peer);
      return `healed ${region} ↔ ${peer}`;
    },
  },
  latency: {
    name: 'latency',
    summary: 'add latency to the link between two regions, then take it away',
    needs: ['setLinkLag'],
    detected: false,
    regionReadableDuringFault: true,
    async inject(ctx) {
      const before = await required(ctx.target.faults, 'setLinkLag')(ctx.region, ctx.peer, ctx.latencyMs);
      lagsBefore.set(ctx, before);
      return `link ${ctx.region} ↔ ${ctx.peer}: lag ${before ?? '?'} → ${ctx.latencyMs} ms`;
    },
    async recover(ctx) {
      const before = lagsBefore.get(ctx) ?? 0;
      await required(ctx.target.faults, 'setLinkLag')(ctx.region, ctx.peer, before);
      return `link ${ctx.region} ↔ ${ctx.peer}: lag back to ${before} ms`;
    },
  },
};

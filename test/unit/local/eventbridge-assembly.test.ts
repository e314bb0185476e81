import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { synthLocal, type LocalAssembly, type RuleTargetKind } from '../../../local/assembly';
import { LocalEventBridge, type EventBridgeEvent } from '../../../local/eventbridge';

// One in-process synthesis without bundling (structure only): the rules and targets are what matter here.
jest.setTimeout(120_000);

let outdir: string;
let model: LocalAssembly;

beforeAll(() => {
  outdir = mkdtempSync(path.join(tmpdir(), 'meridian-eb-assembly-'));
  model = synthLocal({ outdir, bundling: false });
});

afterAll(() => {
  if (outdir) rmSync(outdir, { recursive: true, force: true });
});

async function waitFor(what: string, condition: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

describe('LocalEventBridge serves the synthesized rules', () => {
  it('accepts every rule and target kind of every region, forwards to the peers and fires the schedules', async () => {
    const kindsSeen = new Set<RuleTargetKind>();
    for (const region of model.regions) {
      const calls: { port: string; arn: string; payload: unknown }[] = [];
      const record = (port: string) => async (arn: string, payload: unknown) => {
        calls.push({ port, arn, payload });
      };
      const bridge = new LocalEventBridge({
        region: region.region,
        accountId: region.accountId,
        buses: region.eventBuses,
        rules: region.rules,
        targets: {
          lambda: record('lambda'),
          sqs: record('sqs'),
          states: record('states'),
          eventBus: record('eventBus'),
          sns: record('sns'),
        },
        timeScale: 6000,
      });
      try {
        expect(region.rules.length).toBeGreaterThan(0);
        const ruleNames = Object.keys(bridge.stats().rules);
        expect(ruleNames.sort()).toEqual(region.rules.map((r) => r.logicalId).sort());
        for (const rule of region.rules) {
          for (const t of rule.targets) kindsSeen.add(t.kind);
          expect(bridge.listTargetsByRule(rule.logicalId, rule.busName)).toHaveLength(rule.targets.length);
        }

        // An event produced in this region: forwarded to every peer and delivered to the local consumers.
        const bus = region.eventBuses[0];
        if (!bus) throw new Error(`${region.region} has no event bus`);
        const out = bridge.putEvents([
          {
            EventBusName: bus.name,
            Source: 'meridian.orders',
            DetailType: 'OrderFailed',
            Detail: JSON.stringify({ region: region.region, type: 'OrderFailed' }),
          },
        ]);
        expect(out.FailedEntryCount).toBe(0);
        const peers = model.regions.filter((r) => r.region !== region.region);
        await waitFor(
          'forwards and local delivery',
          () => calls.filter((c) => c.port === 'eventBus').length === peers.length,
        );
        for (const peer of peers) {
          const forward = calls.find((c) => c.port === 'eventBus' && c.arn.includes(`:${peer.region}:`));
          expect((forward?.payload as EventBridgeEvent | undefined)?.id).toBe(out.Entries[0]?.EventId);
        }
        await waitFor('the alerts consumer', () => calls.some((c) => c.port === 'lambda'));

        // The schedule on the default bus fires at timeScale 6000 (rate(1 minute) → 10 ms).
        const scheduled = region.rules.filter((r) => r.scheduleExpression);
        expect(scheduled.length).toBeGreaterThan(0);
        bridge.start();
        await waitFor('the scheduled rules', () =>
          scheduled.every((r) => (bridge.stats().rules[r.logicalId]?.delivered ?? 0) >= 1),
        );
      } finally {
        await bridge.close();
      }
    }
    // The kinds the synthesized platform uses today, all of them served.
    expect([...kindsSeen].sort()).toEqual(expect.arrayContaining(['event-bus', 'lambda']));
  });
});

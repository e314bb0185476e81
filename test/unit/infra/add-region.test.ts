import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { DEFAULT_ENVIRONMENTS, resolveEnvironment, type MeridianEnvironment } from '../../../lib/config';
import { GlobalDataStage } from '../../../lib/global-data';
import { RegionalStage } from '../../../lib/regional';
import { TABLES } from '../../../services/shared/tables';

type Json = Record<string, unknown>;

const DNS = {
  domainName: 'api.meridian.example.com',
  hostedZoneId: 'Z0123456789ABC',
  zoneName: 'meridian.example.com',
};

function prod(regions: string[]): MeridianEnvironment {
  return resolveEnvironment({ ...DEFAULT_ENVIRONMENTS.prod, regions, dns: DNS });
}

/** Everything a region contributes to the environment, counted from the synthesized templates. */
function footprint(config: MeridianEnvironment) {
  const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
  const globalData = new GlobalDataStage(app, 'GlobalData', { config });
  const stages = config.regions.map((region) => new RegionalStage(app, `Prod-${region}`, { config, region }));
  const tables = globalData.node
    .findAll()
    .filter((c): c is Stack => c instanceof Stack)
    .flatMap(
      (s) => Object.values(Template.fromStack(s).findResources('AWS::DynamoDB::GlobalTable')) as Json[],
    );
  const regional = stages.map((stage) => {
    const stack = stage.node.children.find((c): c is Stack => c instanceof Stack)!;
    return { region: stage.region!, template: Template.fromStack(stack) };
  });
  return { stages: stages.length, tables, regional };
}

function replicaRegions(table: Json): string[] {
  return ((table.Properties as Json).Replicas as Json[]).map((r) => r.Region as string).sort();
}

function forwardingTargets(template: Template): string[] {
  return Object.values(template.findResources('AWS::Events::Rule'))
    .flatMap((r) => (((r as Json).Properties as Json).Targets as Json[] | undefined) ?? [])
    .map((t) => JSON.stringify(t.Arn))
    .filter((arn) => arn.includes(':events:') && arn.includes('event-bus/'));
}

describe('adding a region to the environment config', () => {
  const before = footprint(prod(['us-east-1', 'eu-west-1', 'ap-southeast-1']));
  const after = footprint(prod(['us-east-1', 'eu-west-1', 'ap-southeast-1', 'us-west-2']));

  it('adds a regional stage', () => {
    expect(after.stages).toBe(before.stages + 1);
  });

  it('adds a replica of every global table in the new region', () => {
    expect(before.tables).toHaveLength(Object.keys(TABLES).length);
    for (const table of after.tables) expect(replicaRegions(table)).toContain('us-west-2');
    for (const table of before.tables) expect(replicaRegions(table)).not.toContain('us-west-2');
  });

  it('adds a forwarding rule to the new region in every peer, and the new region forwards to every peer', () => {
    for (const { region, template } of after.regional) {
      const targets = forwardingTargets(template);
      const peers = after.regional.map((r) => r.region).filter((r) => r !== region);
      expect(targets).toHaveLength(peers.length);
      for (const peer of peers) expect(targets.some((arn) => arn.includes(`:events:${peer}:`))).toBe(true);
    }
  });

  it('adds a health check and latency records for the new region', () => {
    const records = (fp: typeof after) =>
      fp.regional.flatMap(({ template }) =>
        Object.values(template.findResources('AWS::Route53::RecordSet')).map(
          (r) => (r as Json).Properties as Json,
        ),
      );
    const newRecords = records(after).filter((r) => r.SetIdentifier === 'us-west-2');
    expect(newRecords.length).toBeGreaterThanOrEqual(1);
    for (const r of newRecords)
      expect(r).toMatchObject({ Region: 'us-west-2', HealthCheckId: expect.anything() });
    expect(records(after).length - records(before).length).toBe(newRecords.length);
    const checks = (fp: typeof after) =>
      fp.regional.reduce(
        (n, { template }) => n + Object.keys(template.findResources('AWS::Route53::HealthCheck')).length,
        0,
      );
    expect(checks(after)).toBe(checks(before) + 1);
  });
});

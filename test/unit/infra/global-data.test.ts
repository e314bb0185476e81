import { App, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import {
  DEFAULT_ENVIRONMENTS,
  resolveEnvironment,
  type EnvironmentInput,
  type MeridianEnvironment,
} from '../../../lib/config';
import {
  DataKeysStack,
  GlobalDataStage,
  GlobalTablesStack,
  dataKeyAliasArn,
  dataKeyAliasName,
  tableName,
} from '../../../lib/global-data';
import { TABLES, type TableId } from '../../../services/shared/tables';
import { flatten } from '../../support/cfn';

type Json = Record<string, unknown>;
interface Replica {
  readonly Region: string;
  readonly DeletionProtectionEnabled?: boolean;
  readonly PointInTimeRecoverySpecification?: Json;
  readonly SSESpecification?: { readonly KMSMasterKeyId: unknown };
}
interface Built {
  readonly app: App;
  readonly stage: GlobalDataStage;
  readonly tables: Template;
}

const PROD = resolveEnvironment(DEFAULT_ENVIRONMENTS.prod);
const DEV = resolveEnvironment(DEFAULT_ENVIRONMENTS.dev);
const TABLE_IDS = Object.keys(TABLES) as TableId[];

function environment(overrides: Partial<EnvironmentInput>): MeridianEnvironment {
  return resolveEnvironment({ ...DEFAULT_ENVIRONMENTS.prod, ...overrides });
}

function build(config: MeridianEnvironment): Built {
  const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
  const stage = new GlobalDataStage(app, 'GlobalData', { config });
  return { app, stage, tables: Template.fromStack(stage.tables) };
}

/** The `AWS::DynamoDB::GlobalTable` named `name`. */
function globalTable(template: Template, name: string): { Properties: Json; DeletionPolicy?: string } {
  const found = Object.values(
    template.findResources('AWS::DynamoDB::GlobalTable', { Properties: { TableName: name } }),
  );
  expect(found).toHaveLength(1);
  return found[0] as { Properties: Json; DeletionPolicy?: string };
}

function replicas(template: Template, name: string): Replica[] {
  return globalTable(template, name).Properties.Replicas as Replica[];
}

function aliasArn(config: MeridianEnvironment, region: string): string {
  return `arn:\${AWS::Partition}:kms:${region}:${config.account}:alias/${config.prefix}-data`;
}

function nagViolations(app: App): unknown[] {
  return new AwsSolutionsChecks(app).validateScope(app).violations;
}

describe('global data stage, prod', () => {
  const { app, stage, tables } = build(PROD);

  it('has a data key stack in every region and the tables in the primary region, after every key', () => {
    expect(Object.keys(stage.keys).sort()).toEqual([...PROD.regions].sort());
    for (const region of PROD.regions) {
      expect(stage.keys[region]!.region).toBe(region);
      expect(stage.keys[region]!.account).toBe(PROD.account);
    }
    expect(stage.tables.region).toBe(PROD.primaryRegion);
    expect(stage.tables.dependencies.map((s) => s.region).sort()).toEqual([...PROD.regions].sort());
  });

  it('protects both kinds of stack from deletion', () => {
    expect(stage.tables.terminationProtection).toBe(true);
    expect(Object.values(stage.keys).every((s) => s.terminationProtection)).toBe(true);
  });

  it.each(PROD.regions)('creates a rotating, retained data key with the data alias in %s', (region) => {
    const keys = Template.fromStack(stage.keys[region]!);

    keys.resourceCountIs('AWS::KMS::Key', 1);
    keys.hasResource('AWS::KMS::Key', {
      Properties: Match.objectLike({ EnableKeyRotation: true, PendingWindowInDays: 30 }),
      DeletionPolicy: 'Retain',
      UpdateReplacePolicy: 'Retain',
    });
    keys.hasResourceProperties('AWS::KMS::Alias', { AliasName: 'alias/meridian-prod-data' });
  });

  it('lets DynamoDB use the key on behalf of principals of this account only', () => {
    const keys = Template.fromStack(stage.keys['eu-west-1']!);

    keys.hasResourceProperties('AWS::KMS::Key', {
      KeyPolicy: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Effect: 'Allow',
            Principal: { AWS: '*' },
            Action: Match.arrayWith([
              'kms:Decrypt',
              'kms:GenerateDataKey*',
              'kms:CreateGrant',
              'kms:DescribeKey',
            ]),
            Condition: {
              StringEquals: { 'kms:CallerAccount': PROD.account },
              StringLike: {
                'kms:ViaService': { 'Fn::Join': ['', ['dynamodb.*.', { Ref: 'AWS::URLSuffix' }]] },
              },
            },
          }),
          Match.objectLike({
            Principal: { Service: 'dynamodb.amazonaws.com' },
            Action: ['kms:Describe*', 'kms:Get*', 'kms:List*'],
          }),
        ]),
      },
    });
  });

  it('creates one global table per table definition', () => {
    tables.resourceCountIs('AWS::DynamoDB::GlobalTable', TABLE_IDS.length);
    expect(TABLE_IDS).toHaveLength(5);
  });

  it.each(TABLE_IDS)('gives %s its explicit name, keys, GSIs, TTL and on-demand billing', (id) => {
    const def = TABLES[id];
    const { Properties: table } = globalTable(tables, tableName(PROD, id));

    expect(table.TableName).toBe(`meridian-prod-${id}`);
    expect(table.BillingMode).toBe('PAY_PER_REQUEST');
    expect(table.KeySchema).toEqual([
      { AttributeName: def.partitionKey, KeyType: 'HASH' },
      { AttributeName: def.sortKey, KeyType: 'RANGE' },
    ]);
    expect(table.GlobalSecondaryIndexes ?? []).toEqual(
      def.gsis.map((gsi) => ({
        IndexName: gsi.indexName,
        KeySchema: [
          { AttributeName: gsi.partitionKey, KeyType: 'HASH' },
          { AttributeName: gsi.sortKey, KeyType: 'RANGE' },
        ],
        Projection: { ProjectionType: 'ALL' },
      })),
    );
    const keyAttributes = [
      def.partitionKey,
      def.sortKey,
      ...def.gsis.flatMap((g) => [g.partitionKey, g.sortKey]),
    ];
    expect(table.AttributeDefinitions).toEqual(
      [...new Set(keyAttributes)].map((name) => ({ AttributeName: name, AttributeType: 'S' })),
    );
    expect(table.TimeToLiveSpecification).toEqual(
      def.ttlAttribute ? { AttributeName: def.ttlAttribute, Enabled: true } : undefined,
    );
    expect(table.StreamSpecification).toEqual({ StreamViewType: 'NEW_AND_OLD_IMAGES' });
    expect(table.MultiRegionConsistency).toBeUndefined();
  });

  it.each(TABLE_IDS)('replicates %s to every prod region with PITR and deletion protection', (id) => {
    const all = replicas(tables, tableName(PROD, id));

    expect(all).toHaveLength(3);
    expect(all.map((r) => r.Region).sort()).toEqual(['ap-southeast-1', 'eu-west-1', 'us-east-1']);
    for (const replica of all) {
      expect(replica.PointInTimeRecoverySpecification).toEqual({ PointInTimeRecoveryEnabled: true });
      expect(replica.DeletionProtectionEnabled).toBe(true);
    }
  });

  it.each(TABLE_IDS)('encrypts %s with the data key of each replica region', (id) => {
    const table = globalTable(tables, tableName(PROD, id)).Properties;
    const all = table.Replicas as Replica[];

    expect(table.SSESpecification).toEqual({ SSEEnabled: true, SSEType: 'KMS' });
    for (const replica of all.filter((r) => r.Region !== PROD.primaryRegion)) {
      expect(flatten(replica.SSESpecification?.KMSMasterKeyId)).toBe(aliasArn(PROD, replica.Region));
    }
    // The primary replica uses the primary key stack's key itself, exported from that stack.
    const primary = all.find((r) => r.Region === PROD.primaryRegion)!;
    const imported = (primary.SSESpecification?.KMSMasterKeyId as { 'Fn::ImportValue': string })[
      'Fn::ImportValue'
    ];
    const keys = Template.fromStack(stage.keys[PROD.primaryRegion]!).toJSON() as { Outputs: Json };
    const output = Object.values(keys.Outputs).find(
      (o) => (o as { Export?: { Name: string } }).Export?.Name === imported,
    ) as { Value: { 'Fn::GetAtt': [string, string] } };
    expect(output.Value['Fn::GetAtt'][1]).toBe('Arn');
    expect(output.Value['Fn::GetAtt'][0]).toMatch(/^DataKey/);
  });

  it('retains every table when its stack or the table is removed', () => {
    for (const id of TABLE_IDS) {
      tables.hasResource('AWS::DynamoDB::GlobalTable', {
        Properties: Match.objectLike({ TableName: tableName(PROD, id) }),
        DeletionPolicy: 'Retain',
        UpdateReplacePolicy: 'Retain',
      });
    }
  });

  it('has no unacknowledged cdk-nag AwsSolutions finding', () => {
    expect(nagViolations(app)).toEqual([]);
  });
});

describe('global data stage, dev', () => {
  const { app, stage, tables } = build(DEV);

  it('has one replica per table, in the only region, without deletion protection', () => {
    for (const id of TABLE_IDS) {
      const all = replicas(tables, tableName(DEV, id));
      expect(all).toHaveLength(1);
      expect(all[0]).toMatchObject({
        Region: 'us-east-1',
        DeletionProtectionEnabled: false,
        PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
      });
    }
  });

  it('destroys tables and keys with the stage, keeping a short key deletion window', () => {
    for (const id of TABLE_IDS) expect(globalTable(tables, tableName(DEV, id)).DeletionPolicy).toBe('Delete');
    Template.fromStack(stage.keys['us-east-1']!).hasResource('AWS::KMS::Key', {
      Properties: Match.objectLike({ EnableKeyRotation: true, PendingWindowInDays: 7 }),
      DeletionPolicy: 'Delete',
    });
    expect(stage.tables.terminationProtection).toBe(false);
  });

  it('still enables streams, so that adding a region only adds replicas', () => {
    for (const id of TABLE_IDS) {
      expect(globalTable(tables, tableName(DEV, id)).Properties.StreamSpecification).toEqual({
        StreamViewType: 'NEW_AND_OLD_IMAGES',
      });
    }
  });

  it('names everything with the dev prefix', () => {
    tables.hasResourceProperties('AWS::DynamoDB::GlobalTable', { TableName: 'meridian-dev-orders' });
    Template.fromStack(stage.keys['us-east-1']!).hasResourceProperties('AWS::KMS::Alias', {
      AliasName: 'alias/meridian-dev-data',
    });
  });

  it('has no unacknowledged cdk-nag AwsSolutions finding', () => {
    expect(nagViolations(app)).toEqual([]);
  });
});

describe('adding a region', () => {
  const before = build(PROD);
  const after = build(environment({ regions: [...PROD.regions, 'sa-east-1'] }));

  it('adds a data key stack in the new region', () => {
    expect(Object.keys(after.stage.keys)).toHaveLength(Object.keys(before.stage.keys).length + 1);
    Template.fromStack(after.stage.keys['sa-east-1']!).hasResourceProperties('AWS::KMS::Alias', {
      AliasName: 'alias/meridian-prod-data',
    });
    expect(after.stage.tables.dependencies).toContain(after.stage.keys['sa-east-1']);
  });

  it.each(TABLE_IDS)('adds a replica of %s encrypted with the new region key', (id) => {
    const added = replicas(after.tables, tableName(PROD, id));

    expect(added).toHaveLength(replicas(before.tables, tableName(PROD, id)).length + 1);
    const replica = added.find((r) => r.Region === 'sa-east-1')!;
    expect(replica.PointInTimeRecoverySpecification).toEqual({ PointInTimeRecoveryEnabled: true });
    expect(flatten(replica.SSESpecification?.KMSMasterKeyId)).toBe(aliasArn(PROD, 'sa-east-1'));
  });
});

describe('inventory with multi-Region strong consistency', () => {
  it('makes the inventory table STRONG across three regions of one set, and only that table', () => {
    const config = environment({
      regions: ['us-east-1', 'us-east-2', 'us-west-2'],
      inventoryConsistency: 'strong',
    });
    const { app, tables } = build(config);

    const inventory = globalTable(tables, tableName(config, 'inventory')).Properties;
    expect(inventory.MultiRegionConsistency).toBe('STRONG');
    expect(inventory.TimeToLiveSpecification).toBeUndefined();
    expect(inventory.GlobalTableWitnesses).toBeUndefined();
    expect((inventory.Replicas as Replica[]).map((r) => r.Region).sort()).toEqual([
      'us-east-1',
      'us-east-2',
      'us-west-2',
    ]);
    for (const id of TABLE_IDS.filter((t) => t !== 'inventory')) {
      expect(globalTable(tables, tableName(config, id)).Properties.MultiRegionConsistency).toBeUndefined();
    }
    expect(nagViolations(app)).toEqual([]);
  });

  it('uses the witness region with two replicas', () => {
    const config = environment({
      regions: ['us-east-1', 'us-east-2'],
      witnessRegion: 'us-west-2',
      inventoryConsistency: 'strong',
    });
    const { stage, tables } = build(config);

    const inventory = globalTable(tables, tableName(config, 'inventory')).Properties;
    expect(inventory.MultiRegionConsistency).toBe('STRONG');
    expect(inventory.GlobalTableWitnesses).toEqual([{ Region: 'us-west-2' }]);
    expect((inventory.Replicas as Replica[]).map((r) => r.Region).sort()).toEqual(['us-east-1', 'us-east-2']);
    // A witness holds no replica, so it gets no data key either.
    expect(Object.keys(stage.keys).sort()).toEqual(['us-east-1', 'us-east-2']);
  });
});

describe('names other stacks use', () => {
  it('derives table names and the data key alias from the environment prefix', () => {
    expect(tableName(PROD, 'processed-events')).toBe('meridian-prod-processed-events');
    expect(dataKeyAliasName(DEV)).toBe('alias/meridian-dev-data');
  });

  it('builds the alias ARN of any region with the partition of the deploying stack', () => {
    const stack = new Stack(new App(), 'Probe', { env: { account: PROD.account, region: 'eu-west-1' } });

    expect(flatten(stack.resolve(dataKeyAliasArn(PROD, 'ap-southeast-1')))).toBe(
      aliasArn(PROD, 'ap-southeast-1'),
    );
  });
});

describe('misplaced stacks', () => {
  it('refuses a data key stack in a region the environment does not have', () => {
    const app = new App();

    expect(
      () =>
        new DataKeysStack(app, 'Keys', { config: PROD, env: { account: PROD.account, region: 'us-west-2' } }),
    ).toThrow(/us-west-2 is not a region of environment prod/);
  });

  it('refuses the tables stack outside the primary region', () => {
    const app = new App();
    const keys = new DataKeysStack(app, 'Keys', {
      config: PROD,
      env: { account: PROD.account, region: 'eu-west-1' },
    });

    expect(
      () =>
        new GlobalTablesStack(app, 'Tables', {
          config: PROD,
          primaryKey: keys.key,
          env: { account: PROD.account, region: 'eu-west-1' },
        }),
    ).toThrow(/primary region us-east-1, not eu-west-1/);
  });
});

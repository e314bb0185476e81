import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { DEFAULT_ENVIRONMENTS } from '../../../lib/config';
import { listStacks, synthLocal, type LocalAssembly, type RegionModel } from '../../../local/assembly';
import { FIS_TEMPLATE_TAGS, REPLICATION_PAUSE_ACTION } from '../../../services/shared/fault-injection';

// One in-process synthesis of the local environment, bundling on (~15 s): the runtime runs these bundles.
jest.setTimeout(180_000);

const LOCAL_REGIONS = DEFAULT_ENVIRONMENTS.local.regions;
let outdir: string;
let model: LocalAssembly;

beforeAll(() => {
  outdir = mkdtempSync(path.join(tmpdir(), 'meridian-assembly-'));
  model = synthLocal({ outdir });
});

afterAll(() => {
  if (outdir) rmSync(outdir, { recursive: true, force: true });
});

type Resources = Record<string, { Type: string; Properties?: Record<string, unknown> }>;

function template(region: RegionModel): Resources {
  return (JSON.parse(readFileSync(region.templatePath, 'utf8')) as { Resources: Resources }).Resources;
}

function functionByCdkName(region: RegionModel, name: string) {
  const fn = region.functions.find((f) => f.cdkPath?.includes(`/Services/${name}/Function/`));
  if (!fn) throw new Error(`no function ${name} in ${region.region}`);
  return fn;
}

/** Every Lambda function a state machine definition invokes (Task resources and lambda:invoke), nested states too. */
function lambdaResources(states: Record<string, Record<string, unknown>>): string[] {
  const found: string[] = [];
  for (const state of Object.values(states)) {
    const resource = state.Resource;
    const params = state.Parameters as Record<string, unknown> | undefined;
    if (typeof resource === 'string' && /^arn:aws:lambda:/.test(resource)) found.push(resource);
    if (typeof resource === 'string' && /:states:::lambda:invoke/.test(resource)) {
      found.push(String(params?.FunctionName));
    }
    const branches = [
      ...((state.Branches as { States: Record<string, Record<string, unknown>> }[] | undefined) ?? []),
      ...[state.Iterator, state.ItemProcessor].filter(Boolean),
    ] as { States: Record<string, Record<string, unknown>> }[];
    for (const branch of branches) found.push(...lambdaResources(branch.States));
  }
  return found;
}

describe('synthLocal + readAssembly', () => {
  it('reads one regional model per local region, in the configured order (primary first)', () => {
    expect(LOCAL_REGIONS).toHaveLength(2);
    expect(model.regions.map((r) => r.region)).toEqual([...LOCAL_REGIONS]);
    for (const region of model.regions) {
      expect(region.stackName).toBe(`meridian-local-${region.region}`);
      expect(existsSync(region.templatePath)).toBe(true);
    }
  });

  it('models every AWS::Lambda::Function of each regional template, with a handler, bundle and resolved environment', () => {
    for (const region of model.regions) {
      const templateFunctions = Object.entries(template(region))
        .filter(([, r]) => r.Type === 'AWS::Lambda::Function')
        .map(([id]) => id)
        .sort();
      expect(templateFunctions).toHaveLength(21);
      expect(region.functions.map((f) => f.logicalId).sort()).toEqual(templateFunctions);
      for (const fn of region.functions) {
        expect(fn.handler).toMatch(/^index\.[A-Za-z_$][\w$]*$/);
        expect(fn.runtime).toMatch(/^nodejs/);
        expect(fn.timeoutSeconds).toBeGreaterThan(0);
        expect(fn.memoryMb).toBeGreaterThanOrEqual(128);
        expect(fn.aliasLogicalIds).toHaveLength(1);
        expect(fn.aliases[0]?.name).toBe('live');
        // The esbuild bundle, with the module the handler names.
        expect(fn.bundled).toBe(true);
        expect(path.isAbsolute(fn.assetPath)).toBe(true);
        expect(existsSync(path.join(fn.assetPath, `${fn.handler.split('.')[0]}.js`))).toBe(true);
        expect(Object.keys(fn.environment).length).toBeGreaterThan(0);
        for (const [name, value] of Object.entries(fn.environment)) {
          expect([name, typeof value]).toEqual([name, 'string']);
          expect(value).not.toMatch(/Fn::|"Ref"|\$\{Token/);
        }
      }
      const orders = functionByCdkName(region, 'ordersApi');
      const bus = region.eventBuses[0]!;
      expect(orders.environment.EVENT_BUS_NAME).toBe(bus.name);
      expect(orders.environment.ORDERS_TABLE).toBe('meridian-local-orders');
      expect(orders.environment.STATE_MACHINE_ARN).toBe(region.stateMachines[0]?.arn);
      const shipping = region.functions.find((f) => f.environment.SHIPPING_QUEUE_URL !== undefined)!;
      expect(region.queues.map((q) => q.url)).toContain(shipping.environment.SHIPPING_QUEUE_URL);
      const webhook = functionByCdkName(region, 'authorizePayment').environment.PAYMENT_WEBHOOK_URL;
      expect(webhook).toMatch(
        new RegExp(`^https://.+\\.execute-api\\.${region.region}\\.amazonaws\\.com/v1/payments/webhook$`),
      );
      expect(region.secrets.map((s) => s.arn)).toContain(
        functionByCdkName(region, 'authorizePayment').environment.PAYMENT_WEBHOOK_SECRET_ARN,
      );
    }
  });

  it('maps the 8 API routes to the orders, inventory and payments functions', () => {
    for (const region of model.regions) {
      const api = region.api!;
      expect(api.stageName).toBe('v1');
      const name = (logicalId: string) =>
        region.functions.find((f) => f.logicalId === logicalId)?.cdkPath?.split('/')[3];
      const routes = api.routes.map((r) => `${r.method} ${r.path} → ${name(r.functionLogicalId)}`).sort();
      expect(routes).toEqual(
        [
          'GET /orders → ordersApi',
          'POST /orders → ordersApi',
          'GET /orders/{id} → ordersApi',
          'POST /orders/{id}/cancel → ordersApi',
          'GET /health → ordersApi',
          'GET /inventory/{sku} → inventoryApi',
          'PUT /inventory/{sku} → inventoryApi',
          'POST /payments/webhook → paymentsWebhook',
        ].sort(),
      );
      for (const route of api.routes) {
        expect(route.integrationType).toBe('AWS_PROXY');
        const fn = region.functions.find((f) => f.logicalId === route.functionLogicalId)!;
        expect(fn.aliasLogicalIds).toContain(route.aliasLogicalId);
      }
      expect(api.routes.find((r) => r.path === '/orders/{id}')?.requestParameters).toEqual({
        'method.request.path.id': true,
      });
      expect(
        api.gatewayResponses.find((g) => g.responseType === 'MISSING_AUTHENTICATION_TOKEN')?.statusCode,
      ).toBe('404');
    }
  });

  it('resolves the order saga to ASL JSON whose Lambda tasks name known functions', () => {
    for (const region of model.regions) {
      expect(region.stateMachines).toHaveLength(1);
      const saga = region.stateMachines[0]!;
      expect(saga.name).toBe('meridian-local-order-saga');
      const definition = saga.definition as {
        StartAt: string;
        States: Record<string, Record<string, unknown>>;
      };
      expect(Object.keys(definition.States)).toContain(definition.StartAt);
      expect(JSON.stringify(definition)).not.toMatch(/Fn::|"Ref"/);
      const invoked = lambdaResources(definition.States);
      expect(invoked.length).toBeGreaterThanOrEqual(9);
      const known = new Set(region.functions.flatMap((f) => [f.arn, ...f.aliases.map((a) => a.arn)]));
      for (const arn of invoked) expect([arn, known.has(arn)]).toEqual([arn, true]);
      // The table and region of its service integrations are this region's.
      expect(JSON.stringify(definition)).toContain('"TableName":"meridian-local-orders"');
    }
  });

  it("forwards events to every peer region's bus", () => {
    for (const region of model.regions) {
      const peers = model.regions.filter((r) => r !== region);
      const forwards = region.rules.filter((r) => r.targets.some((t) => t.kind === 'event-bus'));
      expect(forwards).toHaveLength(peers.length);
      for (const peer of peers) {
        const rule = forwards.find((r) => r.targets[0]?.ref.region === peer.region)!;
        expect(rule.busName).toBe(region.eventBuses[0]?.name);
        expect(rule.eventPattern).toEqual({
          source: [{ prefix: 'meridian.' }],
          detail: { region: [region.region] },
        });
        expect(rule.targets[0]?.ref.arn).toBe(peer.eventBuses[0]?.arn);
        expect(rule.targets[0]?.deadLetterQueue?.logicalId).toMatch(/^MessagingEventTargetDlq/);
      }
      const lambdaRules = region.rules.filter((r) => r.targets.every((t) => t.kind === 'lambda'));
      expect(lambdaRules).toHaveLength(5);
      for (const rule of lambdaRules) {
        const fn = region.functions.find((f) => f.logicalId === rule.targets[0]?.ref.functionLogicalId);
        expect(fn).toBeDefined();
      }
      expect(region.rules.find((r) => r.scheduleExpression)?.scheduleExpression).toBe('rate(1 minute)');
    }
  });

  it('redrives the shipping queue to its DLQ after 5 receives, and maps the SQS event sources', () => {
    for (const region of model.regions) {
      const queue = region.queues.find((q) => q.logicalId.startsWith('MessagingShippingQueue'))!;
      const dlq = region.queues.find((q) => q.logicalId.startsWith('MessagingShippingDlq'))!;
      expect(queue.redrive).toEqual({ dlqLogicalId: dlq.logicalId, dlqArn: dlq.arn, maxReceiveCount: 5 });
      expect(queue.visibilityTimeoutSeconds).toBe(180);
      expect(dlq.redrive).toBeUndefined();

      const consumer = region.eventSourceMappings.find((m) => m.source.logicalId === queue.logicalId)!;
      expect(functionByCdkName(region, 'shippingConsumer').logicalId).toBe(consumer.functionLogicalId);
      expect(consumer).toMatchObject({ qualifier: 'live', batchSize: 10, reportBatchItemFailures: true });
      const dlqConsumer = region.eventSourceMappings.find((m) => m.source.logicalId === dlq.logicalId)!;
      expect(functionByCdkName(region, 'shippingDlq').logicalId).toBe(dlqConsumer.functionLogicalId);
    }
  });

  it('lists the topics, the global tables with their keys, and the outputs', () => {
    const globalTables = listStacks(outdir).find((s) => s.stackName.endsWith('GlobalTables'))!;
    const tableCount = Object.values(globalTables.template.Resources ?? {}).filter(
      (r) => r.Type === 'AWS::DynamoDB::GlobalTable',
    ).length;
    expect(model.tables).toHaveLength(tableCount);
    for (const region of model.regions) {
      expect(region.topics).toHaveLength(2);
      expect(region.tables).toHaveLength(tableCount);
      const orders = region.tables.find((t) => t.tableName === 'meridian-local-orders')!;
      expect(orders.partitionKey).toEqual({ name: 'pk', type: 'S' });
      expect(orders.sortKey).toEqual({ name: 'sk', type: 'S' });
      expect(orders.globalSecondaryIndexes.map((g) => g.indexName)).toEqual(['gsi1', 'gsi2']);
      expect(orders.replicaRegions.slice().sort()).toEqual([...LOCAL_REGIONS].sort());
      expect(region.outputs.ApiUrl?.value).toMatch(
        new RegExp(`^https://.+\\.execute-api\\.${region.region}\\..+/v1/$`),
      );
      expect(region.outputs.EventBusArn?.value).toBe(region.eventBuses[0]?.arn);
      expect(region.dynamicReferences).toEqual([]);
    }
  });

  it("reads each region's FIS experiment template: a replication pause of exactly that region's replicas", () => {
    for (const region of model.regions) {
      expect(region.experimentTemplates).toHaveLength(1);
      const [template] = region.experimentTemplates;
      expect(template!.actions.PauseReplication).toMatchObject({
        actionId: REPLICATION_PAUSE_ACTION,
        parameters: { duration: 'PT30M' },
      });
      expect(template!.targets.Tables!.resourceArns.slice().sort()).toEqual(
        region.tables
          .map((t) => `arn:aws:dynamodb:${region.region}:${region.accountId}:table/${t.tableName}`)
          .sort(),
      );
      expect(template!.tags).toMatchObject({
        [FIS_TEMPLATE_TAGS.environment]: 'meridian-local',
        [FIS_TEMPLATE_TAGS.region]: region.region,
        [FIS_TEMPLATE_TAGS.drill]: 'replication-partition',
      });
      expect(template!.stopConditions.map((c) => c.source)).toEqual([
        'aws:cloudwatch:alarm',
        'aws:cloudwatch:alarm',
      ]);
    }
  });

  it('reads an existing cloud assembly instead of synthesizing again', () => {
    const again = synthLocal({ outdir, reuse: true });
    expect(again).toEqual(model);
  });

  it('synthesizes more regions on request (bundling off): each forwards to every peer', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'meridian-assembly-3-'));
    try {
      const regions = ['us-east-1', 'eu-west-1', 'ap-southeast-1'];
      const three = synthLocal({ outdir: dir, regions, bundling: false });
      expect(three.regions.map((r) => r.region)).toEqual(regions);
      for (const region of three.regions) {
        const peers = region.rules
          .flatMap((r) => r.targets.filter((t) => t.kind === 'event-bus'))
          .map((t) => t.ref.region);
        expect(peers.sort()).toEqual(regions.filter((r) => r !== region.region).sort());
        expect(region.tables[0]?.replicaRegions.slice().sort()).toEqual(regions.slice().sort());
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

import { App, ArnFormat, Duration, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as apigateway from 'aws-cdk-lib/aws-apigateway';
import * as acm from 'aws-cdk-lib/aws-certificatemanager';
import * as events from 'aws-cdk-lib/aws-events';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as route53 from 'aws-cdk-lib/aws-route53';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { AwsSolutionsChecks } from 'cdk-nag';
import { DEFAULT_ENVIRONMENTS, resolveEnvironment, type MeridianEnvironment } from '../../../lib/config';
import { RegionalApi } from '../../../lib/regional/api';
import { RegionalDns } from '../../../lib/regional/dns';
import { RegionalEvents } from '../../../lib/regional/events';
import { Messaging } from '../../../lib/regional/messaging';
import { RegionalMonitoring } from '../../../lib/regional/monitoring';
import { TABLES, type TableId } from '../../../services/shared/tables';
import { flatten } from '../../support/cfn';

const PROD = resolveEnvironment(DEFAULT_ENVIRONMENTS.prod);
const TABLE_NAMES = (Object.keys(TABLES) as TableId[]).map((id) => `${PROD.prefix}-${id}`);

type Json = Record<string, unknown>;
interface Parts {
  readonly stack: Stack;
  readonly messaging: Messaging;
  readonly events: RegionalEvents;
}

function newApp(): App {
  return new App({ context: { 'aws:cdk:bundling-stacks': [] } });
}

function regionParts(app: App, config: MeridianEnvironment, region: string): Parts {
  const stack = new Stack(app, `Parts-${region}`, { env: { account: config.account, region } });
  const messaging = new Messaging(stack, 'Messaging', { config });
  const regional = new RegionalEvents(stack, 'Events', { config, deadLetterQueue: messaging.eventTargetDlq });
  return { stack, messaging, events: regional };
}

function importedFunction(stack: Stack, name: string): lambda.IFunction {
  return lambda.Function.fromFunctionAttributes(stack, `Fn-${name}`, {
    functionArn: stack.formatArn({
      service: 'lambda',
      resource: 'function',
      resourceName: `${PROD.prefix}-${name}`,
      arnFormat: ArnFormat.COLON_RESOURCE_NAME,
    }),
    sameEnvironment: true,
    role: iam.Role.fromRoleName(stack, `Role-${name}`, `${PROD.prefix}-${name}-role`),
  });
}

function peerBusArn(config: MeridianEnvironment, region: string): string {
  return `arn:\${AWS::Partition}:events:${region}:${config.account}:event-bus/${config.prefix}-bus`;
}

interface Forwarding {
  readonly pattern: Json;
  readonly targetArn: string;
  readonly roleArn: unknown;
  readonly deadLetterArn: unknown;
}

/** The forwarding rules of a template: rules whose target is an event bus. */
function forwardingRules(template: Template): Forwarding[] {
  return Object.values(template.findResources('AWS::Events::Rule'))
    .map((r) => r.Properties as Json)
    .flatMap((p) =>
      (p.Targets as Json[])
        .filter((t) => flatten(t.Arn).includes(':event-bus/'))
        .map((t) => ({
          pattern: p.EventPattern as Json,
          targetArn: flatten(t.Arn),
          roleArn: t.RoleArn,
          deadLetterArn: (t.DeadLetterConfig as Json | undefined)?.Arn,
        })),
    );
}

/** Evaluates `Fn::Select` over `Fn::Split` of a flattened string (e.g. the function name of an imported ARN). */
function selectOfSplit(value: unknown): string {
  const select = (value as Json)['Fn::Select'] as [number, Json] | undefined;
  if (!select) return flatten(value);
  const [sep, source] = select[1]['Fn::Split'] as [string, unknown];
  // `${AWS::Partition}` contains the separator: stand in for references before splitting.
  return flatten(source)
    .replace(/\$\{[^}]*\}/g, 'ref')
    .split(sep)[select[0]]!;
}

function logicalId(stack: Stack, construct: { node: { defaultChild?: unknown } }): string {
  return stack.getLogicalId(construct.node.defaultChild as never);
}

describe('Messaging', () => {
  const app = newApp();
  const { stack, messaging } = regionParts(app, PROD, 'us-east-1');
  const template = Template.fromStack(stack);
  const keyId = logicalId(stack, messaging.key);

  test('the shipping queue redrives to its DLQ after 5 receives, with a visibility of 6 × the 30 s consumer timeout', () => {
    template.hasResourceProperties('AWS::SQS::Queue', {
      VisibilityTimeout: 180,
      KmsMasterKeyId: { 'Fn::GetAtt': [keyId, 'Arn'] },
      RedrivePolicy: {
        maxReceiveCount: 5,
        deadLetterTargetArn: { 'Fn::GetAtt': [logicalId(stack, messaging.shippingDlq), 'Arn'] },
      },
    });
  });

  test('both dead-letter queues keep messages 14 days, encrypted with the regional key, and are kept when data is protected', () => {
    for (const dlq of messaging.dlqs) {
      template.hasResource('AWS::SQS::Queue', {
        Properties: Match.objectLike({
          MessageRetentionPeriod: 1_209_600,
          KmsMasterKeyId: { 'Fn::GetAtt': [keyId, 'Arn'] },
        }),
        DeletionPolicy: 'Retain',
      });
      expect(Object.keys(template.findResources('AWS::SQS::Queue'))).toContain(
        logicalId(stack, dlq as never),
      );
    }
    expect(messaging.dlqs).toEqual([messaging.shippingDlq, messaging.eventTargetDlq]);
  });

  test('every queue refuses requests without TLS', () => {
    const policies = template.findResources('AWS::SQS::QueuePolicy');
    const denied = Object.values(policies).flatMap((p) =>
      ((p.Properties as Json).PolicyDocument as { Statement: Json[] }).Statement.filter(
        (s) =>
          s.Effect === 'Deny' && JSON.stringify(s.Condition) === '{"Bool":{"aws:SecureTransport":"false"}}',
      ).map(() => flatten(((p.Properties as Json).Queues as unknown[])[0])),
    );
    for (const q of [messaging.shippingQueue, messaging.shippingDlq, messaging.eventTargetDlq]) {
      expect(denied).toContain(`\${${logicalId(stack, q)}}`);
    }
  });

  test('the key rotates and lets CloudWatch alarms and EventBridge use it', () => {
    template.hasResourceProperties('AWS::KMS::Key', {
      EnableKeyRotation: true,
      KeyPolicy: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Principal: { Service: 'cloudwatch.amazonaws.com' },
            Action: ['kms:Decrypt', 'kms:GenerateDataKey*'],
          }),
          Match.objectLike({
            Principal: { Service: 'events.amazonaws.com' },
            Action: ['kms:Decrypt', 'kms:GenerateDataKey'],
          }),
        ]),
      },
    });
  });

  test('the customer and ops topics are encrypted with the regional key and enforce TLS', () => {
    template.resourceCountIs('AWS::SNS::Topic', 2);
    for (const topic of [messaging.customerTopic, messaging.opsTopic]) {
      const id = logicalId(stack, topic);
      expect(template.toJSON().Resources[id].Properties.KmsMasterKeyId).toEqual({
        'Fn::GetAtt': [keyId, 'Arn'],
      });
      template.hasResourceProperties('AWS::SNS::TopicPolicy', {
        Topics: [{ Ref: id }],
        PolicyDocument: {
          Statement: Match.arrayWith([
            Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
          ]),
        },
      });
    }
  });

  test('CloudWatch alarms of this account and region may publish to the ops topic, whose policy replaces the default one', () => {
    const opsId = logicalId(stack, messaging.opsTopic);
    const alarmPublish = Match.objectLike({
      Effect: 'Allow',
      Principal: { Service: 'cloudwatch.amazonaws.com' },
      Action: 'sns:Publish',
      Resource: { Ref: opsId },
      Condition: {
        StringEquals: { 'aws:SourceAccount': PROD.account },
        ArnLike: {
          'aws:SourceArn': {
            'Fn::Join': [
              '',
              ['arn:', { Ref: 'AWS::Partition' }, `:cloudwatch:us-east-1:${PROD.account}:alarm:*`],
            ],
          },
        },
      },
    });

    template.hasResourceProperties('AWS::SNS::TopicPolicy', {
      Topics: [{ Ref: opsId }],
      PolicyDocument: { Statement: Match.arrayWith([alarmPublish]) },
    });
    const customerPolicy = Object.values(template.findResources('AWS::SNS::TopicPolicy')).find(
      (p) =>
        JSON.stringify((p.Properties as Json).Topics) ===
        JSON.stringify([{ Ref: logicalId(stack, messaging.customerTopic) }]),
    )!;
    expect(JSON.stringify(customerPolicy)).not.toContain('cloudwatch.amazonaws.com');
  });

  test('the ops topic has no subscription unless an ops e-mail address is given', () => {
    template.resourceCountIs('AWS::SNS::Subscription', 0);

    const other = new Stack(newApp(), 'WithEmail', { env: { account: PROD.account, region: 'eu-west-1' } });
    const m = new Messaging(other, 'Messaging', { config: PROD, opsEmail: 'ops@example.com' });

    const t = Template.fromStack(other);
    t.resourceCountIs('AWS::SNS::Subscription', 1);
    t.hasResourceProperties('AWS::SNS::Subscription', {
      Protocol: 'email',
      Endpoint: 'ops@example.com',
      TopicArn: { Ref: logicalId(other, m.opsTopic) },
    });
    expect(() => new Messaging(other, 'Bad', { config: PROD, opsEmail: 'ops' })).toThrow(/opsEmail/);
  });

  test('maxReceiveCount and the consumer timeout are configurable', () => {
    const other = new Stack(newApp(), 'Custom', { env: { account: PROD.account, region: 'eu-west-1' } });
    new Messaging(other, 'Messaging', {
      config: PROD,
      maxReceiveCount: 3,
      shippingConsumerTimeout: Duration.minutes(1),
    });
    Template.fromStack(other).hasResourceProperties('AWS::SQS::Queue', {
      VisibilityTimeout: 360,
      RedrivePolicy: Match.objectLike({ maxReceiveCount: 3 }),
    });
    expect(() => new Messaging(other, 'Bad', { config: PROD, maxReceiveCount: 0 })).toThrow(
      /maxReceiveCount/,
    );
  });

  test('outside protected environments the DLQs and key are removed with the stack', () => {
    const dev = resolveEnvironment(DEFAULT_ENVIRONMENTS.dev);
    const devStack = new Stack(newApp(), 'Dev', { env: { account: dev.account, region: 'us-east-1' } });
    new Messaging(devStack, 'Messaging', { config: dev });
    const t = Template.fromStack(devStack);
    expect(
      Object.values(t.findResources('AWS::SQS::Queue')).every((q) => q.DeletionPolicy === 'Delete'),
    ).toBe(true);
    t.hasResource('AWS::KMS::Key', {
      DeletionPolicy: 'Delete',
      Properties: Match.objectLike({ PendingWindowInDays: 7 }),
    });
  });
});

describe('RegionalEvents', () => {
  const app = newApp();
  const parts = Object.fromEntries(PROD.regions.map((r) => [r, regionParts(app, PROD, r)])) as Record<
    string,
    Parts
  >;
  const east = parts['us-east-1']!;
  const template = Template.fromStack(east.stack);

  test('the bus is named after the environment so peers can target it by name', () => {
    template.hasResourceProperties('AWS::Events::EventBus', { Name: 'meridian-prod-bus' });
  });

  test('the archive keeps every meridian.* event of the bus for 30 days', () => {
    template.hasResourceProperties('AWS::Events::Archive', {
      SourceArn: { 'Fn::GetAtt': [logicalId(east.stack, east.events.bus), 'Arn'] },
      EventPattern: { source: [{ prefix: 'meridian.' }] },
      RetentionDays: 30,
    });
  });

  test.each(PROD.regions)(
    '%s forwards its own events to each peer region bus, and only its own',
    (region) => {
      const { stack, events: regional, messaging } = parts[region]!;
      const rules = forwardingRules(Template.fromStack(stack));
      const peers = PROD.regions.filter((r) => r !== region);

      expect(regional.forwardingRules).toHaveLength(peers.length);
      expect(rules.map((r) => r.targetArn).sort()).toEqual(peers.map((p) => peerBusArn(PROD, p)).sort());
      for (const rule of rules) {
        expect(rule.pattern).toEqual({ source: [{ prefix: 'meridian.' }], detail: { region: [region] } });
        expect(rule.roleArn).toBeDefined();
        expect(rule.deadLetterArn).toEqual({
          'Fn::GetAtt': [logicalId(stack, messaging.eventTargetDlq), 'Arn'],
        });
      }
    },
  );

  test('a forwarded event matches no forwarding rule in the receiving region: no loops', () => {
    for (const origin of PROD.regions) {
      for (const receiver of PROD.regions.filter((r) => r !== origin)) {
        const matching = forwardingRules(Template.fromStack(parts[receiver]!.stack)).filter((r) =>
          ((r.pattern.detail as Json).region as string[]).includes(origin),
        );
        expect(matching).toEqual([]);
      }
    }
  });

  test('each forwarding rule may put events on its peer bus only', () => {
    template.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: {
        Statement: [
          Match.objectLike({
            Action: 'events:PutEvents',
            Resource: {
              'Fn::Join': [
                '',
                [
                  'arn:',
                  { Ref: 'AWS::Partition' },
                  ':events:eu-west-1:111111111111:event-bus/meridian-prod-bus',
                ],
              ],
            },
          }),
        ],
      },
    });
  });

  test('adding a region to the config adds a forwarding rule to it in every peer', () => {
    const bigger = resolveEnvironment({
      ...DEFAULT_ENVIRONMENTS.prod,
      regions: [...PROD.regions, 'us-west-2'],
    });
    const biggerApp = newApp();
    const stacks = bigger.regions.map(
      (region) => [region, regionParts(biggerApp, bigger, region).stack] as const,
    );
    for (const [region, stack] of stacks) {
      const targets = forwardingRules(Template.fromStack(stack)).map((r) => r.targetArn);
      expect(targets).toHaveLength(bigger.regions.length - 1);
      if (region !== 'us-west-2') expect(targets).toContain(peerBusArn(bigger, 'us-west-2'));
    }
  });

  test('a stack outside the environment regions or without a region is refused', () => {
    const a = newApp();
    const queue = regionParts(a, PROD, 'us-east-1').messaging.eventTargetDlq;
    const elsewhere = new Stack(a, 'Elsewhere', { env: { account: PROD.account, region: 'sa-east-1' } });
    expect(() => new RegionalEvents(elsewhere, 'Events', { config: PROD, deadLetterQueue: queue })).toThrow(
      /sa-east-1 is not one of/,
    );
    const agnostic = new Stack(a, 'Agnostic');
    expect(() => new RegionalEvents(agnostic, 'Events', { config: PROD, deadLetterQueue: queue })).toThrow(
      /concrete region/,
    );
  });

  describe('consumers', () => {
    const consumerApp = newApp();
    const { stack, events: regional, messaging } = regionParts(consumerApp, PROD, 'eu-west-1');
    const ordersEvents = importedFunction(stack, 'orders-events');
    const notifyEvents = importedFunction(stack, 'notifications-events');
    const sweeper = importedFunction(stack, 'inventory-sweep');
    const orders = regional.addLambdaConsumer('OrdersEvents', ordersEvents, {
      detailTypes: ['OrderCancellationRequested'],
    });
    const notify = regional.addLambdaConsumer('NotificationsEvents', notifyEvents, {
      detailTypes: ['OrderFailed', 'ShipmentFailed'],
      localOnly: true,
    });
    const sweep = regional.addScheduledLambda(
      'SweepExpired',
      sweeper,
      events.Schedule.rate(Duration.minutes(5)),
    );
    const t = Template.fromStack(stack);
    const ruleProps = (rule: events.Rule) => t.toJSON().Resources[logicalId(stack, rule)].Properties as Json;
    const dlqArn = { 'Fn::GetAtt': [logicalId(stack, messaging.eventTargetDlq), 'Arn'] };

    test('a consumer rule matches meridian.* events of its detail types, forwarded ones included', () => {
      expect(ruleProps(orders).EventPattern).toEqual({
        source: [{ prefix: 'meridian.' }],
        'detail-type': ['OrderCancellationRequested'],
      });
      expect(ruleProps(orders).EventBusName).toEqual({ Ref: logicalId(stack, regional.bus) });
    });

    test('a localOnly consumer rule matches only events that originated in this region', () => {
      expect(ruleProps(notify).EventPattern).toEqual({
        source: [{ prefix: 'meridian.' }],
        'detail-type': ['OrderFailed', 'ShipmentFailed'],
        detail: { region: ['eu-west-1'] },
      });
    });

    test('consumer targets retry for two hours, then dead-letter, and may invoke the function', () => {
      expect(ruleProps(orders).Targets).toEqual([
        expect.objectContaining({
          DeadLetterConfig: { Arn: dlqArn },
          RetryPolicy: { MaximumRetryAttempts: 8, MaximumEventAgeInSeconds: 7200 },
        }),
      ]);
      t.hasResourceProperties('AWS::Lambda::Permission', {
        Principal: 'events.amazonaws.com',
        SourceArn: { 'Fn::GetAtt': [logicalId(stack, orders), 'Arn'] },
      });
      t.hasResourceProperties('AWS::SQS::QueuePolicy', {
        PolicyDocument: {
          Statement: Match.arrayWith([
            Match.objectLike({
              Action: 'sqs:SendMessage',
              Principal: { Service: 'events.amazonaws.com' },
              Condition: {
                ArnEquals: { 'aws:SourceArn': { 'Fn::GetAtt': [logicalId(stack, orders), 'Arn'] } },
              },
            }),
          ]),
        },
      });
    });

    test('a consumer needs at least one detail type', () => {
      expect(() => regional.addLambdaConsumer('Nothing', ordersEvents, { detailTypes: [] })).toThrow(
        /detailTypes/,
      );
    });

    /** The event invoke configs of the template, by the function name they configure. */
    const invokeConfigs = () =>
      Object.fromEntries(
        Object.values(t.findResources('AWS::Lambda::EventInvokeConfig')).map((r) => [
          selectOfSplit((r.Properties as Json).FunctionName),
          r,
        ]),
      );

    test('an event a consumer or scheduled function fails on goes to the dead-letter queue after two Lambda retries', () => {
      const configs = invokeConfigs();

      expect(Object.keys(configs).sort()).toEqual([
        'meridian-prod-inventory-sweep',
        'meridian-prod-notifications-events',
        'meridian-prod-orders-events',
      ]);
      for (const [name, age] of [
        ['meridian-prod-orders-events', 7200],
        ['meridian-prod-notifications-events', 7200],
        ['meridian-prod-inventory-sweep', 3600],
      ] as const) {
        expect(configs[name]!.Properties).toEqual({
          FunctionName: expect.anything(),
          Qualifier: '$LATEST',
          MaximumRetryAttempts: 2,
          MaximumEventAgeInSeconds: age,
          DestinationConfig: { OnFailure: { Destination: dlqArn } },
        });
      }
    });

    test("each function's role may send to the dead-letter queue and use its key, before the config is created", () => {
      const policies = Object.entries(t.findResources('AWS::IAM::Policy')).filter(([, p]) =>
        JSON.stringify((p.Properties as Json).Roles).includes('meridian-prod-orders-events-role'),
      );
      expect(policies).toHaveLength(1);
      const [policyId, policy] = policies[0]!;
      expect(((policy.Properties as Json).PolicyDocument as Json).Statement).toEqual(
        expect.arrayContaining([
          expect.objectContaining({ Action: expect.arrayContaining(['sqs:SendMessage']), Resource: dlqArn }),
          expect.objectContaining({
            Action: expect.arrayContaining(['kms:GenerateDataKey*', 'kms:Decrypt']),
            Resource: { 'Fn::GetAtt': [logicalId(stack, messaging.key), 'Arn'] },
          }),
        ]),
      );
      expect(invokeConfigs()['meridian-prod-orders-events']!.DependsOn).toContain(policyId);
    });

    test('a function added twice gets one configuration; conflicting ages, no role or a foreign config are refused', () => {
      const a = newApp();
      const p = regionParts(a, PROD, 'us-east-1');
      const fn = importedFunction(p.stack, 'orders-events');
      p.events.addLambdaConsumer('One', fn, { detailTypes: ['OrderFailed'] });
      p.events.addLambdaConsumer('Two', fn, { detailTypes: ['ShipmentFailed'] });
      const sameArn = lambda.Function.fromFunctionAttributes(p.stack, 'SameArn', {
        functionArn: fn.functionArn,
        sameEnvironment: true,
        role: fn.role,
      });
      p.events.addLambdaConsumer('Three', sameArn, { detailTypes: ['OrderFulfilled'] });

      Template.fromStack(p.stack).resourceCountIs('AWS::Lambda::EventInvokeConfig', 1);
      expect(() => p.events.addScheduledLambda('Sched', fn, events.Schedule.rate(Duration.hours(1)))).toThrow(
        /maximum event age/,
      );
      const roleless = lambda.Function.fromFunctionAttributes(p.stack, 'Roleless', {
        functionArn: p.stack.formatArn({
          service: 'lambda',
          resource: 'function',
          resourceName: 'roleless',
          arnFormat: ArnFormat.COLON_RESOURCE_NAME,
        }),
        sameEnvironment: true,
      });
      expect(() =>
        p.events.addLambdaConsumer('Roleless', roleless, { detailTypes: ['OrderFailed'] }),
      ).toThrow(/no known execution role/);
      const foreign = importedFunction(p.stack, 'foreign');
      foreign.configureAsyncInvoke({ retryAttempts: 0 });
      expect(() => p.events.addLambdaConsumer('Foreign', foreign, { detailTypes: ['OrderFailed'] })).toThrow(
        /made elsewhere/,
      );
    });

    test("on a function's live alias the config is qualified by the alias (resolves to live)", () => {
      const a = newApp();
      const p = regionParts(a, PROD, 'us-east-1');
      const fn = new lambda.Function(p.stack, 'Fn', {
        runtime: lambda.Runtime.NODEJS_22_X,
        handler: 'index.handler',
        code: lambda.Code.fromInline('exports.handler = async () => {};'),
      });
      const alias = new lambda.Alias(p.stack, 'Live', { aliasName: 'live', version: fn.currentVersion });
      p.events.addLambdaConsumer('Consumer', alias, { detailTypes: ['OrderFailed'] });

      const tpl = Template.fromStack(p.stack);
      const aliasId = logicalId(p.stack, alias);
      tpl.hasResourceProperties('AWS::Lambda::Alias', { Name: 'live' });
      expect(tpl.toJSON().Resources[aliasId].Type).toBe('AWS::Lambda::Alias');
      tpl.resourceCountIs('AWS::Lambda::EventInvokeConfig', 1);
      // The alias ARN's 8th segment (arn:partition:lambda:region:account:function:name:live) is `live`.
      tpl.hasResourceProperties('AWS::Lambda::EventInvokeConfig', {
        FunctionName: { Ref: logicalId(p.stack, fn) },
        Qualifier: { 'Fn::Select': [7, { 'Fn::Split': [':', { Ref: aliasId }] }] },
        MaximumRetryAttempts: 2,
        DestinationConfig: {
          OnFailure: {
            Destination: { 'Fn::GetAtt': [logicalId(p.stack, p.messaging.eventTargetDlq), 'Arn'] },
          },
        },
      });
    });

    test('a scheduled function runs from the default bus with a dead-letter queue', () => {
      const props = ruleProps(sweep);
      expect(props.ScheduleExpression).toBe('rate(5 minutes)');
      expect(props.EventBusName).toBeUndefined();
      expect(props.Targets).toEqual([expect.objectContaining({ DeadLetterConfig: { Arn: dlqArn } })]);
    });
  });
});

describe('RegionalApi and RegionalDns with a DNS zone', () => {
  const DNS = {
    domainName: 'api.meridian.example.com',
    hostedZoneId: 'Z0123456789ABC',
    zoneName: 'meridian.example.com',
  };
  const config = resolveEnvironment({ ...DEFAULT_ENVIRONMENTS.prod, dns: DNS });

  function apiStack(id: string): { stack: Stack; api: RegionalApi } {
    const stack = new Stack(newApp(), id, { env: { account: config.account, region: 'eu-west-1' } });
    const api = new RegionalApi(stack, 'Api', { config });
    api.addRoutes({
      orders: importedFunction(stack, 'orders-api'),
      inventory: importedFunction(stack, 'inventory-api'),
      paymentsWebhook: importedFunction(stack, 'payments-webhook'),
    });
    return { stack, api };
  }

  test('the regional custom domain is dual-stack, so the AAAA latency alias reaches the API over IPv6', () => {
    const { stack, api } = apiStack('Dual');
    new RegionalDns(stack, 'Dns', {
      config,
      executeApiHost: api.executeApiHost,
      healthPath: '/v1/health',
      domainName: api.domainName,
      hostedZone: api.hostedZone,
    });
    const template = Template.fromStack(stack);
    const domainId = logicalId(stack, api.domainName!);

    template.hasResourceProperties('AWS::ApiGateway::DomainName', {
      DomainName: DNS.domainName,
      EndpointConfiguration: { Types: ['REGIONAL'], IpAddressType: 'dualstack' },
    });
    template.hasResourceProperties('AWS::Route53::RecordSet', {
      Type: 'AAAA',
      AliasTarget: Match.objectLike({ DNSName: { 'Fn::GetAtt': [domainId, 'RegionalDomainName'] } }),
    });
  });

  test('RegionalDns refuses an IPv4-only custom domain: its AAAA record would have no IPv6 address behind it', () => {
    const { stack, api } = apiStack('Ipv4Only');
    const ipv4Only = new apigateway.DomainName(stack, 'Ipv4Domain', {
      domainName: 'v4.meridian.example.com',
      certificate: acm.Certificate.fromCertificateArn(
        stack,
        'Cert',
        stack.formatArn({ service: 'acm', resource: 'certificate', resourceName: 'abc' }),
      ),
      endpointType: apigateway.EndpointType.REGIONAL,
    });

    expect(
      () =>
        new RegionalDns(stack, 'Dns', {
          config,
          executeApiHost: api.executeApiHost,
          healthPath: '/v1/health',
          domainName: ipv4Only,
          hostedZone: route53.HostedZone.fromHostedZoneAttributes(stack, 'Zone', {
            hostedZoneId: DNS.hostedZoneId,
            zoneName: DNS.zoneName,
          }),
        }),
    ).toThrow(/not dual-stack/);
  });
});

describe('RegionalMonitoring', () => {
  const app = newApp();
  const { stack, messaging } = regionParts(app, PROD, 'us-east-1');
  const api = new apigateway.RestApi(stack, 'Api', { restApiName: 'meridian-prod-api' });
  api.root.addMethod('GET', new apigateway.MockIntegration());
  const stateMachine = sfn.StateMachine.fromStateMachineName(stack, 'Saga', 'meridian-prod-saga');
  const functions = {
    'orders-api': importedFunction(stack, 'orders-api'),
    'shipping-consumer': importedFunction(stack, 'shipping-consumer'),
  };
  const monitoring = new RegionalMonitoring(stack, 'Monitoring', {
    config: PROD,
    opsTopic: messaging.opsTopic,
    api,
    stateMachine,
    functions,
    deadLetterQueues: messaging.dlqs,
    tableNames: TABLE_NAMES,
  });
  const template = Template.fromStack(stack);
  const opsTopicRef = { Ref: logicalId(stack, messaging.opsTopic) };
  const alarms = Object.values(template.findResources('AWS::CloudWatch::Alarm')).map(
    (a) => a.Properties as Json,
  );

  test('every alarm notifies the ops topic on alarm and recovery, and treats missing data as not breaching', () => {
    expect(alarms).toHaveLength(monitoring.alarms.length);
    for (const alarm of alarms) {
      expect(alarm.AlarmActions).toEqual([opsTopicRef]);
      expect(alarm.OKActions).toEqual([opsTopicRef]);
      expect(alarm.TreatMissingData).toBe('notBreaching');
    }
  });

  test('each dead-letter queue alarms when more than 5 messages wait', () => {
    for (const dlq of messaging.dlqs) {
      template.hasResourceProperties('AWS::CloudWatch::Alarm', {
        Namespace: 'AWS/SQS',
        MetricName: 'ApproximateNumberOfMessagesVisible',
        Dimensions: [
          { Name: 'QueueName', Value: { 'Fn::GetAtt': [logicalId(stack, dlq as never), 'QueueName'] } },
        ],
        Threshold: 5,
        ComparisonOperator: 'GreaterThanThreshold',
      });
    }
  });

  test('the API alarms on 5XX responses and on p99 latency', () => {
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Namespace: 'AWS/ApiGateway',
      MetricName: '5XXError',
      Dimensions: [{ Name: 'ApiName', Value: 'meridian-prod-api' }],
      Statistic: 'Sum',
      Threshold: PROD.alarms.api5xx,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
    });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Namespace: 'AWS/ApiGateway',
      MetricName: 'Latency',
      ExtendedStatistic: 'p99',
      Threshold: PROD.alarms.apiP99LatencyMs,
      ComparisonOperator: 'GreaterThanThreshold',
    });
  });

  test('an imported API gets the same 5XX alarm on its name', () => {
    const other = new Stack(newApp(), 'Imported', { env: { account: PROD.account, region: 'us-east-1' } });
    const m = new Messaging(other, 'Messaging', { config: PROD });
    new RegionalMonitoring(other, 'Monitoring', {
      config: PROD,
      opsTopic: m.opsTopic,
      api: apigateway.RestApi.fromRestApiAttributes(other, 'Api', {
        restApiId: 'abc123',
        rootResourceId: 'root',
        restApiName: 'meridian-prod-api',
      }),
      stateMachine: sfn.StateMachine.fromStateMachineName(other, 'Saga', 'meridian-prod-saga'),
      functions: {},
      deadLetterQueues: [],
      tableNames: [],
    });
    Template.fromStack(other).hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: '5XXError',
      Dimensions: [{ Name: 'ApiName', Value: 'meridian-prod-api' }],
    });
  });

  test('the saga alarms when failed + timed-out + aborted executions reach sagaFailures', () => {
    const saga = alarms.find((a) => Array.isArray(a.Metrics));
    expect(saga).toBeDefined();
    expect(saga!.Threshold).toBe(PROD.alarms.sagaFailures);
    expect(saga!.ComparisonOperator).toBe('GreaterThanOrEqualToThreshold');
    const metrics = saga!.Metrics as Json[];
    expect(metrics.find((m) => m.Expression)?.Expression).toBe(
      'FILL(failed, 0) + FILL(timedOut, 0) + FILL(aborted, 0)',
    );
    const names = metrics
      .filter((m) => m.MetricStat)
      .map((m) => ((m.MetricStat as Json).Metric as Json).MetricName)
      .sort();
    expect(names).toEqual(['ExecutionsAborted', 'ExecutionsFailed', 'ExecutionsTimedOut']);
  });

  test('replication latency alarms exist for every table towards every peer region', () => {
    const replication = alarms.filter((a) => a.MetricName === 'ReplicationLatency');
    expect(replication).toHaveLength(TABLE_NAMES.length * 2);
    for (const tableName of TABLE_NAMES) {
      for (const peer of ['eu-west-1', 'ap-southeast-1']) {
        const matching = replication.filter((a) =>
          expect
            .arrayContaining([
              { Name: 'TableName', Value: tableName },
              { Name: 'ReceivingRegion', Value: peer },
            ])
            .asymmetricMatch(a.Dimensions),
        );
        expect(matching).toEqual([
          expect.objectContaining({
            Namespace: 'AWS/DynamoDB',
            Threshold: PROD.alarms.replicationLatencyMs,
            ComparisonOperator: 'GreaterThanThreshold',
          }),
        ]);
      }
    }
    expect(replication.some((a) => JSON.stringify(a.Dimensions).includes('us-east-1'))).toBe(false);
  });

  test('each function alarms on its errors', () => {
    const errors = alarms.filter((a) => a.MetricName === 'Errors');
    expect(errors).toHaveLength(Object.keys(functions).length);
    for (const alarm of errors) {
      expect(alarm).toMatchObject({
        Namespace: 'AWS/Lambda',
        Threshold: PROD.alarms.lambdaErrors,
        ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      });
    }
  });

  test('a stack without a concrete region is refused: the peers could not be named', () => {
    const agnostic = new Stack(newApp(), 'Agnostic');
    expect(
      () =>
        new RegionalMonitoring(agnostic, 'Monitoring', {
          config: PROD,
          opsTopic: messaging.opsTopic,
          api,
          stateMachine,
          functions: {},
          deadLetterQueues: [],
          tableNames: TABLE_NAMES,
        }),
    ).toThrow(/concrete region/);
  });

  test('the dashboard shows API, saga, Lambda, DLQ and replication widgets', () => {
    const dashboards = Object.values(template.findResources('AWS::CloudWatch::Dashboard'));
    expect(dashboards).toHaveLength(1);
    const body = flatten((dashboards[0]!.Properties as Json).DashboardBody);
    for (const needle of [
      '5XXError',
      'ExecutionsFailed',
      'AWS/Lambda',
      'ApproximateNumberOfMessagesVisible',
      'ReplicationLatency',
    ]) {
      expect(body).toContain(needle);
    }
  });
});

describe('cdk-nag AwsSolutions', () => {
  test('messaging, events and monitoring have no unacknowledged finding', () => {
    const app = newApp();
    const { stack, messaging, events: regional } = regionParts(app, PROD, 'ap-southeast-1');
    regional.addLambdaConsumer('OrdersEvents', importedFunction(stack, 'orders-events'), {
      detailTypes: ['OrderCancellationRequested'],
    });
    regional.addScheduledLambda(
      'Sweep',
      importedFunction(stack, 'inventory-sweep'),
      events.Schedule.rate(Duration.minutes(5)),
    );
    new RegionalMonitoring(stack, 'Monitoring', {
      config: PROD,
      opsTopic: messaging.opsTopic,
      api: apigateway.RestApi.fromRestApiId(stack, 'Api', 'abc123'),
      stateMachine: sfn.StateMachine.fromStateMachineName(stack, 'Saga', 'meridian-prod-saga'),
      functions: { 'orders-events': importedFunction(stack, 'orders-events-alarm') },
      deadLetterQueues: messaging.dlqs,
      tableNames: TABLE_NAMES,
    });

    const report = new AwsSolutionsChecks().validateScope(stack);

    expect(
      report.violations.map(
        (v) =>
          `${v.ruleName}: ${v.violatingResources.map((r) => r.resourceLogicalId ?? r.constructPath).join(', ')}`,
      ),
    ).toEqual([]);
  });
});

import { App, Duration, Stack, Validations } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { AwsSolutionsChecks } from 'cdk-nag';
import type { IConstruct } from 'constructs';
import type { z } from 'zod';
import { DEFAULT_ENVIRONMENTS, resolveEnvironment, type MeridianEnvironment } from '../../../lib/config';
import { OrderSaga, orderSagaArn, orderSagaName, type OrderSagaProps } from '../../../lib/regional/saga';
import {
  AllocationNotOwnedError,
  OutOfStockError,
  ReservationExpiredError,
} from '../../../services/inventory/domain/errors';
import { notifyInputSchema } from '../../../services/notifications/domain/notify-customer';
import {
  InvalidStatusTransitionError,
  OrderCancelledError,
  OrderHomedElsewhereError,
  OrderNotFoundError,
  OrderTakenOverError,
} from '../../../services/orders/domain/errors';
import {
  MissingTaskTokenError,
  PaymentDeclinedError,
  PaymentNotCapturableError,
  PaymentNotFoundError,
  PaymentOwnershipError,
} from '../../../services/payments/domain/errors';
import { ValidationError } from '../../../services/shared/errors';
import {
  SAGA_ERRORS,
  sagaInputSchema,
  setStatusInputSchema,
  stepInputSchema,
  type SagaInput,
} from '../../../services/shared/saga';
import { NotOwnerRegionError, ShipmentCancelledError } from '../../../services/shipping/domain/errors';
import { shippingMessageSchema } from '../../../services/shipping/domain/ship-order';

// ------------------------------------------------------------------------------------------------ fixture

type StepName = keyof OrderSagaProps['steps'];
const STEP_NAMES: readonly StepName[] = [
  'setOrderStatus',
  'reserveStock',
  'commitStock',
  'releaseStock',
  'authorizePayment',
  'capturePayment',
  'refundPayment',
  'cancelShipment',
  'notify',
];

interface Fixture {
  readonly app: App;
  readonly stack: Stack;
  readonly saga: OrderSaga;
  readonly config: MeridianEnvironment;
  readonly template: Template;
  readonly aliases: Record<StepName, lambda.Alias>;
  readonly queue: sqs.Queue;
  readonly queueKey: kms.Key;
  readonly tableKey?: kms.Key;
  readonly definition: Definition;
}

/** A test stack with real (inline) step functions behind `live` aliases, an encrypted queue and the orders table. */
function buildFixture(
  options: {
    env?: 'prod' | 'dev';
    tableKey?: boolean;
    timeouts?: OrderSagaProps['timeouts'];
  } = {},
): Fixture {
  const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
  const config = resolveEnvironment(DEFAULT_ENVIRONMENTS[options.env ?? 'prod']);
  const stack = new Stack(app, 'Regional', { env: { account: '123456789012', region: 'eu-west-1' } });
  const aliases = Object.fromEntries(
    STEP_NAMES.map((name) => {
      const fn = new lambda.Function(stack, `${name}Fn`, {
        runtime: lambda.Runtime.NODEJS_22_X,
        architecture: lambda.Architecture.ARM_64,
        handler: 'index.handler',
        code: lambda.Code.fromInline('exports.handler = async () => ({});'),
      });
      return [
        name,
        new lambda.Alias(stack, `${name}Live`, { aliasName: 'live', version: fn.currentVersion }),
      ];
    }),
  ) as Record<StepName, lambda.Alias>;
  const queueKey = new kms.Key(stack, 'QueueKey', { enableKeyRotation: true });
  const queue = new sqs.Queue(stack, 'ShippingQueue', {
    encryption: sqs.QueueEncryption.KMS,
    encryptionMasterKey: queueKey,
    enforceSSL: true,
  });
  const tableKey = options.tableKey ? new kms.Key(stack, 'TableKey', { enableKeyRotation: true }) : undefined;
  const ordersTable = tableKey
    ? dynamodb.TableV2.fromTableAttributes(stack, 'Orders', {
        tableName: `${config.prefix}-orders`,
        encryptionKey: tableKey,
      })
    : dynamodb.TableV2.fromTableName(stack, 'Orders', `${config.prefix}-orders`);
  const saga = new OrderSaga(stack, 'Saga', {
    config,
    steps: aliases,
    shippingQueue: queue,
    ordersTable,
    ...(options.timeouts ? { timeouts: options.timeouts } : {}),
  });
  const template = Template.fromStack(stack);
  return {
    app,
    stack,
    saga,
    config,
    template,
    aliases,
    queue,
    queueKey,
    ...(tableKey ? { tableKey } : {}),
    definition: definitionOf(template),
  };
}

// ------------------------------------------------------------------------------------------------ definition

interface Retrier {
  ErrorEquals: string[];
  IntervalSeconds?: number;
  MaxAttempts?: number;
  BackoffRate?: number;
  MaxDelaySeconds?: number;
  JitterStrategy?: string;
}
interface Catcher {
  ErrorEquals: string[];
  ResultPath?: string | null;
  Next: string;
}
interface State {
  Type: 'Task' | 'Choice' | 'Pass' | 'Succeed' | 'Fail' | 'Wait' | 'Parallel' | 'Map';
  Next?: string;
  End?: boolean;
  Resource?: string;
  Parameters?: Record<string, unknown>;
  ResultPath?: string | null;
  TimeoutSeconds?: number;
  HeartbeatSeconds?: number;
  Retry?: Retrier[];
  Catch?: Catcher[];
  Choices?: { Variable: string; StringEquals?: string; Next: string }[];
  Default?: string;
  Error?: string;
  Cause?: string;
}
interface Definition {
  StartAt: string;
  TimeoutSeconds?: number;
  States: Record<string, State>;
}

/** A CloudFormation token as a JSON-safe placeholder: `{ Ref: X }` → `<Ref:X>`, GetAtt → `<GetAtt:X.Arn>`. */
function placeholder(token: unknown): string {
  if (typeof token === 'string') return token;
  const t = token as Record<string, unknown>;
  if (typeof t.Ref === 'string') return `<Ref:${t.Ref}>`;
  if (Array.isArray(t['Fn::GetAtt'])) return `<GetAtt:${(t['Fn::GetAtt'] as string[]).join('.')}>`;
  if (Array.isArray(t['Fn::Join'])) {
    const [delimiter, parts] = t['Fn::Join'] as [string, unknown[]];
    return parts.map(placeholder).join(delimiter);
  }
  throw new Error(`unexpected token in the definition: ${JSON.stringify(token)}`);
}

/** The state machine's definition: the `Fn::Join` CDK emits, joined with tokens as placeholders, parsed. */
function definitionOf(template: Template): Definition {
  const machines = template.findResources('AWS::StepFunctions::StateMachine');
  const [machine] = Object.values(machines);
  if (!machine || Object.keys(machines).length !== 1) throw new Error('expected exactly one state machine');
  const body = (machine as { Properties: { DefinitionString: unknown } }).Properties.DefinitionString;
  return JSON.parse(placeholder(body)) as Definition;
}

/** The placeholder the definition shows for a construct's token (an alias ARN, a queue URL, …). */
function tokenIn(stack: Stack, token: string): string {
  return placeholder(stack.resolve(token));
}

function state(definition: Definition, name: string): State {
  const s = definition.States[name];
  if (!s) throw new Error(`no state ${name}; states: ${Object.keys(definition.States).join(', ')}`);
  return s;
}

/** Every key anywhere in a JSON value. */
function allKeys(value: unknown, into: string[] = []): string[] {
  if (Array.isArray(value)) value.forEach((v) => allKeys(v, into));
  else if (value && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) {
      into.push(k);
      allKeys(v, into);
    }
  }
  return into;
}

/** Reads a JSONPath reference path (`$.a.b`) from a value. */
function readPath(data: unknown, path: string): unknown {
  if (path === '$') return data;
  return path
    .slice(2)
    .split('.')
    .reduce<unknown>(
      (v, k) => (v && typeof v === 'object' ? (v as Record<string, unknown>)[k] : undefined),
      data,
    );
}

/** Writes at a reference path, creating intervening objects as Step Functions does. */
function writePath(data: Record<string, unknown>, path: string, value: unknown): Record<string, unknown> {
  const copy = structuredClone(data);
  const keys = path.slice(2).split('.');
  let node = copy;
  for (const k of keys.slice(0, -1)) {
    node[k] = node[k] && typeof node[k] === 'object' ? node[k] : {};
    node = node[k] as Record<string, unknown>;
  }
  node[keys.at(-1) as string] = value;
  return copy;
}

/** Builds a task's effective input from its Parameters (the `.$` keys read the state input or the context). */
function effectiveInput(parameters: unknown, data: unknown, context: unknown): unknown {
  if (Array.isArray(parameters)) return parameters.map((p) => effectiveInput(p, data, context));
  if (!parameters || typeof parameters !== 'object') return parameters;
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(parameters)) {
    if (key.endsWith('.$')) {
      const path = value as string;
      if (path.startsWith('States.')) throw new Error(`intrinsic ${path} is not evaluated here`);
      out[key.slice(0, -2)] = path.startsWith('$$.')
        ? readPath(context, `$.${path.slice(3)}`)
        : readPath(data, path);
    } else {
      out[key] = effectiveInput(value, data, context);
    }
  }
  return out;
}

const errorMatches = (errors: readonly string[], error: string) =>
  errors.includes(error) || errors.includes('States.ALL');

interface Scenario {
  /** Tasks that fail after their retries, with the error name they fail with. */
  readonly failures?: Readonly<Record<string, string>>;
  /** What a successful task returns (placed at its ResultPath); others return `{}`. */
  readonly results?: Readonly<Record<string, unknown>>;
  /** The execution input. */
  readonly input?: Record<string, unknown>;
}

interface Walk {
  readonly path: string[];
  readonly end: State;
  readonly data: Record<string, unknown>;
}

/**
 * Follows the definition from `from` the way Step Functions would for one scenario: a Task succeeds (its
 * result placed at its ResultPath) unless the scenario fails it, in which case the first matching Catch is
 * taken with `{ Error }` at the Catch's ResultPath; a Choice evaluates its `StringEquals` rules on the data.
 * Stops at Succeed or Fail (or a state with `End`).
 */
function walkDefinition(definition: Definition, scenario: Scenario = {}, from = definition.StartAt): Walk {
  const path: string[] = [];
  let data: Record<string, unknown> = scenario.input ?? {};
  let name: string | undefined = from;
  while (name) {
    if (path.length > 100) throw new Error(`no end after 100 states: ${path.join(' → ')}`);
    path.push(name);
    const s = state(definition, name);
    switch (s.Type) {
      case 'Succeed':
      case 'Fail':
        return { path, end: s, data };
      case 'Choice': {
        const rule = (s.Choices ?? []).find((c) => {
          if (c.StringEquals === undefined) throw new Error(`unsupported rule in ${name}`);
          return readPath(data, c.Variable) === c.StringEquals;
        });
        name = rule?.Next ?? s.Default;
        if (!name) throw new Error(`choice ${path.at(-1)} matched nothing`);
        break;
      }
      case 'Task': {
        const error: string | undefined = scenario.failures?.[name];
        if (error !== undefined) {
          const handler: Catcher | undefined = (s.Catch ?? []).find((c) =>
            errorMatches(c.ErrorEquals, error),
          );
          if (!handler) return { path, end: s, data };
          if (handler.ResultPath !== null) {
            data = writePath(data, handler.ResultPath ?? '$', { Error: error, Cause: `${error} (test)` });
          }
          name = handler.Next;
          break;
        }
        if (s.ResultPath !== null && s.ResultPath !== undefined) {
          data = writePath(data, s.ResultPath, scenario.results?.[name] ?? {});
        }
        if (s.End) return { path, end: s, data };
        name = s.Next;
        break;
      }
      default:
        if (s.End) return { path, end: s, data };
        name = s.Next;
    }
  }
  throw new Error(`walk fell off the definition after ${path.join(' → ')}`);
}

/** The rule ids acknowledged on a construct (CDK prefixes them with `Annotation::` in the metadata). */
function acknowledgedOn(construct: IConstruct): string[] {
  return construct.node.metadata
    .filter((m) => m.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY)
    .flatMap((m) => Object.keys(m.data as Record<string, string>))
    .map((id) => id.replace(/^annotation::/i, ''));
}

const tasksOf = (definition: Definition) =>
  Object.entries(definition.States).filter(([, s]) => s.Type === 'Task');

/** Names of the tasks whose Resource is (or invokes) the given step alias. */
function tasksInvoking(f: Fixture, step: StepName): string[] {
  const alias = tokenIn(f.stack, f.aliases[step].functionArn);
  return tasksOf(f.definition)
    .filter(([, s]) => s.Resource === alias || s.Parameters?.FunctionName === alias)
    .map(([n]) => n);
}

const SAMPLE_INPUT: SagaInput = {
  order: {
    orderId: 'ord_0123456789abcdef',
    customerId: 'CUST-4242',
    correlationId: 'corr-1',
    homeRegion: 'eu-west-1',
    currency: 'EUR',
    totalMinor: 4498,
    lines: [
      { productId: 'PROD-1001', quantity: 2, unitPriceMinor: 1999 },
      { productId: 'PROD-1002', quantity: 1, unitPriceMinor: 500 },
    ],
    paymentToken: 'tok_visa',
    email: 'ada@example.com',
  },
};

// ------------------------------------------------------------------------------------------------ tests

describe('OrderSaga', () => {
  let f: Fixture;

  beforeAll(() => {
    f = buildFixture({ tableKey: true });
  });

  describe('the state machine resource', () => {
    it('is a Standard state machine named after the environment, with tracing and logging of every event', () => {
      f.template.hasResourceProperties('AWS::StepFunctions::StateMachine', {
        StateMachineName: 'meridian-prod-order-saga',
        StateMachineType: 'STANDARD',
        TracingConfiguration: { Enabled: true },
        LoggingConfiguration: {
          Level: 'ALL',
          IncludeExecutionData: true,
          Destinations: [
            { CloudWatchLogsLogGroup: { LogGroupArn: { 'Fn::GetAtt': [Match.anyValue(), 'Arn'] } } },
          ],
        },
      });
      expect(f.saga.stateMachineName).toBe('meridian-prod-order-saga');
    });

    it('logs to a vended-logs group kept 90 days and retained where data is protected', () => {
      f.template.hasResource('AWS::Logs::LogGroup', {
        Properties: { LogGroupName: '/aws/vendedlogs/states/meridian-prod-order-saga', RetentionInDays: 90 },
        DeletionPolicy: 'Retain',
      });
    });

    it('keeps logs two weeks and deletes them with the stack in dev', () => {
      const dev = buildFixture({ env: 'dev' });
      dev.template.hasResource('AWS::Logs::LogGroup', {
        Properties: { LogGroupName: '/aws/vendedlogs/states/meridian-dev-order-saga', RetentionInDays: 14 },
        DeletionPolicy: 'Delete',
      });
      dev.template.hasResourceProperties('AWS::StepFunctions::StateMachine', {
        StateMachineName: 'meridian-dev-order-saga',
      });
    });

    it('derives the same ARN from the name alone (orderSagaArn) as the state machine has', () => {
      const derived = f.stack.resolve(orderSagaArn(f.stack, f.config));
      expect(placeholder(derived)).toBe(
        'arn:<Ref:AWS::Partition>:states:eu-west-1:123456789012:stateMachine:meridian-prod-order-saga',
      );
      // Deployed, the state machine's ARN is arn:<partition>:states:<region>:<account>:stateMachine:<its name>.
      f.template.hasResourceProperties('AWS::StepFunctions::StateMachine', {
        StateMachineName: orderSagaName(f.config),
      });
    });

    it('has a total timeout longer than the shipment wait plus the payment wait', () => {
      const shipment = state(f.definition, 'CreateShipment').TimeoutSeconds ?? 0;
      const payment = state(f.definition, 'AuthorizePayment').TimeoutSeconds ?? 0;
      expect(f.definition.TimeoutSeconds).toBeGreaterThan(shipment + payment);
    });
  });

  describe('the definition (JSONPath only, as the local runtime runs it)', () => {
    it('uses no JSONata and no variables anywhere', () => {
      const keys = allKeys(f.definition);
      expect(keys).not.toContain('QueryLanguage');
      expect(keys).not.toContain('Assign');
      expect(keys).not.toContain('Arguments');
      expect(keys).not.toContain('Output');
      expect(JSON.stringify(f.definition)).not.toMatch(/\{%|JSONata/);
    });

    it('gives every task a timeout and no heartbeat', () => {
      const tasks = tasksOf(f.definition);
      expect(tasks.length).toBeGreaterThanOrEqual(16);
      for (const [name, s] of tasks) {
        expect({ name, timeout: s.TimeoutSeconds }).toEqual({ name, timeout: expect.any(Number) });
        expect({ name, heartbeat: s.HeartbeatSeconds }).toEqual({ name, heartbeat: undefined });
      }
    });

    it('retries every task with exponential backoff, a max delay and full jitter, as its last retrier', () => {
      for (const [name, s] of tasksOf(f.definition)) {
        const last = s.Retry?.at(-1);
        expect({ name, last }).toEqual({
          name,
          last: {
            ErrorEquals: ['States.ALL'],
            IntervalSeconds: expect.any(Number),
            MaxAttempts: expect.any(Number),
            BackoffRate: 2,
            MaxDelaySeconds: expect.any(Number),
            JitterStrategy: 'FULL',
          },
        });
        expect(last?.MaxAttempts).toBeGreaterThanOrEqual(3);
      }
    });

    it('retries each Lambda step on Lambda service errors (its States.ALL retrier is reached for them)', () => {
      const lambdaTasks = STEP_NAMES.flatMap((step) => tasksInvoking(f, step));
      expect(lambdaTasks.length).toBe(17);
      for (const name of lambdaTasks) {
        const retry = state(f.definition, name).Retry ?? [];
        for (const transient of [
          'Lambda.ServiceException',
          'Lambda.AWSLambdaException',
          'Lambda.SdkClientException',
          'Lambda.TooManyRequestsException',
          'StockContentionError',
          'AllocationFullError',
          'EventInFlightError',
          'OrderUpdateConflictError',
        ]) {
          const first = retry.find((r) => errorMatches(r.ErrorEquals, transient));
          expect({ name, transient, jitter: first?.JitterStrategy, max: first?.MaxAttempts }).toEqual({
            name,
            transient,
            jitter: 'FULL',
            max: expect.any(Number),
          });
          expect(first?.MaxAttempts).toBeGreaterThan(0);
        }
      }
    });

    it.each([
      ['ReserveStock', SAGA_ERRORS.outOfStock],
      ['ReserveStock', 'AllocationNotOwnedError'],
      ['SetStatusReserved', SAGA_ERRORS.orderCancelled],
      ['SetStatusReserved', SAGA_ERRORS.orderHomedElsewhere],
      ['SetStatusReserved', SAGA_ERRORS.invalidTransition],
      ['AuthorizePayment', SAGA_ERRORS.paymentDeclined],
      ['AuthorizePayment', 'States.Timeout'],
      ['CapturePayment', 'PaymentNotCapturableError'],
      ['CommitStock', SAGA_ERRORS.reservationExpired],
      ['SetStatusPaid', SAGA_ERRORS.orderCancelled],
      ['CreateShipment', 'States.Timeout'],
      ['CreateShipment', 'ShipmentCancelledError'],
      ['SetStatusShipped', SAGA_ERRORS.orderCancelled],
      ['SetStatusReserved', SAGA_ERRORS.orderTakenOver],
      ['SetStatusPaid', SAGA_ERRORS.orderTakenOver],
      ['SetStatusShipped', SAGA_ERRORS.orderTakenOver],
      ['SetStatusFailed', SAGA_ERRORS.orderTakenOver],
      ['SetStatusCancelled', SAGA_ERRORS.orderTakenOver],
      ['RecordExecution', 'DynamoDB.ConditionalCheckFailedException'],
      ['ReleaseStock', 'ValidationError'],
    ])('never retries %s on the business error %s', (name, error) => {
      const first = (state(f.definition, name).Retry ?? []).find((r) => errorMatches(r.ErrorEquals, error));
      expect(first?.ErrorEquals).toContain(error);
      expect(first?.MaxAttempts).toBe(0);
    });

    it('routes only on error names the step handlers really throw', () => {
      const thrown = new Set(
        [
          new OutOfStockError('PROD-1', 1, 0),
          new ReservationExpiredError('ord_1', 'PROD-1'),
          new AllocationNotOwnedError('PROD-1', 'eu-west-1', 'us-east-1'),
          new OrderCancelledError('ord_1', 'PAID'),
          new InvalidStatusTransitionError('ord_1', 'SHIPPED', 'FAILED'),
          new OrderHomedElsewhereError('ord_1', 'us-east-1', 'eu-west-1'),
          new OrderTakenOverError('ord_1', 'us-east-1', 'PAID'),
          new OrderNotFoundError('ord_1'),
          new PaymentDeclinedError('ord_1', 'card_declined'),
          new PaymentOwnershipError('ord_1', 'us-east-1', 'eu-west-1'),
          new PaymentNotFoundError('ord_1'),
          new PaymentNotCapturableError('ord_1', 'DECLINED'),
          new MissingTaskTokenError(),
          new NotOwnerRegionError('shipment', 'us-east-1', 'eu-west-1'),
          new ShipmentCancelledError('ord_1'),
          new ValidationError('step input is invalid'),
        ].map((e) => e.name),
      );
      const routed = tasksOf(f.definition).flatMap(([, s]) =>
        [...(s.Retry ?? []), ...(s.Catch ?? [])].flatMap((r) => r.ErrorEquals),
      );
      const ours = [...new Set(routed)].filter((e) => !/^(States|DynamoDB|Lambda)\./.test(e));
      expect(ours.length).toBeGreaterThan(10);
      for (const name of ours) expect({ name, thrown: thrown.has(name) }).toEqual({ name, thrown: true });
    });
  });

  describe('what each step receives (the saga contract of services/shared/saga.ts)', () => {
    const schemaOf: Record<StepName, z.ZodType> = {
      setOrderStatus: setStatusInputSchema,
      reserveStock: stepInputSchema,
      commitStock: stepInputSchema,
      releaseStock: stepInputSchema,
      authorizePayment: stepInputSchema,
      capturePayment: stepInputSchema,
      refundPayment: stepInputSchema,
      cancelShipment: stepInputSchema,
      notify: notifyInputSchema,
    };
    const context = { Execution: { Id: 'arn:exec' }, Task: { Token: 'task-token-1' } };
    const afterFailure = { ...SAGA_INPUT_WITH_ERROR() };

    it.each(STEP_NAMES)('%s gets an input its handler accepts, in every state that invokes it', (step) => {
      const names = tasksInvoking(f, step);
      expect(names.length).toBeGreaterThan(0);
      for (const name of names) {
        const s = state(f.definition, name);
        const parameters =
          s.Resource === tokenIn(f.stack, f.aliases[step].functionArn) ? s.Parameters : s.Parameters?.Payload;
        const input = effectiveInput(parameters, afterFailure, context);
        const parsed = schemaOf[step].safeParse(input);
        expect({ name, issues: parsed.success ? [] : parsed.error.issues }).toEqual({ name, issues: [] });
      }
    });

    it('passes the order itself to every order step, so amounts and lines are never re-read', () => {
      for (const step of STEP_NAMES.filter((s) => s !== 'setOrderStatus')) {
        for (const name of tasksInvoking(f, step)) {
          const s = state(f.definition, name);
          const params = (s.Parameters?.Payload ?? s.Parameters) as Record<string, unknown>;
          expect({ name, order: params['order.$'] }).toEqual({ name, order: '$.order' });
        }
      }
    });

    it('invokes the Lambda steps for their payload only and places each result beside $.order', () => {
      for (const [name, s] of tasksOf(f.definition)) {
        if (name === 'RecordExecution') {
          expect(s.ResultPath).toBeNull();
          continue;
        }
        expect({ name, resultPath: s.ResultPath }).toEqual({
          name,
          resultPath: expect.stringMatching(/^\$\.(results|compensation)\.[A-Za-z]+$/),
        });
      }
      // payloadResponseOnly: the Resource is the alias itself, not the lambda:invoke integration.
      expect(state(f.definition, 'ReserveStock').Resource).toBe(
        tokenIn(f.stack, f.aliases.reserveStock.functionArn),
      );
    });

    it('sets the statuses of the lifecycle in order, with the failure reason = the error name only', () => {
      const statusOf = (name: string) => state(f.definition, name).Parameters?.status;
      expect(
        ['SetStatusReserved', 'SetStatusPaid', 'SetStatusShipped', 'SetStatusFulfilled'].map(statusOf),
      ).toEqual(['RESERVED', 'PAID', 'SHIPPED', 'FULFILLED']);
      expect(state(f.definition, 'SetStatusFailed').Parameters).toEqual({
        'orderId.$': '$.order.orderId',
        'correlationId.$': '$.order.correlationId',
        status: 'FAILED',
        'reason.$': '$.error.Error',
      });
      expect(statusOf('SetStatusCancelled')).toBe('CANCELLED');
      for (const name of ['CancelShipment', 'RefundPayment', 'ReleaseStock', 'StandDownReleaseStock']) {
        expect(state(f.definition, name).Parameters?.['reason.$']).toBe('$.error.Error');
      }
    });

    it('shipping gets exactly the queue message the consumer parses', () => {
      const s = state(f.definition, 'CreateShipment');
      const body = effectiveInput(s.Parameters?.MessageBody, SAMPLE_INPUT, context);
      expect(shippingMessageSchema.safeParse(body).success).toBe(true);
      expect(body).toEqual({ order: SAMPLE_INPUT.order, taskToken: 'task-token-1' });
    });
  });

  describe('the waits', () => {
    it('authorizes the payment with lambda:invoke.waitForTaskToken, passing the task token, for 5 minutes', () => {
      const s = state(f.definition, 'AuthorizePayment');
      expect(s.Resource).toBe('arn:<Ref:AWS::Partition>:states:::lambda:invoke.waitForTaskToken');
      expect(s.Parameters).toEqual({
        FunctionName: tokenIn(f.stack, f.aliases.authorizePayment.functionArn),
        Payload: { 'order.$': '$.order', 'taskToken.$': '$$.Task.Token' },
      });
      expect(s.TimeoutSeconds).toBe(300);
      expect(s.HeartbeatSeconds).toBeUndefined();
    });

    it('requests the shipment with sqs:sendMessage.waitForTaskToken and waits 24 hours for it', () => {
      const s = state(f.definition, 'CreateShipment');
      expect(s.Resource).toBe('arn:<Ref:AWS::Partition>:states:::sqs:sendMessage.waitForTaskToken');
      expect(s.Parameters).toEqual({
        QueueUrl: tokenIn(f.stack, f.queue.queueUrl),
        MessageBody: { 'order.$': '$.order', 'taskToken.$': '$$.Task.Token' },
      });
      expect(s.TimeoutSeconds).toBe(24 * 3600);
    });

    it('takes its timeouts from props', () => {
      const custom = buildFixture({
        timeouts: { step: Duration.seconds(45), payment: Duration.minutes(4), shipment: Duration.hours(2) },
      });
      expect(state(custom.definition, 'ReserveStock').TimeoutSeconds).toBe(45);
      expect(state(custom.definition, 'RecordExecution').TimeoutSeconds).toBe(45);
      expect(state(custom.definition, 'AuthorizePayment').TimeoutSeconds).toBe(240);
      expect(state(custom.definition, 'CreateShipment').TimeoutSeconds).toBe(7200);
      expect(custom.definition.TimeoutSeconds).toBeGreaterThan(7200 + 240);
    });
  });

  describe('records the execution on the order with a DynamoDB service integration', () => {
    it('updates the order item (pk ORDER#<id>, sk ORDER) only where this region owns it', () => {
      const s = state(f.definition, 'RecordExecution');
      expect(s.Resource).toBe('arn:<Ref:AWS::Partition>:states:::dynamodb:updateItem');
      expect(s.Parameters).toEqual({
        TableName: 'meridian-prod-orders',
        Key: { pk: { 'S.$': "States.Format('ORDER#{}', $.order.orderId)" }, sk: { S: 'ORDER' } },
        UpdateExpression: 'SET sagaExecutionArn = :executionArn',
        ConditionExpression: 'attribute_exists(pk) AND ownerRegion = :region',
        ExpressionAttributeValues: {
          ':executionArn': { 'S.$': '$$.Execution.Id' },
          ':region': { S: 'eu-west-1' },
        },
      });
    });

    it('writes only after the ownership gate of SetStatusReserved, and stands down if the order moved since', () => {
      const walk = walkDefinition(f.definition, {
        failures: { RecordExecution: 'DynamoDB.ConditionalCheckFailedException' },
      });
      expect(walk.path).toEqual([
        'ReserveStock',
        'SetStatusReserved',
        'RecordExecution',
        'StandDownReleaseStock',
        'StoodDown',
      ]);
      expect(walk.end).toMatchObject({ Type: 'Fail', Error: SAGA_ERRORS.orderHomedElsewhere });
    });

    it.each(['SetStatusFailed', 'SetStatusCancelled'])(
      'stands down without a final status when %s finds the order owned by another region',
      (name) => {
        expect(state(f.definition, name).Catch?.[0]).toEqual({
          ErrorEquals: [SAGA_ERRORS.orderHomedElsewhere],
          ResultPath: '$.error',
          Next: 'StoodDown',
        });
      },
    );

    it('a region behind on replication whose reservation failed stands down instead of writing FAILED', () => {
      const walk = walkDefinition(f.definition, {
        failures: { ReserveStock: SAGA_ERRORS.outOfStock, SetStatusFailed: SAGA_ERRORS.orderHomedElsewhere },
      });
      expect(walk.path).toEqual([
        'ReserveStock',
        'ReleaseStock',
        'WasOrderCancelled',
        'SetStatusFailed',
        'StoodDown',
      ]);
      expect(walk.end).toMatchObject({ Type: 'Fail', Error: SAGA_ERRORS.orderHomedElsewhere });
    });

    it('goes on with the order when the bookkeeping write itself keeps failing', () => {
      const walk = walkDefinition(f.definition, {
        failures: { RecordExecution: 'DynamoDB.AmazonDynamoDBException' },
      });
      expect(walk.path.slice(0, 4)).toEqual([
        'ReserveStock',
        'SetStatusReserved',
        'RecordExecution',
        'AuthorizePayment',
      ]);
      expect(walk.end.Type).toBe('Succeed');
      expect(walk.data.error).toBeUndefined();
    });
  });

  describe('paths (walkDefinition)', () => {
    const COMPENSATE_TAIL_FAILED = [
      'WasOrderCancelled',
      'SetStatusFailed',
      'WasOrderTakenOver',
      'WhichFinalStatus',
      'NotifyFailed',
      'OrderCompensated',
    ];

    it('happy path: reserve → pay → ship → fulfil → notify, ending in success', () => {
      const walk = walkDefinition(f.definition, { input: SAMPLE_INPUT });
      expect(walk.path).toEqual([
        'ReserveStock',
        'SetStatusReserved',
        'RecordExecution',
        'AuthorizePayment',
        'CapturePayment',
        'CommitStock',
        'SetStatusPaid',
        'CreateShipment',
        'SetStatusShipped',
        'SetStatusFulfilled',
        'NotifyFulfilled',
        'OrderFulfilled',
      ]);
      expect(walk.end.Type).toBe('Succeed');
      expect(walk.data.order).toEqual(SAMPLE_INPUT.order);
    });

    it('a failed notification does not fail a fulfilled order', () => {
      const walk = walkDefinition(f.definition, { failures: { NotifyFulfilled: 'EventInFlightError' } });
      expect(walk.path.slice(-2)).toEqual(['NotifyFulfilled', 'OrderFulfilled']);
      expect(walk.end.Type).toBe('Succeed');
    });

    it('a reservation failure releases any partial holds and fails the order, refunding nothing', () => {
      const walk = walkDefinition(f.definition, { failures: { ReserveStock: SAGA_ERRORS.outOfStock } });
      expect(walk.path).toEqual(['ReserveStock', 'ReleaseStock', ...COMPENSATE_TAIL_FAILED]);
      expect(walk.path).not.toContain('RefundPayment');
      expect(walk.path).not.toContain('CancelShipment');
    });

    it('a capture failure refunds, then releases, then fails the order with the error name', () => {
      const walk = walkDefinition(f.definition, {
        failures: { CapturePayment: 'PaymentNotCapturableError' },
      });
      const after = walk.path.slice(walk.path.indexOf('CapturePayment') + 1);
      expect(after).toEqual(['RefundPayment', 'ReleaseStock', ...COMPENSATE_TAIL_FAILED]);
      expect(walk.data.error).toEqual({ Error: 'PaymentNotCapturableError', Cause: expect.any(String) });
      expect(state(f.definition, 'CapturePayment').Catch?.[1]).toEqual({
        ErrorEquals: ['States.ALL'],
        ResultPath: '$.error',
        Next: 'RefundPayment',
      });
    });

    it.each([
      ['AuthorizePayment', SAGA_ERRORS.paymentDeclined],
      ['AuthorizePayment', 'States.Timeout'],
      ['CommitStock', SAGA_ERRORS.reservationExpired],
      ['SetStatusPaid', SAGA_ERRORS.invalidTransition],
    ])('after a charge exists, %s failing with %s refunds then releases', (failing, error) => {
      const walk = walkDefinition(f.definition, { failures: { [failing]: error } });
      const after = walk.path.slice(walk.path.indexOf(failing) + 1);
      expect(after).toEqual(['RefundPayment', 'ReleaseStock', ...COMPENSATE_TAIL_FAILED]);
    });

    it('a failure at SetStatus RESERVED releases stock only', () => {
      const walk = walkDefinition(f.definition, {
        failures: { SetStatusReserved: SAGA_ERRORS.invalidTransition },
      });
      const after = walk.path.slice(walk.path.indexOf('SetStatusReserved') + 1);
      expect(after).toEqual(['ReleaseStock', ...COMPENSATE_TAIL_FAILED]);
    });

    it.each([
      ['CreateShipment', 'States.Timeout'],
      ['CreateShipment', 'ShipmentCancelledError'],
      ['SetStatusShipped', 'OrderNotFoundError'],
    ])(
      'from the shipment on, %s failing with %s cancels the shipment, refunds, releases',
      (failing, error) => {
        const walk = walkDefinition(f.definition, { failures: { [failing]: error } });
        const after = walk.path.slice(walk.path.indexOf(failing) + 1);
        expect(after).toEqual(['CancelShipment', 'RefundPayment', 'ReleaseStock', ...COMPENSATE_TAIL_FAILED]);
      },
    );

    it.each(['SetStatusReserved', 'SetStatusPaid', 'SetStatusShipped'])(
      'a customer cancel noticed at %s compensates and ends CANCELLED with the cancellation notice',
      (failing) => {
        const walk = walkDefinition(f.definition, { failures: { [failing]: SAGA_ERRORS.orderCancelled } });
        expect(walk.path.slice(-5)).toEqual([
          'ReleaseStock',
          'WasOrderCancelled',
          'SetStatusCancelled',
          'NotifyCancelled',
          'OrderCompensated',
        ]);
        expect(walk.path).not.toContain('SetStatusFailed');
        expect(state(f.definition, 'SetStatusCancelled').Parameters?.status).toBe('CANCELLED');
        expect(state(f.definition, 'NotifyCancelled').Parameters?.template).toBe('order-cancelled');
        expect(walk.end.Type).toBe('Succeed');
      },
    );

    it('a failure that meets a concurrent cancel (FAILED became CANCELLED) sends the cancellation notice', () => {
      const walk = walkDefinition(f.definition, {
        failures: { AuthorizePayment: SAGA_ERRORS.paymentDeclined },
        results: { SetStatusFailed: { orderId: 'ord_1', status: 'CANCELLED' } },
      });
      expect(walk.path.slice(-5)).toEqual([
        'SetStatusFailed',
        'WasOrderTakenOver',
        'WhichFinalStatus',
        'NotifyCancelled',
        'OrderCompensated',
      ]);
    });

    describe('an order a surviving region took over (docs/decisions/007)', () => {
      it('checks for the takeover right after SetStatusFailed, before choosing the customer notice', () => {
        expect(state(f.definition, 'SetStatusFailed').Next).toBe('WasOrderTakenOver');
        expect(state(f.definition, 'WasOrderTakenOver')).toEqual({
          Type: 'Choice',
          Choices: [
            { Variable: '$.error.Error', StringEquals: SAGA_ERRORS.orderTakenOver, Next: 'OrderCompensated' },
          ],
          Default: 'WhichFinalStatus',
        });
        expect(SAGA_ERRORS.orderTakenOver).toBe(new OrderTakenOverError('ord_1', 'us-east-1', 'PAID').name);
        // The other paths are unchanged: the final status still picks the notice.
        expect(state(f.definition, 'WhichFinalStatus')).toEqual({
          Type: 'Choice',
          Choices: [
            { Variable: '$.results.finalStatus.status', StringEquals: 'CANCELLED', Next: 'NotifyCancelled' },
          ],
          Default: 'NotifyFailed',
        });
        expect(state(f.definition, 'OrderCompensated').Type).toBe('Succeed');
      });

      it.each([
        ['SetStatusReserved', ['ReleaseStock']],
        ['SetStatusPaid', ['RefundPayment', 'ReleaseStock']],
        ['SetStatusShipped', ['CancelShipment', 'RefundPayment', 'ReleaseStock']],
      ])(
        'noticed at %s: undoes its own effects, records FAILED and ends without notifying again',
        (failing, undo) => {
          const walk = walkDefinition(f.definition, {
            input: sagaInputSchema.parse(SAMPLE_INPUT),
            failures: { [failing]: SAGA_ERRORS.orderTakenOver },
          });
          const after = walk.path.slice(walk.path.indexOf(failing) + 1);

          expect(after).toEqual([
            ...undo,
            'WasOrderCancelled',
            'SetStatusFailed',
            'WasOrderTakenOver',
            'OrderCompensated',
          ]);
          expect(walk.path).not.toContain('NotifyFailed');
          expect(walk.path).not.toContain('NotifyCancelled');
          expect(walk.path).not.toContain('StandDownReleaseStock');
          expect(walk.end.Type).toBe('Succeed');
          // SetStatusFailed gets the error name; setOrderStatus records it as HomeRegionUnavailable.
          expect(walk.data.error).toEqual({ Error: SAGA_ERRORS.orderTakenOver, Cause: expect.any(String) });
          expect(state(f.definition, 'SetStatusFailed').Parameters?.['reason.$']).toBe('$.error.Error');
        },
      );

      it('sends no notice even when the order ended CANCELLED (the survivor already told the customer)', () => {
        const walk = walkDefinition(f.definition, {
          failures: { SetStatusPaid: SAGA_ERRORS.orderTakenOver },
          results: { SetStatusFailed: { orderId: 'ord_1', status: 'CANCELLED' } },
        });

        expect(walk.path.slice(-3)).toEqual(['SetStatusFailed', 'WasOrderTakenOver', 'OrderCompensated']);
      });

      it.each([
        'SetStatusReserved',
        'SetStatusPaid',
        'SetStatusShipped',
        'SetStatusFailed',
        'SetStatusCancelled',
      ])('%s never retries OrderTakenOverError (a final error, straight to its Catch)', (name) => {
        const [first] = state(f.definition, name).Retry ?? [];

        expect(first?.ErrorEquals).toContain(SAGA_ERRORS.orderTakenOver);
        expect(first?.MaxAttempts).toBe(0);
      });

      it('still notifies a failure that is not a takeover', () => {
        const walk = walkDefinition(f.definition, {
          failures: { SetStatusPaid: SAGA_ERRORS.invalidTransition },
        });

        expect(walk.path.slice(-5)).toEqual([
          'SetStatusFailed',
          'WasOrderTakenOver',
          'WhichFinalStatus',
          'NotifyFailed',
          'OrderCompensated',
        ]);
      });
    });

    it('a failed customer notice after compensation still ends the execution cleanly', () => {
      const walk = walkDefinition(f.definition, {
        failures: { ReserveStock: SAGA_ERRORS.outOfStock, NotifyFailed: 'Lambda.ServiceException' },
      });
      expect(walk.path.slice(-2)).toEqual(['NotifyFailed', 'OrderCompensated']);
      expect(state(f.definition, 'NotifyFailed').Parameters).toEqual({
        'order.$': '$.order',
        template: 'order-failed',
        'reason.$': '$.error.Error',
      });
    });

    it.each(['CancelShipment', 'RefundPayment', 'ReleaseStock', 'SetStatusFailed'])(
      'a compensation step (%s) that still fails after its retries ends in a clearly named Fail',
      (failing) => {
        const walk = walkDefinition(f.definition, {
          failures: { CreateShipment: 'States.Timeout', [failing]: 'Lambda.ServiceException' },
        });
        expect(walk.path.at(-1)).toBe('CompensationFailed');
        expect(walk.end).toMatchObject({ Type: 'Fail', Error: 'CompensationFailedError' });
        const retry = state(f.definition, failing).Retry?.at(-1);
        expect(retry?.MaxAttempts).toBeGreaterThanOrEqual(8);
      },
    );

    it.each(['SetStatusReserved', 'SetStatusPaid', 'SetStatusShipped'])(
      'an order homed in another region (%s) stands down: releases own stock only, no refund, no status write',
      (failing) => {
        const walk = walkDefinition(f.definition, {
          failures: { [failing]: SAGA_ERRORS.orderHomedElsewhere },
        });
        const after = walk.path.slice(walk.path.indexOf(failing) + 1);
        expect(after).toEqual(['StandDownReleaseStock', 'StoodDown']);
        expect(walk.end).toMatchObject({ Type: 'Fail', Error: SAGA_ERRORS.orderHomedElsewhere });
        expect(state(f.definition, 'StandDownReleaseStock').Resource).toBe(
          tokenIn(f.stack, f.aliases.releaseStock.functionArn),
        );
      },
    );

    it.each(['AuthorizePayment', 'CapturePayment', 'RefundPayment'])(
      "a payment owned by another region (%s) stands down: releases own stock, never refunds the owner's charge",
      (failing) => {
        const failures: Record<string, string> = { [failing]: 'PaymentOwnershipError' };
        // RefundPayment is reached through a failed capture.
        if (failing === 'RefundPayment') failures.CapturePayment = 'PaymentNotCapturableError';
        const walk = walkDefinition(f.definition, { failures });
        const after = walk.path.slice(walk.path.indexOf(failing) + 1);
        expect(after).toEqual(['StandDownReleaseStock', 'StoodDown']);
        expect(walk.end).toMatchObject({ Type: 'Fail', Error: SAGA_ERRORS.orderHomedElsewhere });
        expect(walk.path.filter((s) => s === 'RefundPayment')).toHaveLength(
          failing === 'RefundPayment' ? 1 : 0,
        );
      },
    );

    it('past the point of no return, a failure to record FULFILLED fails the execution without compensating', () => {
      const walk = walkDefinition(f.definition, {
        failures: { SetStatusFulfilled: 'OrderUpdateConflictError' },
      });
      expect(walk.path.slice(-2)).toEqual(['SetStatusFulfilled', 'FulfilmentNotRecorded']);
      expect(walk.end.Type).toBe('Fail');
      for (const undo of ['CancelShipment', 'RefundPayment', 'ReleaseStock'])
        expect(walk.path).not.toContain(undo);
    });

    it('every catch that enters compensation keeps the order and records the error at $.error', () => {
      const entries = new Set(['ReleaseStock', 'RefundPayment', 'CancelShipment', 'StandDownReleaseStock']);
      for (const [name, s] of tasksOf(f.definition)) {
        for (const c of s.Catch ?? []) {
          if (entries.has(c.Next))
            expect({ name, resultPath: c.ResultPath }).toEqual({ name, resultPath: '$.error' });
        }
      }
    });
  });

  describe('permissions', () => {
    it('lets the state machine invoke each step alias, send to the queue with its key, and update the orders item', () => {
      const [policy] = Object.values(f.template.findResources('AWS::IAM::Policy')) as {
        Properties: { PolicyDocument: { Statement: { Action: string | string[]; Resource: unknown }[] } };
      }[];
      const statements = policy?.Properties.PolicyDocument.Statement ?? [];
      const granted = (action: string) =>
        statements
          .filter((s) => (Array.isArray(s.Action) ? s.Action : [s.Action]).includes(action))
          .flatMap((s) => (Array.isArray(s.Resource) ? s.Resource : [s.Resource]).map(placeholder));
      expect(new Set(granted('lambda:InvokeFunction'))).toEqual(
        new Set(STEP_NAMES.map((n) => tokenIn(f.stack, f.aliases[n].functionArn))),
      );
      expect(granted('sqs:SendMessage')).toEqual([tokenIn(f.stack, f.queue.queueArn)]);
      expect(granted('kms:GenerateDataKey*')).toEqual(
        expect.arrayContaining([tokenIn(f.stack, f.queueKey.keyArn), tokenIn(f.stack, f.tableKey!.keyArn)]),
      );
      expect(granted('dynamodb:UpdateItem')).toEqual([
        'arn:<Ref:AWS::Partition>:dynamodb:eu-west-1:123456789012:table/meridian-prod-orders',
      ]);
      expect(granted('dynamodb:PutItem')).toEqual([]);
      expect(granted('sqs:*')).toEqual([]);
    });

    it('is clean under cdk-nag AwsSolutions, with only precise acknowledgements', () => {
      const report = new AwsSolutionsChecks().validateScope(f.app);
      const ours = report.violations.filter((v) =>
        v.violatingResources.some((r) => (r.constructPath ?? '').startsWith('Regional/Saga/')),
      );
      expect(ours.map((v) => v.ruleName)).toEqual([]);
      const acknowledged = acknowledgedOn(f.saga.stateMachine.role);
      expect(acknowledged.sort()).toEqual([
        'AwsSolutions-IAM5[Action::kms:GenerateDataKey*]',
        'AwsSolutions-IAM5[Action::kms:ReEncrypt*]',
        'AwsSolutions-IAM5[Resource::*]',
      ]);
    });

    it('acknowledges the <function ARN>:* grant CDK makes for an unqualified step function, by its exact id', () => {
      const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
      const stack = new Stack(app, 'Unqualified', { env: { account: '123456789012', region: 'eu-west-1' } });
      const fn = new lambda.Function(stack, 'Step', {
        runtime: lambda.Runtime.NODEJS_22_X,
        architecture: lambda.Architecture.ARM_64,
        handler: 'index.handler',
        code: lambda.Code.fromInline('exports.handler = async () => ({});'),
      });
      const saga = new OrderSaga(stack, 'Saga', {
        config: resolveEnvironment(DEFAULT_ENVIRONMENTS.dev),
        steps: Object.fromEntries(STEP_NAMES.map((n) => [n, fn])) as unknown as OrderSagaProps['steps'],
        shippingQueue: new sqs.Queue(stack, 'Queue', { enforceSSL: true }),
        ordersTable: dynamodb.TableV2.fromTableName(stack, 'Orders', 'meridian-dev-orders'),
      });
      const report = new AwsSolutionsChecks().validateScope(app);
      const ours = report.violations.filter((v) =>
        v.violatingResources.some((r) => (r.constructPath ?? '').startsWith('Unqualified/Saga/')),
      );
      expect(ours.map((v) => v.ruleName)).toEqual([]);
      const acknowledged = acknowledgedOn(saga.stateMachine.role);
      const logicalId = stack.getLogicalId(fn.node.defaultChild as lambda.CfnFunction);
      expect(acknowledged).toContain(`AwsSolutions-IAM5[Resource::<${logicalId}.Arn>:*]`);
      expect(acknowledged).not.toContain('AwsSolutions-IAM5[Action::kms:GenerateDataKey*]');
    });
  });

  describe('validation', () => {
    it('refuses a FIFO shipping queue', () => {
      const app = new App();
      const stack = new Stack(app, 'Fifo');
      const fn = lambda.Function.fromFunctionArn(
        stack,
        'Fn',
        'arn:aws:lambda:eu-west-1:123456789012:function:f:live',
      );
      expect(
        () =>
          new OrderSaga(stack, 'Saga', {
            config: resolveEnvironment(DEFAULT_ENVIRONMENTS.dev),
            steps: Object.fromEntries(STEP_NAMES.map((n) => [n, fn])) as unknown as OrderSagaProps['steps'],
            shippingQueue: new sqs.Queue(stack, 'Queue', { fifo: true }),
            ordersTable: dynamodb.TableV2.fromTableName(stack, 'Orders', 'meridian-dev-orders'),
          }),
      ).toThrow(/standard queue/);
    });

    it('refuses a sub-second timeout', () => {
      expect(() => buildFixture({ env: 'dev', timeouts: { payment: Duration.millis(500) } })).toThrow(
        /payment timeout must be a whole number of seconds/,
      );
    });
  });
});

/** The state after a Catch: the execution input plus the caught error and some step results. */
function SAGA_INPUT_WITH_ERROR(): Record<string, unknown> {
  const input = sagaInputSchema.parse(SAMPLE_INPUT);
  return {
    ...input,
    results: { reservation: { reservedUntil: '2030-01-01T00:00:00.000Z' } },
    error: { Error: SAGA_ERRORS.paymentDeclined, Cause: 'card_declined' },
  };
}

import { Arn, ArnFormat, Duration, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import { Construct } from 'constructs';
import type { NotifyInput } from '../../services/notifications/domain/notify-customer';
import { SAGA_ERRORS, type OrderStatus } from '../../services/shared/saga';
import type { MeridianEnvironment } from '../config';

/**
 * The order saga (docs/architecture.md, "The saga"): one Step Functions Standard state machine per region,
 * started by the orders service with a `SagaInput` and named after the order id. The step contract is
 * services/shared/saga.ts; the error names below are the `name`s the step handlers throw (the Lambda
 * errorType), pinned as literals in each service's domain/errors.ts.
 */

/** The saga's state-machine name in an environment; explicit so other stacks can derive its ARN. */
export function orderSagaName(config: Pick<MeridianEnvironment, 'prefix'>): string {
  return `${config.prefix}-order-saga`;
}

/**
 * The ARN of the order saga in `scope`'s stack (account and region), built from its name alone. Functions
 * that complete its tasks (SendTaskSuccess / SendTaskFailure) grant on this ARN, so they do not reference
 * the state machine, whose role references them: no dependency cycle.
 */
export function orderSagaArn(scope: Construct, config: Pick<MeridianEnvironment, 'prefix'>): string {
  return Arn.format(
    {
      service: 'states',
      resource: 'stateMachine',
      resourceName: orderSagaName(config),
      arnFormat: ArnFormat.COLON_RESOURCE_NAME,
    },
    Stack.of(scope),
  );
}

/** Error names the steps throw on purpose, besides those in SAGA_ERRORS (see each service's domain/errors.ts). */
export const STEP_ERRORS = {
  /** Every step: the input breaks the saga contract (`InvalidStepInputError` keeps this errorType). */
  validation: 'ValidationError',
  /** orders: no order with this id in the local replica. */
  orderNotFound: 'OrderNotFoundError',
  /** inventory: the allocation belongs to another region. */
  allocationNotOwned: 'AllocationNotOwnedError',
  /** payments: the payment record belongs to another region. */
  paymentOwnership: 'PaymentOwnershipError',
  paymentNotFound: 'PaymentNotFoundError',
  paymentNotCapturable: 'PaymentNotCapturableError',
  /** payments: authorizePayment invoked without `.waitForTaskToken`. */
  missingTaskToken: 'MissingTaskTokenError',
  /** shipping: the shipment (or its order) belongs to another region. */
  notOwnerRegion: 'NotOwnerRegionError',
  /** shipping: sent with SendTaskFailure when a compensated order's shipping message is delivered. */
  shipmentCancelled: 'ShipmentCancelledError',
} as const;

/** The Step Functions error of a failed DynamoDB condition in a service integration. */
const CONDITIONAL_CHECK_FAILED = 'DynamoDB.ConditionalCheckFailedException';

/** Retry behaviour of a group of tasks; every retry waits with exponential backoff and full jitter. */
interface RetryPolicy {
  readonly interval: Duration;
  readonly maxAttempts: number;
  readonly maxDelay: Duration;
}

/** Forward steps: transient errors usually clear within seconds; the reservation TTL bounds the total. */
const FORWARD_RETRY: RetryPolicy = {
  interval: Duration.seconds(1),
  maxAttempts: 5,
  maxDelay: Duration.seconds(20),
};

/** Compensation and past-the-point-of-no-return steps: idempotent and must finish, so they persist longer. */
const PERSISTENT_RETRY: RetryPolicy = {
  interval: Duration.seconds(2),
  maxAttempts: 10,
  maxDelay: Duration.minutes(1),
};

type CustomerTemplate = NotifyInput['template'];

export interface OrderSagaProps {
  /** The environment: names derive from `config.prefix`; data protection from `config.protectData`. */
  readonly config: MeridianEnvironment;
  /** The `live` aliases of the step functions. */
  readonly steps: {
    /** orders `setOrderStatus`: `{ orderId, correlationId, status, reason? }` → `{ orderId, status }`. */
    readonly setOrderStatus: lambda.IFunction;
    /** inventory `reserveStock`: `{ order }` → `{ reservedUntil }`. */
    readonly reserveStock: lambda.IFunction;
    /** inventory `commitStock`: `{ order }` → `{ committed }`. */
    readonly commitStock: lambda.IFunction;
    /** inventory `releaseStock` (compensation): `{ order, reason }` → `{ released }`. */
    readonly releaseStock: lambda.IFunction;
    /** payments `authorizePayment`, invoked `.waitForTaskToken`: `{ order, taskToken }`; resumed by the webhook. */
    readonly authorizePayment: lambda.IFunction;
    /** payments `capturePayment`: `{ order }` → `{ chargeId, capturedMinor }`. */
    readonly capturePayment: lambda.IFunction;
    /** payments `refundPayment` (compensation): `{ order, reason }` → `{ outcome, … }`. */
    readonly refundPayment: lambda.IFunction;
    /** shipping `cancelShipment` (compensation): `{ order, reason }` → `{ orderId, outcome }`. */
    readonly cancelShipment: lambda.IFunction;
    /** notifications `notify`: `{ order, template, reason? }`. */
    readonly notify: lambda.IFunction;
  };
  /**
   * The shipping queue (standard, not FIFO): the create-shipment request `{ order, taskToken }` is sent with
   * `sqs:sendMessage.waitForTaskToken` and the shipping consumer completes the task.
   */
  readonly shippingQueue: sqs.IQueue;
  /**
   * The orders table (this region's replica). The saga records its execution ARN on the order item with a
   * DynamoDB service integration. Pass it with its `encryptionKey` when the table uses a customer-managed
   * key, so the state machine is granted that key too.
   */
  readonly ordersTable: dynamodb.ITableV2;
  /**
   * Task timeouts.
   * - `step`: every Lambda step and the DynamoDB write. Set it a little above the step functions' timeout.
   * - `payment`: AuthorizePayment, waiting for the provider's webhook. Reserve → commit, retries included,
   *   must fit in the inventory's RESERVATION_TTL_SECONDS (900 s by default), or a paid order meets
   *   ReservationExpiredError and is refunded.
   * - `shipment`: CreateShipment, long enough for an operator to re-drive the shipping DLQ.
   * @default { step: 60 seconds, payment: 5 minutes, shipment: 24 hours }
   */
  readonly timeouts?: Partial<Record<'step' | 'payment' | 'shipment', Duration>>;
}

/**
 * The order saga: a Standard state machine (JSONPath only, no JSONata, no variables: the local runtime runs
 * this very definition), with Retry (backoff + full jitter) for transient errors, Catch into compensation in
 * reverse order, a timeout on every task, `.waitForTaskToken` for payment and shipment, logging and tracing.
 * An order another region took over while this one was unavailable is compensated without a second customer
 * notice (docs/decisions/007).
 */
export class OrderSaga extends Construct {
  readonly stateMachine: sfn.StateMachine;
  /** The explicit name, `${prefix}-order-saga` (see `orderSagaArn`). */
  readonly stateMachineName: string;
  readonly logGroup: logs.LogGroup;

  private readonly stepTimeout: Duration;
  private readonly steps: OrderSagaProps['steps'];

  constructor(scope: Construct, id: string, props: OrderSagaProps) {
    super(scope, id);
    const { config, steps } = props;
    this.steps = steps;
    if (props.shippingQueue.fifo) {
      throw new Error(
        'OrderSaga: the shipping queue must be a standard queue (competing consumers), not FIFO',
      );
    }
    this.stepTimeout = props.timeouts?.step ?? Duration.seconds(60);
    const paymentTimeout = props.timeouts?.payment ?? Duration.minutes(5);
    const shipmentTimeout = props.timeouts?.shipment ?? Duration.hours(24);
    for (const [name, d] of Object.entries({
      step: this.stepTimeout,
      payment: paymentTimeout,
      shipment: shipmentTimeout,
    })) {
      const ms = d.toMilliseconds();
      if (ms < 1000 || ms % 1000 !== 0) {
        throw new Error(`OrderSaga: the ${name} timeout must be a whole number of seconds, at least 1`);
      }
    }
    this.stateMachineName = orderSagaName(config);

    const order = sfn.JsonPath.objectAt('$.order');
    /** The compensation reason: the error name only (the Cause can be a long stack trace). */
    const errorName = sfn.JsonPath.stringAt('$.error.Error');

    // ---------------------------------------------------------------- ends
    const fulfilled = new sfn.Succeed(this, 'OrderFulfilled');
    const compensated = new sfn.Succeed(this, 'OrderCompensated', {
      comment:
        'The order ended FAILED or CANCELLED, everything done for it undone, the customer told (by this saga, or by the region that took the order over).',
    });
    const compensationFailed = new sfn.Fail(this, 'CompensationFailed', {
      error: 'CompensationFailedError',
      cause: 'A compensation step failed after its retries: the order may hold stock, money or a shipment.',
    });
    const fulfilmentNotRecorded = new sfn.Fail(this, 'FulfilmentNotRecorded', {
      error: 'FulfilmentNotRecordedError',
      cause: 'The order shipped but could not be moved to FULFILLED after retries; it stays SHIPPED.',
    });
    const stoodDown = new sfn.Fail(this, 'StoodDown', {
      error: SAGA_ERRORS.orderHomedElsewhere,
      cause: 'Another region owns this order: this saga released its own stock holds and stood down.',
    });

    // ---------------------------------------------------------------- compensation, in reverse order
    // One chain, entered at the step that undoes the last thing done: CancelShipment → RefundPayment →
    // ReleaseStock → final status → notify. Every compensation step is idempotent and a no-op when there is
    // nothing to undo, so entering earlier than strictly needed is harmless.
    // An order a surviving region took over while this region was unavailable (OrderTakenOverError from a
    // set-status step, docs/decisions/007) takes the same chain: this region undoes its own charge and holds
    // and records FAILED (setOrderStatus records the reason HomeRegionUnavailable), but does not notify: the
    // survivor told the customer when it took the order over.
    const cancelShipment = this.compensate(
      'CancelShipment',
      steps.cancelShipment,
      '$.compensation.shipment',
      [STEP_ERRORS.notOwnerRegion],
    );
    const refundPayment = this.compensate('RefundPayment', steps.refundPayment, '$.compensation.payment', [
      STEP_ERRORS.paymentOwnership,
    ]);
    const releaseStock = this.compensate('ReleaseStock', steps.releaseStock, '$.compensation.stock', [
      STEP_ERRORS.allocationNotOwned,
    ]);
    const setCancelled = this.setStatus('SetStatusCancelled', 'CANCELLED', {
      resultPath: '$.results.finalStatus',
      retry: PERSISTENT_RETRY,
    });
    // FAILED requested while the customer is cancelling becomes CANCELLED (set-order-status decideStatus).
    const setFailed = this.setStatus('SetStatusFailed', 'FAILED', {
      resultPath: '$.results.finalStatus',
      retry: PERSISTENT_RETRY,
      reason: errorName,
    });
    // Another region's saga owns the payment (the order moved home by last-writer-wins): refunding it would
    // undo the owner's charge. Stand down instead (declared below, caught before the catch-all).
    const standDownOnPayment: sfn.TaskStateBase[] = [refundPayment];
    const catchCompensationFailed = (task: sfn.TaskStateBase) =>
      task.addCatch(compensationFailed, { errors: [sfn.Errors.ALL], resultPath: '$.compensationError' });
    // The final status is this region's to write only if it still owns the order: a region back from an
    // outage may find that a peer holds the order as its own (the ownership gate, docs/decisions/003). Its
    // own effects are undone by now; it stands down without writing.
    for (const task of [setCancelled, setFailed]) {
      task.addCatch(stoodDown, { errors: [SAGA_ERRORS.orderHomedElsewhere], resultPath: '$.error' });
    }
    for (const task of [cancelShipment, releaseStock, setCancelled, setFailed]) catchCompensationFailed(task);
    const notifyCancelled = this.notify('NotifyCancelled', 'order-cancelled', errorName);
    const notifyFailed = this.notify('NotifyFailed', 'order-failed', errorName);
    // The order already has its final status: a lost message must not turn a clean compensation into a
    // failed execution (the notify function's error alarm covers it).
    notifyCancelled.addCatch(compensated, { errors: [sfn.Errors.ALL], resultPath: '$.notificationError' });
    notifyFailed.addCatch(compensated, { errors: [sfn.Errors.ALL], resultPath: '$.notificationError' });

    cancelShipment.next(refundPayment);
    refundPayment.next(releaseStock);
    releaseStock.next(
      new sfn.Choice(this, 'WasOrderCancelled')
        .when(
          sfn.Condition.stringEquals('$.error.Error', SAGA_ERRORS.orderCancelled),
          setCancelled.next(notifyCancelled),
        )
        .otherwise(
          setFailed.next(
            // Taken over: the customer already has the survivor's notice (whatever the final status), so a
            // second message, failed or cancelled, is not sent.
            new sfn.Choice(this, 'WasOrderTakenOver')
              .when(sfn.Condition.stringEquals('$.error.Error', SAGA_ERRORS.orderTakenOver), compensated)
              .otherwise(
                new sfn.Choice(this, 'WhichFinalStatus')
                  .when(
                    sfn.Condition.stringEquals('$.results.finalStatus.status', 'CANCELLED'),
                    notifyCancelled,
                  )
                  .otherwise(notifyFailed.next(compensated)),
              ),
          ),
        ),
    );
    notifyCancelled.next(compensated);

    // Stand down: another region owns the order (the same Idempotency-Key reached two regions). Undo only
    // this region's own effect — its stock holds — and touch nothing shared: no refund, no status write.
    const standDownRelease = this.compensate(
      'StandDownReleaseStock',
      steps.releaseStock,
      '$.compensation.stock',
      [STEP_ERRORS.allocationNotOwned],
    );
    standDownRelease.addCatch(compensationFailed, {
      errors: [sfn.Errors.ALL],
      resultPath: '$.compensationError',
    });
    standDownRelease.next(stoodDown);
    for (const task of standDownOnPayment) {
      task.addCatch(standDownRelease, { errors: [STEP_ERRORS.paymentOwnership], resultPath: '$.error' });
      catchCompensationFailed(task);
    }

    // ---------------------------------------------------------------- forward path
    const recordExecution = new tasks.DynamoUpdateItem(this, 'RecordExecution', {
      comment:
        'Records the execution on the order item; only where this region owns the order, and only after SetStatusReserved confirmed no peer holds it as its own.',
      table: props.ordersTable,
      key: {
        pk: tasks.DynamoAttributeValue.fromString(
          sfn.JsonPath.format('ORDER#{}', sfn.JsonPath.stringAt('$.order.orderId')),
        ),
        sk: tasks.DynamoAttributeValue.fromString('ORDER'),
      },
      updateExpression: 'SET sagaExecutionArn = :executionArn',
      // Single writer per item: only the owner region may write the order (docs/decisions/002).
      conditionExpression: 'attribute_exists(pk) AND ownerRegion = :region',
      expressionAttributeValues: {
        ':executionArn': tasks.DynamoAttributeValue.fromString(sfn.JsonPath.executionId),
        ':region': tasks.DynamoAttributeValue.fromString(Stack.of(this).region),
      },
      resultPath: sfn.JsonPath.DISCARD,
      taskTimeout: sfn.Timeout.duration(this.stepTimeout),
    });
    addRetries(recordExecution, [CONDITIONAL_CHECK_FAILED], FORWARD_RETRY);

    const reserveStock = this.lambdaStep('ReserveStock', steps.reserveStock, '$.results.reservation', [
      SAGA_ERRORS.outOfStock,
      STEP_ERRORS.allocationNotOwned,
    ]);
    const setReserved = this.setStatus('SetStatusReserved', 'RESERVED');
    const authorizePayment = new tasks.LambdaInvoke(this, 'AuthorizePayment', {
      comment: 'Waits for the provider webhook (or the step itself) to complete the task token.',
      lambdaFunction: steps.authorizePayment,
      integrationPattern: sfn.IntegrationPattern.WAIT_FOR_TASK_TOKEN,
      payload: sfn.TaskInput.fromObject({ order, taskToken: sfn.JsonPath.taskToken }),
      resultPath: '$.results.authorization',
      taskTimeout: sfn.Timeout.duration(paymentTimeout),
      retryOnServiceExceptions: false,
    });
    addRetries(
      authorizePayment,
      [
        SAGA_ERRORS.paymentDeclined,
        STEP_ERRORS.paymentOwnership,
        STEP_ERRORS.missingTaskToken,
        STEP_ERRORS.validation,
        // The provider never answered: waiting again would outlive the stock holds.
        sfn.Errors.TIMEOUT,
      ],
      FORWARD_RETRY,
    );
    const capturePayment = this.lambdaStep('CapturePayment', steps.capturePayment, '$.results.capture', [
      STEP_ERRORS.paymentNotCapturable,
      STEP_ERRORS.paymentNotFound,
      STEP_ERRORS.paymentOwnership,
    ]);
    const commitStock = this.lambdaStep('CommitStock', steps.commitStock, '$.results.commit', [
      SAGA_ERRORS.reservationExpired,
      STEP_ERRORS.allocationNotOwned,
    ]);
    const setPaid = this.setStatus('SetStatusPaid', 'PAID');
    const createShipment = new tasks.SqsSendMessage(this, 'CreateShipment', {
      comment: 'Waits for the shipping consumer; long enough for a DLQ re-drive to still complete it.',
      queue: props.shippingQueue,
      integrationPattern: sfn.IntegrationPattern.WAIT_FOR_TASK_TOKEN,
      messageBody: sfn.TaskInput.fromObject({ order, taskToken: sfn.JsonPath.taskToken }),
      resultPath: '$.results.shipment',
      taskTimeout: sfn.Timeout.duration(shipmentTimeout),
    });
    addRetries(createShipment, [sfn.Errors.TIMEOUT, STEP_ERRORS.shipmentCancelled], FORWARD_RETRY);
    const setShipped = this.setStatus('SetStatusShipped', 'SHIPPED');
    // Past the point of no return (SHIPPED → FULFILLED is the only move): retry only, never compensate.
    const setFulfilled = this.setStatus('SetStatusFulfilled', 'FULFILLED', { retry: PERSISTENT_RETRY });
    const notifyFulfilled = this.notify('NotifyFulfilled', 'order-fulfilled');

    // ---------------------------------------------------------------- catches → compensation entry points
    const catchInto = (task: sfn.TaskStateBase, entry: sfn.IChainable) =>
      task.addCatch(entry, { errors: [sfn.Errors.ALL], resultPath: '$.error' });
    const standDownOn = (task: sfn.TaskStateBase) =>
      task.addCatch(standDownRelease, { errors: [SAGA_ERRORS.orderHomedElsewhere], resultPath: '$.error' });

    // After the ownership gate of SetStatusReserved, so that no write of a region whose replica is behind
    // (back from an outage) can overwrite a peer's copy of the order (docs/decisions/003). A failed condition
    // means the order moved to another region since: stand down, releasing this region's holds.
    recordExecution.addCatch(standDownRelease, {
      errors: [CONDITIONAL_CHECK_FAILED],
      resultPath: '$.error',
    });
    // The record is bookkeeping for operators: if DynamoDB keeps failing, the order still proceeds.
    recordExecution.addCatch(authorizePayment, {
      errors: [sfn.Errors.ALL],
      resultPath: '$.results.recordExecutionError',
    });
    // A failed or timed-out reservation may have left partial holds: release (a no-op when there are none).
    catchInto(reserveStock, releaseStock);
    standDownOn(setReserved);
    catchInto(setReserved, releaseStock);
    // A declined, timed-out or late authorization leaves a charge to void (or none): refund voids it —
    // unless the payment is another region's (the order is homed there): then stand down.
    for (const task of [authorizePayment, capturePayment]) {
      task.addCatch(standDownRelease, { errors: [STEP_ERRORS.paymentOwnership], resultPath: '$.error' });
    }
    catchInto(authorizePayment, refundPayment);
    catchInto(capturePayment, refundPayment);
    catchInto(commitStock, refundPayment);
    standDownOn(setPaid);
    catchInto(setPaid, refundPayment);
    // A shipment may exist even when the task failed: a consumer can create one after the timeout.
    catchInto(createShipment, cancelShipment);
    standDownOn(setShipped);
    catchInto(setShipped, cancelShipment);
    setFulfilled.addCatch(fulfilmentNotRecorded, { errors: [sfn.Errors.ALL], resultPath: '$.error' });
    // A fulfilled order stays fulfilled whatever happens to its notification.
    notifyFulfilled.addCatch(fulfilled, { errors: [sfn.Errors.ALL], resultPath: '$.notificationError' });

    const definition = reserveStock
      .next(setReserved)
      .next(recordExecution)
      .next(authorizePayment)
      .next(capturePayment)
      .next(commitStock)
      .next(setPaid)
      .next(createShipment)
      .next(setShipped)
      .next(setFulfilled)
      .next(notifyFulfilled)
      .next(fulfilled);

    // Vended-logs prefix: Step Functions' log delivery keeps the account's CloudWatch Logs resource policy
    // small only for groups under /aws/vendedlogs/.
    this.logGroup = new logs.LogGroup(this, 'Logs', {
      logGroupName: `/aws/vendedlogs/states/${this.stateMachineName}`,
      retention: config.protectData ? logs.RetentionDays.THREE_MONTHS : logs.RetentionDays.TWO_WEEKS,
      removalPolicy: config.protectData ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY,
    });

    this.stateMachine = new sfn.StateMachine(this, 'StateMachine', {
      stateMachineName: this.stateMachineName,
      stateMachineType: sfn.StateMachineType.STANDARD,
      comment: 'Meridian order saga: reserve → pay → ship → notify, compensated in reverse order.',
      definitionBody: sfn.DefinitionBody.fromChainable(definition),
      // Longer than the longest path: shipment and payment waits, plus every step and compensation retry.
      timeout: shipmentTimeout.plus(paymentTimeout).plus(Duration.hours(1)),
      tracingEnabled: true,
      // ALL with execution data: every transition with its input/output, so a failed order and a drill's
      // timeline are readable in Logs Insights (and cdk-nag SF1 holds). Data is order ids, amounts, the
      // provider's payment token and an optional e-mail; retention is bounded for that reason.
      logs: { destination: this.logGroup, level: sfn.LogLevel.ALL, includeExecutionData: true },
    });
    // The tasks grant lambda:InvokeFunction, sqs:SendMessage (+ the queue's KMS key) and dynamodb:UpdateItem;
    // a customer-managed table key needs its own grant (DynamoDB uses it on the caller's behalf).
    props.ordersTable.encryptionKey?.grantEncryptDecrypt(this.stateMachine);
    this.acknowledgeNagFindings(props);
  }

  /**
   * A synchronous Lambda step: `payload` in, the function's response at `resultPath`, a timeout, and
   * retries of everything but `finalErrors` (and step-input validation failures) under `retry`.
   */
  private invoke(
    id: string,
    fn: lambda.IFunction,
    payload: Record<string, unknown>,
    resultPath: string,
    finalErrors: readonly string[],
    retry: RetryPolicy,
  ): tasks.LambdaInvoke {
    const task = new tasks.LambdaInvoke(this, id, {
      lambdaFunction: fn,
      payload: sfn.TaskInput.fromObject(payload),
      payloadResponseOnly: true,
      resultPath,
      taskTimeout: sfn.Timeout.duration(this.stepTimeout),
      retryOnServiceExceptions: false,
    });
    addRetries(task, [...finalErrors, STEP_ERRORS.validation], retry);
    return task;
  }

  /** A Lambda step of the forward path: `{ order }` in, the result at `resultPath`. */
  private lambdaStep(
    id: string,
    fn: lambda.IFunction,
    resultPath: string,
    finalErrors: readonly string[],
  ): tasks.LambdaInvoke {
    return this.invoke(
      id,
      fn,
      { order: sfn.JsonPath.objectAt('$.order') },
      resultPath,
      finalErrors,
      FORWARD_RETRY,
    );
  }

  /** A compensation step: `{ order, reason }` with the caught error's name as the reason. */
  private compensate(
    id: string,
    fn: lambda.IFunction,
    resultPath: string,
    finalErrors: readonly string[],
  ): tasks.LambdaInvoke {
    const payload = {
      order: sfn.JsonPath.objectAt('$.order'),
      reason: sfn.JsonPath.stringAt('$.error.Error'),
    };
    return this.invoke(id, fn, payload, resultPath, finalErrors, PERSISTENT_RETRY);
  }

  /**
   * The set-status step: `{ orderId, correlationId, status, reason? }`. Its business errors are final: a
   * cancelled order, a transition the order does not allow, an order homed in another region, a missing
   * order, or an order a surviving region took over (moved forward no more; compensated instead).
   */
  private setStatus(
    id: string,
    status: OrderStatus,
    options: { resultPath?: string; retry?: RetryPolicy; reason?: string } = {},
  ): tasks.LambdaInvoke {
    const payload = {
      orderId: sfn.JsonPath.stringAt('$.order.orderId'),
      correlationId: sfn.JsonPath.stringAt('$.order.correlationId'),
      status,
      ...(options.reason !== undefined ? { reason: options.reason } : {}),
    };
    const finalErrors = [
      SAGA_ERRORS.orderCancelled,
      SAGA_ERRORS.invalidTransition,
      SAGA_ERRORS.orderHomedElsewhere,
      SAGA_ERRORS.orderTakenOver,
      STEP_ERRORS.orderNotFound,
    ];
    return this.invoke(
      id,
      this.steps.setOrderStatus,
      payload,
      options.resultPath ?? '$.results.status',
      finalErrors,
      options.retry ?? FORWARD_RETRY,
    );
  }

  /** The notify step: `{ order, template, reason? }`. */
  private notify(id: string, template: CustomerTemplate, reason?: string): tasks.LambdaInvoke {
    const payload = {
      order: sfn.JsonPath.objectAt('$.order'),
      template,
      ...(reason !== undefined ? { reason } : {}),
    };
    return this.invoke(
      id,
      this.steps.notify,
      payload,
      '$.results.notification',
      [SAGA_ERRORS.orderHomedElsewhere],
      FORWARD_RETRY,
    );
  }

  /** cdk-nag AwsSolutions findings this construct accepts, each with its exact id and reason. */
  private acknowledgeNagFindings(props: OrderSagaProps): void {
    const role = this.stateMachine.role;
    Validations.of(role).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason:
        'X-Ray (PutTraceSegments, PutTelemetryRecords, GetSamplingRules, GetSamplingTargets) and CloudWatch Logs ' +
        'vended log delivery (CreateLogDelivery, PutResourcePolicy, DescribeLogGroups, ...) support no ' +
        'resource-level permissions; CDK adds them for tracingEnabled and logging.',
    });
    if (props.shippingQueue.encryptionMasterKey || props.ordersTable.encryptionKey) {
      Validations.of(role).acknowledge({
        id: 'AwsSolutions-IAM5[Action::kms:GenerateDataKey*]',
        reason:
          'Scoped to the shipping queue key and the orders table key only: SSE-SQS SendMessage and DynamoDB ' +
          'writes need GenerateDataKey (the * adds only GenerateDataKeyWithoutPlaintext and the pair variants).',
      });
    }
    if (props.ordersTable.encryptionKey) {
      Validations.of(role).acknowledge({
        id: 'AwsSolutions-IAM5[Action::kms:ReEncrypt*]',
        reason:
          "Scoped to the orders table key: the encrypt/decrypt set DynamoDB uses on the caller's behalf for " +
          'a customer-managed table key (the same set CDK grants with a table write grant).',
      });
    }
    // CDK grants lambda:InvokeFunction on `<arn>:*` as well when a step is an unqualified function.
    const stack = Stack.of(this);
    const wildcards = new Set(
      Object.values(props.steps).flatMap((fn) =>
        fn.resourceArnsForGrantInvoke.map((arn) => flattenReference(stack.resolve(arn))),
      ),
    );
    for (const flat of wildcards) {
      if (flat.includes('*')) {
        Validations.of(role).acknowledge({
          id: `AwsSolutions-IAM5[Resource::${flat}]`,
          reason:
            'CDK grants lambda:InvokeFunction on the step function and its qualified ARNs (<function ARN>:*, ' +
            'its versions and aliases); the wildcard never reaches another function.',
        });
      }
    }
  }
}

/** Adds the two retriers every task has: final (business) errors never retried, then everything else. */
function addRetries(task: sfn.TaskStateBase, finalErrors: readonly string[], policy: RetryPolicy): void {
  // Retriers match in order: a business error stops here and goes straight to the Catch.
  task.addRetry({ errors: [...new Set(finalErrors)], maxAttempts: 0 });
  // Everything else is transient: Lambda.ServiceException, Lambda.AWSLambdaException,
  // Lambda.SdkClientException, Lambda.TooManyRequestsException, SDK throttling and 5xx, and the retryable
  // service errors (StockContentionError, AllocationFullError, EventInFlightError, OrderUpdateConflictError,
  // EventPublishError). Every step is idempotent per (order, step), so a retry is always safe.
  task.addRetry({
    errors: [sfn.Errors.ALL],
    interval: policy.interval,
    backoffRate: 2,
    maxAttempts: policy.maxAttempts,
    maxDelay: policy.maxDelay,
    jitterStrategy: sfn.JitterType.FULL,
  });
}

/**
 * A resolved CloudFormation value as cdk-nag names it in a finding id: `{ Ref: X }` → `<X>`,
 * `{ Fn::GetAtt: [X, Arn] }` → `<X.Arn>`, `Fn::Join` concatenated, `${…}` → `<…>`.
 */
function flattenReference(value: unknown): string {
  if (typeof value === 'string') return value.replace(/\$\{/g, '<').replace(/\}/g, '>');
  if (value && typeof value === 'object') {
    const v = value as Record<string, unknown>;
    if (typeof v.Ref === 'string') return `<${v.Ref}>`;
    if (Array.isArray(v['Fn::GetAtt'])) {
      const [resource, attribute] = v['Fn::GetAtt'] as unknown[];
      return `<${flattenReference(resource)}.${flattenReference(attribute)}>`;
    }
    if (Array.isArray(v['Fn::Join'])) {
      const [delimiter, parts] = v['Fn::Join'] as [string, unknown[]];
      return parts.map(flattenReference).join(delimiter);
    }
  }
  return JSON.stringify(value);
}

import { Arn, Duration, Stack, Token, Validations } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as destinations from 'aws-cdk-lib/aws-lambda-destinations';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import type { MeridianEnvironment } from '../config';

/** Every Meridian producer's `source` starts with this (services/shared/events.ts). */
const SOURCE_PREFIX = 'meridian.';

/** The name of the Meridian event bus in every region of an environment: peers target it by name. */
export function eventBusName(config: MeridianEnvironment): string {
  return `${config.prefix}-bus`;
}

/** Lambda's own retries of an asynchronous invocation that failed (its maximum). */
const ASYNC_RETRY_ATTEMPTS = 2;

/** Props of {@link RegionalEvents}. */
export interface RegionalEventsProps {
  readonly config: MeridianEnvironment;
  /**
   * Receives events that a rule target (consumer, schedule or peer bus) could not take, and events a
   * consumer or scheduled function failed on after Lambda's retries (its on-failure destination).
   */
  readonly deadLetterQueue: sqs.IQueue;
  /**
   * How long the archive keeps events for replay.
   * @default Duration.days(30)
   */
  readonly archiveRetention?: Duration;
}

/** Options of {@link RegionalEvents.addLambdaConsumer}. */
export interface LambdaConsumerOptions {
  /** The `detail-type`s (event types such as `OrderFulfilled`) the consumer receives. */
  readonly detailTypes: string[];
  /**
   * Receive only events that originated in this region (`detail.region`), not those forwarded from peers.
   * @default false
   */
  readonly localOnly?: boolean;
}

/**
 * The region's event bus, its archive, one forwarding rule per peer region and the in-region consumer
 * rules. A forwarding rule matches only events produced here (`detail.region` = this region) and a
 * forwarded event keeps its origin region, so nothing is sent back or on to a third region: no loops.
 */
export class RegionalEvents extends Construct {
  /** The bus every service of this region publishes to, named `${prefix}-bus`. */
  readonly bus: events.EventBus;
  /** Archive of every `meridian.*` event on the bus, for replay. */
  readonly archive: events.Archive;
  /** One rule per peer region of `config.regions`, forwarding locally produced events to the peer's bus. */
  readonly forwardingRules: events.Rule[];

  private readonly region: string;
  private readonly deadLetterQueue: sqs.IQueue;
  /** The maximum event age of each function (ARN, qualifier included) whose async invocation is configured. */
  private readonly asyncInvokeConfigured = new Map<string, Duration>();

  constructor(scope: Construct, id: string, props: RegionalEventsProps) {
    super(scope, id);
    const { config } = props;
    const stack = Stack.of(this);
    this.region = stack.region;
    this.deadLetterQueue = props.deadLetterQueue;
    if (Token.isUnresolved(this.region)) {
      throw new Error(
        'RegionalEvents needs a stack with a concrete region (env.region): forwarding rules filter on it',
      );
    }
    if (!config.regions.includes(this.region)) {
      throw new Error(
        `RegionalEvents: the stack's region ${this.region} is not one of the ${config.name} regions (${config.regions.join(', ')})`,
      );
    }

    const busName = eventBusName(config);
    this.bus = new events.EventBus(this, 'Bus', {
      eventBusName: busName,
      description: `Meridian ${config.name} domain events in ${this.region}`,
    });

    this.archive = new events.Archive(this, 'Archive', {
      sourceEventBus: this.bus,
      description: `Every ${SOURCE_PREFIX}* event on ${busName} in ${this.region}, for replay`,
      eventPattern: { source: events.Match.prefix(SOURCE_PREFIX) },
      retention: props.archiveRetention ?? Duration.days(30),
    });

    this.forwardingRules = config.regions
      .filter((peer) => peer !== this.region)
      .map((peer) => {
        const peerBusArn = Arn.format(
          { service: 'events', region: peer, resource: 'event-bus', resourceName: busName },
          stack,
        );
        const peerBus = events.EventBus.fromEventBusArn(this, `PeerBus-${peer}`, peerBusArn);
        return new events.Rule(this, `Forward-${peer}`, {
          eventBus: this.bus,
          description: `Forwards ${SOURCE_PREFIX}* events produced in ${this.region} to ${busName} in ${peer}`,
          eventPattern: {
            source: events.Match.prefix(SOURCE_PREFIX),
            detail: { region: [this.region] },
          },
          // A role allowed to PutEvents on the peer bus only is created for the rule.
          targets: [new targets.EventBus(peerBus, { deadLetterQueue: this.deadLetterQueue })],
        });
      });
  }

  /**
   * Adds an in-region consumer rule: pattern on detail-type (and optionally only events that originated
   * here). Events the function fails on go to the dead-letter queue too, see {@link configureFailureDestination}.
   */
  addLambdaConsumer(id: string, fn: lambda.IFunction, opts: LambdaConsumerOptions): events.Rule {
    if (opts.detailTypes.length === 0) {
      throw new Error(
        `RegionalEvents.addLambdaConsumer(${id}): detailTypes must name at least one event type`,
      );
    }
    const maxEventAge = Duration.hours(2);
    this.configureFailureDestination(fn, maxEventAge);
    return new events.Rule(this, id, {
      eventBus: this.bus,
      description: `${opts.detailTypes.join(', ')}${opts.localOnly ? ` produced in ${this.region}` : ''} to consumer ${id}`,
      eventPattern: {
        source: events.Match.prefix(SOURCE_PREFIX),
        detailType: [...opts.detailTypes],
        detail: opts.localOnly ? { region: [this.region] } : undefined,
      },
      targets: [
        new targets.LambdaFunction(fn, {
          deadLetterQueue: this.deadLetterQueue,
          // Delivery only: EventBridge retries handing the event to Lambda (throttled, Lambda unavailable)
          // for up to 2 h, then dead-letters it. Once Lambda has accepted it, a failing consumer is
          // Lambda's business: see configureFailureDestination. Consumers dedupe by event id.
          retryAttempts: 8,
          maxEventAge,
        }),
      ],
    });
  }

  /**
   * Adds a scheduled rule (on the default bus, as schedules must be) invoking `fn`. A failed run goes to
   * the dead-letter queue too, see {@link configureFailureDestination}.
   */
  addScheduledLambda(id: string, fn: lambda.IFunction, schedule: events.Schedule): events.Rule {
    const maxEventAge = Duration.hours(1);
    this.configureFailureDestination(fn, maxEventAge);
    return new events.Rule(this, id, {
      description: `${schedule.expressionString} to ${id}`,
      schedule,
      targets: [
        new targets.LambdaFunction(fn, {
          deadLetterQueue: this.deadLetterQueue,
          // Delivery only (see addLambdaConsumer). A periodic job's next run supersedes a late one: retry
          // briefly, then record it in the DLQ.
          retryAttempts: 2,
          maxEventAge,
        }),
      ],
    });
  }

  /**
   * EventBridge invokes a Lambda target asynchronously: its DLQ catches only events it could not hand
   * to Lambda. An event the function then fails on is retried by Lambda (twice) and, without an
   * on-failure destination, dropped. This sends it to the dead-letter queue instead, on the function
   * (and qualifier: pass the `live` alias) that the rule invokes. One configuration per function and
   * qualifier: a function added twice keeps the first, if the event ages agree.
   *
   * The function's role is granted sending to the queue (and its key) as CDK's SqsDestination does, so
   * the function must come with its role (an imported one too).
   */
  private configureFailureDestination(fn: lambda.IFunction, maxEventAge: Duration): void {
    const key = JSON.stringify(Stack.of(this).resolve(fn.functionArn));
    const configured = this.asyncInvokeConfigured.get(key);
    if (configured) {
      if (configured.toSeconds() !== maxEventAge.toSeconds()) {
        throw new Error(
          `RegionalEvents: ${fn.node.path} is already a target with a maximum event age of ${configured.toHumanString()}; one function cannot also be one with ${maxEventAge.toHumanString()} (Lambda keeps one asynchronous invocation configuration per function and qualifier)`,
        );
      }
      return;
    }
    const role = fn.role;
    if (!role) {
      throw new Error(
        `RegionalEvents: ${fn.node.path} has no known execution role, so it cannot be granted sending failed events to the dead-letter queue; import it with its role (Function.fromFunctionAttributes({ role }))`,
      );
    }
    if (fn.node.tryFindChild('EventInvokeConfig')) {
      throw new Error(
        `RegionalEvents: ${fn.node.path} already has an asynchronous invocation configuration made elsewhere; events it fails on would not reach the dead-letter queue`,
      );
    }
    fn.configureAsyncInvoke({
      onFailure: new destinations.SqsDestination(this.deadLetterQueue),
      retryAttempts: ASYNC_RETRY_ATTEMPTS,
      maxEventAge,
    });
    this.asyncInvokeConfigured.set(key, maxEventAge);

    // Lambda checks that the execution role may send to the destination when the configuration is
    // created: create it after the role's policy.
    fn.node.findChild('EventInvokeConfig').node.addDependency(role);
    if (this.deadLetterQueue.encryptionMasterKey) {
      for (const action of ['kms:GenerateDataKey*', 'kms:ReEncrypt*']) {
        Validations.of(role).acknowledge({
          id: `AwsSolutions-IAM5[Action::${action}]`,
          reason: `Granted by CDK's SQS destination so Lambda can send failed events to the event-target dead-letter queue, encrypted with the region's messaging key, and on that key only (${action} adds only variants of the same operation).`,
        });
      }
    }
  }
}

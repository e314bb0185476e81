/**
 * One region's EventBridge: its event buses and the synthesized rules, PutEvents, content-based routing to
 * rule targets (Lambda, SQS, Step Functions, SNS, another region's bus) with per-target retry policy and
 * dead-letter queue, and scheduled rules.
 */
import { randomUUID } from 'node:crypto';
import type { EventBusModel, RuleModel, RuleTargetKind, RuleTargetModel } from '../assembly/model';
import type { MessageAttributeValue } from '../sqs/md5';
import { EventBridgeError, TargetDeliveryError, classifyDeliveryError } from './errors';
import { InvalidEventPatternError, matchesPattern, validatePattern } from './pattern';
import { parseSchedule, type Schedule } from './schedule';
import {
  compileInputTransformer,
  compileJsonPath,
  type CompiledTransformer,
  type InputTransformerModel,
  type JsonPath,
} from './transform';

/** An event as EventBridge delivers it to targets. */
export interface EventBridgeEvent {
  readonly version: string;
  readonly id: string;
  readonly 'detail-type': string;
  readonly source: string;
  readonly account: string;
  /** ISO-8601, seconds precision (`2024-05-01T12:00:00Z`). */
  readonly time: string;
  readonly region: string;
  readonly resources: readonly string[];
  readonly detail: Readonly<Record<string, unknown>>;
}

/** A rule target as the assembly models it, plus an optional input transformer. */
export interface EventRuleTarget extends RuleTargetModel {
  readonly inputTransformer?: InputTransformerModel;
}

/** A rule as the assembly models it (the rule's name is its `name`, else its logical id). */
export interface EventRule extends Omit<RuleModel, 'targets'> {
  readonly name?: string;
  readonly targets: readonly EventRuleTarget[];
}

/**
 * The ports rule targets are delivered through. Each resolves when the target accepted the event (for
 * Lambda: the asynchronous invoke was queued) and rejects to make EventBridge retry — throw a
 * `TargetDeliveryError` to choose the dead-letter ERROR_CODE or to skip retries.
 */
export interface EventBridgeTargetPorts {
  /** Asynchronous invoke of a function, alias or version ARN with the (possibly transformed) JSON payload. */
  lambda(arn: string, payload: unknown): Promise<void>;
  /** SendMessage to a queue ARN; `attributes` are set for dead-letter messages. */
  sqs(arn: string, body: string, attributes?: Readonly<Record<string, MessageAttributeValue>>): Promise<void>;
  /** StartExecution of a state machine ARN. */
  states(arn: string, input: string): Promise<void>;
  /** Forward to another region's bus (the caller carries it over the inter-region link). */
  eventBus(arn: string, event: EventBridgeEvent): Promise<void>;
  /** Publish to a topic ARN; required only when a rule targets SNS. */
  sns?(arn: string, message: string): Promise<void>;
}

/** Options of {@link LocalEventBridge}. */
export interface LocalEventBridgeOptions {
  readonly region: string;
  readonly accountId: string;
  /** The custom buses; the `default` bus always exists. */
  readonly buses: readonly EventBusModel[];
  readonly rules: readonly EventRule[];
  readonly targets: EventBridgeTargetPorts;
  /**
   * Divides schedule intervals and retry backoff, and multiplies event age for MaximumEventAgeInSeconds.
   * @default 1
   */
  readonly timeScale?: number;
  /** @default Date.now */
  readonly now?: () => number;
  /** How many events `recent()` keeps. @default 100 */
  readonly recentLimit?: number;
  readonly log?: (line: string) => void;
}

/** One PutEvents request entry, as the API (and SDK) spell it. */
export interface PutEventsRequestEntry {
  readonly Source?: unknown;
  readonly DetailType?: unknown;
  readonly Detail?: unknown;
  readonly EventBusName?: unknown;
  readonly Resources?: unknown;
  /** A Date, epoch seconds (the JSON wire form) or an ISO-8601 string. */
  readonly Time?: unknown;
  readonly TraceHeader?: unknown;
}

export interface PutEventsResultEntry {
  readonly EventId?: string;
  readonly ErrorCode?: string;
  readonly ErrorMessage?: string;
}

export interface PutEventsResult {
  readonly FailedEntryCount: number;
  readonly Entries: readonly PutEventsResultEntry[];
}

/** Delivery counters of one rule. */
export interface RuleStats {
  readonly busName: string;
  /** Events that matched the pattern (or schedule firings). */
  matched: number;
  /** Target deliveries the target accepted. */
  delivered: number;
  /** Failed delivery attempts (each retry counts). */
  failed: number;
  /** Retries scheduled. */
  retried: number;
  /** Events written to a target's dead-letter queue. */
  deadLettered: number;
  /** Events given up without a dead-letter queue, or whose dead-letter send failed. */
  dropped: number;
  /** Forwarded events not forwarded again to an event-bus target (hop guard). */
  loopsPrevented: number;
}

export interface EventBridgeStats {
  /** Events accepted by PutEvents, forwarded in, or fired by schedules. */
  readonly accepted: number;
  readonly forwardedIn: number;
  /** Deliveries started or waiting for a retry. */
  readonly pendingDeliveries: number;
  readonly rules: Readonly<Record<string, Readonly<RuleStats>>>;
}

/** An event seen recently, for debugging. */
export interface RecentEvent {
  readonly event: EventBridgeEvent;
  readonly busName: string;
  /** How it arrived. */
  readonly origin: 'put-events' | 'forwarded' | 'schedule';
  readonly receivedAt: string;
  readonly matchedRules: readonly string[];
}

/** A bus as DescribeEventBus/ListEventBuses describe it. */
export interface EventBusDescription {
  readonly name: string;
  readonly arn: string;
  readonly creationTime: Date;
}

/** A rule as DescribeRule/ListRules describe it. */
export interface RuleDescription {
  readonly name: string;
  readonly arn: string;
  readonly eventBusName: string;
  readonly eventPattern?: string;
  readonly scheduleExpression?: string;
  readonly state: 'ENABLED' | 'DISABLED';
  readonly description?: string;
}

/** The defaults EventBridge applies to a target without a RetryPolicy. */
export const DEFAULT_RETRY_POLICY = { maximumRetryAttempts: 185, maximumEventAgeSeconds: 86_400 } as const;

/** PutEvents limits. */
const MAX_ENTRIES = 10;
const MAX_ENTRY_BYTES = 256 * 1024;
/** Retry backoff before jitter: 1 s doubling, capped at 5 minutes (then divided by timeScale). */
const BACKOFF_BASE_MS = 1000;
const BACKOFF_CAP_MS = 300_000;
/** setTimeout's ceiling; longer waits re-arm. */
const MAX_TIMER_MS = 2_147_483_647;

interface Bus {
  readonly name: string;
  readonly arn: string;
  readonly created: Date;
  readonly rules: CompiledRule[];
}

interface CompiledTarget {
  readonly model: EventRuleTarget;
  readonly kind: RuleTargetKind;
  readonly arn: string;
  readonly maximumRetryAttempts: number;
  readonly maximumEventAgeSeconds: number;
  readonly input?: string;
  readonly inputPath?: JsonPath;
  readonly transformer?: CompiledTransformer;
}

interface CompiledRule {
  readonly name: string;
  readonly arn: string;
  readonly bus: Bus;
  readonly model: EventRule;
  readonly schedule?: Schedule;
  readonly targets: readonly CompiledTarget[];
  readonly stats: RuleStats;
}

interface Delivery {
  readonly rule: CompiledRule;
  readonly target: CompiledTarget;
  readonly event: EventBridgeEvent;
  /** The text (or, for event-bus targets, the event) the target receives. */
  readonly payload: string;
  readonly acceptedAt: number;
  attempts: number;
  timer?: NodeJS.Timeout;
}

/** Seconds precision, as EventBridge stamps `time`. */
function isoSeconds(ms: number): string {
  return new Date(Math.floor(ms / 1000) * 1000).toISOString().replace('.000Z', 'Z');
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** What is wrong with an event's envelope (the fields EventBridge requires), if anything. */
function checkEventShape(e: unknown, requireDetail: boolean): string | undefined {
  if (!isPlainObject(e)) return 'the event must be a JSON object';
  for (const k of ['id', 'source', 'detail-type', 'account', 'time', 'region']) {
    if (typeof e[k] !== 'string') return `the mandatory field "${k}" must be a string`;
  }
  if (!Array.isArray(e.resources)) return 'the mandatory field "resources" must be an array';
  if (requireDetail ? !isPlainObject(e.detail) : e.detail !== undefined && !isPlainObject(e.detail)) {
    return '"detail" must be a JSON object';
  }
  return undefined;
}

/** The local EventBridge of one region. */
export class LocalEventBridge {
  readonly region: string;
  readonly accountId: string;
  private readonly buses = new Map<string, Bus>();
  private readonly rules: CompiledRule[] = [];
  private readonly ports: EventBridgeTargetPorts;
  private readonly timeScale: number;
  private readonly now: () => number;
  private readonly log: (line: string) => void;
  private readonly recentLimit: number;
  private readonly recentEvents: RecentEvent[] = [];
  private readonly pending = new Set<Delivery>();
  private readonly inFlight = new Set<Promise<void>>();
  private readonly scheduleTimers = new Map<string, NodeJS.Timeout>();
  private accepted = 0;
  private forwardedIn = 0;
  private started = false;
  private closed = false;

  constructor(opts: LocalEventBridgeOptions) {
    this.region = opts.region;
    this.accountId = opts.accountId;
    this.ports = opts.targets;
    this.timeScale = opts.timeScale ?? 1;
    if (!(this.timeScale > 0) || !Number.isFinite(this.timeScale)) {
      throw new Error(`LocalEventBridge: timeScale must be a positive number, got ${String(opts.timeScale)}`);
    }
    this.now = opts.now ?? Date.now;
    this.log = opts.log ?? (() => undefined);
    this.recentLimit = opts.recentLimit ?? 100;
    const created = new Date(this.now());
    this.buses.set('default', { name: 'default', arn: this.busArn('default'), created, rules: [] });
    for (const b of opts.buses) {
      if (this.buses.has(b.name))
        throw new Error(`LocalEventBridge: event bus "${b.name}" is declared twice`);
      this.buses.set(b.name, { name: b.name, arn: b.arn, created, rules: [] });
    }
    for (const r of opts.rules) this.addRule(r);
  }

  // ------------------------------------------------------------------------------------------
  // Configuration
  // ------------------------------------------------------------------------------------------

  private busArn(name: string): string {
    return `arn:aws:events:${this.region}:${this.accountId}:event-bus/${name}`;
  }

  private addRule(model: EventRule): void {
    const name = model.name ?? model.logicalId;
    const where = `LocalEventBridge: rule ${name}`;
    const bus = this.buses.get(model.busName);
    if (!bus) throw new Error(`${where}: event bus "${model.busName}" does not exist`);
    if (bus.rules.some((r) => r.name === name))
      throw new Error(`${where}: declared twice on bus ${bus.name}`);
    if (!model.eventPattern && !model.scheduleExpression) {
      throw new Error(`${where}: needs an event pattern or a schedule expression`);
    }
    if (model.eventPattern) {
      try {
        validatePattern(model.eventPattern);
      } catch (err) {
        throw new Error(`${where}: ${(err as Error).message}`);
      }
    }
    let schedule: Schedule | undefined;
    if (model.scheduleExpression) {
      // EventBridge runs scheduled rules on the default bus only.
      if (bus.name !== 'default')
        throw new Error(`${where}: schedule expressions are only supported on the default bus`);
      try {
        schedule = parseSchedule(model.scheduleExpression);
      } catch (err) {
        throw new Error(`${where}: ${(err as Error).message}`);
      }
    }
    if (model.targets.length > 5) throw new Error(`${where}: a rule takes at most 5 targets`);
    const arn =
      bus.name === 'default'
        ? `arn:aws:events:${this.region}:${this.accountId}:rule/${name}`
        : `arn:aws:events:${this.region}:${this.accountId}:rule/${bus.name}/${name}`;
    const targets = model.targets.map((t) => this.compileTarget(t, `${where} target ${t.id}`));
    const rule: CompiledRule = {
      name,
      arn,
      bus,
      model,
      ...(schedule && { schedule }),
      targets,
      stats: {
        busName: bus.name,
        matched: 0,
        delivered: 0,
        failed: 0,
        retried: 0,
        deadLettered: 0,
        dropped: 0,
        loopsPrevented: 0,
      },
    };
    bus.rules.push(rule);
    this.rules.push(rule);
  }

  private compileTarget(t: EventRuleTarget, where: string): CompiledTarget {
    const kinds: readonly RuleTargetKind[] = ['lambda', 'sqs', 'states', 'event-bus', 'sns'];
    if (!kinds.includes(t.kind)) throw new Error(`${where}: unsupported target kind "${String(t.kind)}"`);
    if (t.kind === 'sns' && !this.ports.sns) throw new Error(`${where}: an SNS target needs the sns port`);
    const inputs = [t.input !== undefined, t.inputPath !== undefined, t.inputTransformer !== undefined];
    if (inputs.filter(Boolean).length > 1) {
      throw new Error(`${where}: only one of Input, InputPath and InputTransformer may be set`);
    }
    if (t.kind === 'event-bus' && inputs.some(Boolean)) {
      throw new Error(
        `${where}: an event bus target receives the whole event (no Input, InputPath or InputTransformer)`,
      );
    }
    const retries = t.retryPolicy?.maximumRetryAttempts ?? DEFAULT_RETRY_POLICY.maximumRetryAttempts;
    const maxAge = t.retryPolicy?.maximumEventAgeSeconds ?? DEFAULT_RETRY_POLICY.maximumEventAgeSeconds;
    if (!Number.isInteger(retries) || retries < 0 || retries > 185) {
      throw new Error(`${where}: MaximumRetryAttempts must be 0-185, got ${retries}`);
    }
    if (!Number.isInteger(maxAge) || maxAge < 60 || maxAge > 86_400) {
      throw new Error(`${where}: MaximumEventAgeInSeconds must be 60-86400, got ${maxAge}`);
    }
    try {
      if (t.input !== undefined) JSON.parse(t.input);
      return {
        model: t,
        kind: t.kind,
        arn: t.ref.arn,
        maximumRetryAttempts: retries,
        maximumEventAgeSeconds: maxAge,
        ...(t.input !== undefined && { input: t.input }),
        ...(t.inputPath !== undefined && { inputPath: compileJsonPath(t.inputPath) }),
        ...(t.inputTransformer && { transformer: compileInputTransformer(t.inputTransformer) }),
      };
    } catch (err) {
      throw new Error(`${where}: ${(err as Error).message}`);
    }
  }

  // ------------------------------------------------------------------------------------------
  // PutEvents and forwarded events
  // ------------------------------------------------------------------------------------------

  /** PutEvents: validates, accepts and routes the entries; deliveries run in the background. */
  putEvents(entries: unknown): PutEventsResult {
    if (!Array.isArray(entries) || entries.length < 1 || entries.length > MAX_ENTRIES) {
      const reason = !Array.isArray(entries)
        ? 'Member must not be null'
        : entries.length < 1
          ? 'Member must have length greater than or equal to 1'
          : `Member must have length less than or equal to ${MAX_ENTRIES}`;
      throw new EventBridgeError(
        'ValidationException',
        `1 validation error detected: Value at 'entries' failed to satisfy constraint: ${reason}`,
      );
    }
    const buses = entries.map((entry: unknown, i) => {
      if (!isPlainObject(entry)) {
        throw new EventBridgeError(
          'ValidationException',
          `Value at 'entries.${i + 1}.member' must be an object`,
        );
      }
      return this.resolveBus(entry.EventBusName);
    });
    const now = this.now();
    const results = (entries as PutEventsRequestEntry[]).map((entry, i): PutEventsResultEntry => {
      const checked = this.checkEntry(entry);
      if ('ErrorCode' in checked) return checked;
      const event: EventBridgeEvent = {
        version: '0',
        id: randomUUID(),
        'detail-type': checked.detailType,
        source: checked.source,
        account: this.accountId,
        time: isoSeconds(checked.time ?? now),
        region: this.region,
        resources: checked.resources,
        detail: checked.detail,
      };
      this.route(buses[i] as Bus, event, 'put-events');
      return { EventId: event.id };
    });
    return { FailedEntryCount: results.filter((r) => r.ErrorCode).length, Entries: results };
  }

  /**
   * An event a peer region's rule forwarded to this region's bus (by name or ARN; when omitted, the only
   * custom bus, else `default`). It keeps its id, time, region and account, as EventBridge does, and is never
   * forwarded again through an event-bus target — a safety net on top of the rules' own patterns (AWS has its
   * own loop detection).
   */
  receiveForwarded(event: EventBridgeEvent, bus?: string): void {
    const target = bus !== undefined ? this.resolveBus(bus) : this.soleCustomBus();
    const problem = checkEventShape(event, true);
    if (problem)
      throw new EventBridgeError('ValidationException', `Forwarded event is not valid: ${problem}`);
    this.forwardedIn++;
    this.route(target, event, 'forwarded');
  }

  private soleCustomBus(): Bus {
    const custom = [...this.buses.values()].filter((b) => b.name !== 'default');
    return custom.length === 1 ? (custom[0] as Bus) : (this.buses.get('default') as Bus);
  }

  private resolveBus(nameOrArn: unknown): Bus {
    if (nameOrArn === undefined || nameOrArn === null || nameOrArn === '')
      return this.buses.get('default') as Bus;
    if (typeof nameOrArn !== 'string') {
      throw new EventBridgeError('ValidationException', 'EventBusName must be a string');
    }
    const byName = nameOrArn.startsWith('arn:')
      ? [...this.buses.values()].find((b) => b.arn === nameOrArn)
      : this.buses.get(nameOrArn);
    if (!byName)
      throw new EventBridgeError('ResourceNotFoundException', `Event bus ${nameOrArn} does not exist.`);
    return byName;
  }

  private checkEntry(entry: PutEventsRequestEntry):
    | { ErrorCode: string; ErrorMessage: string }
    | {
        source: string;
        detailType: string;
        detail: Record<string, unknown>;
        resources: string[];
        time?: number;
      } {
    const invalid = (field: string, reason: string) => ({
      ErrorCode: 'InvalidArgument',
      ErrorMessage: `Parameter ${field} is not valid. Reason: ${reason}`,
    });
    const { Source, DetailType, Detail, Resources, Time } = entry;
    if (typeof Source !== 'string' || Source.length === 0)
      return invalid('Source', 'Source is a required argument.');
    if (typeof DetailType !== 'string' || DetailType.length === 0) {
      return invalid('DetailType', 'DetailType is a required argument.');
    }
    if (typeof Detail !== 'string' || Detail.length === 0)
      return invalid('Detail', 'Detail is a required argument.');
    if (Source.startsWith('aws.')) {
      return { ErrorCode: 'NotAuthorizedForSourceException', ErrorMessage: 'Not authorized for the source.' };
    }
    let detail: unknown;
    try {
      detail = JSON.parse(Detail);
    } catch {
      detail = undefined;
    }
    if (!isPlainObject(detail)) return { ErrorCode: 'MalformedDetail', ErrorMessage: 'Detail is malformed.' };
    let resources: string[] = [];
    if (Resources !== undefined && Resources !== null) {
      if (!Array.isArray(Resources) || !Resources.every((r) => typeof r === 'string')) {
        return invalid('Resources', 'Resources must be a list of strings.');
      }
      resources = Resources as string[];
    }
    let time: number | undefined;
    if (Time !== undefined && Time !== null) {
      if (Time instanceof Date) time = Time.getTime();
      else if (typeof Time === 'number') time = Time * 1000;
      else if (typeof Time === 'string')
        time = /^\d+(\.\d+)?$/.test(Time) ? Number(Time) * 1000 : Date.parse(Time);
      if (time === undefined || !Number.isFinite(time))
        return invalid('Time', 'Time is not a valid timestamp.');
    }
    // Entry size as EventBridge computes it: Time counts 14 bytes, then the UTF-8 bytes of the strings.
    const size =
      (time !== undefined ? 14 : 0) +
      Buffer.byteLength(Source) +
      Buffer.byteLength(DetailType) +
      Buffer.byteLength(Detail) +
      resources.reduce((n, r) => n + Buffer.byteLength(r), 0);
    if (size > MAX_ENTRY_BYTES) {
      return invalid('Entries', `the entry is ${size} bytes; the limit is ${MAX_ENTRY_BYTES} bytes.`);
    }
    return { source: Source, detailType: DetailType, detail, resources, ...(time !== undefined && { time }) };
  }

  /** Matches the event against the bus's enabled rules and starts the deliveries. */
  private route(bus: Bus, event: EventBridgeEvent, origin: RecentEvent['origin']): void {
    this.accepted++;
    const matched: string[] = [];
    for (const rule of bus.rules) {
      if (!rule.model.enabled || !rule.model.eventPattern) continue;
      let hit = false;
      try {
        hit = matchesPattern(rule.model.eventPattern, event);
      } catch (err) {
        this.log(`eventbridge: rule ${rule.name}: ${(err as Error).message}`);
      }
      if (!hit) continue;
      matched.push(rule.name);
      rule.stats.matched++;
      for (const target of rule.targets) this.deliver(rule, target, event, origin === 'forwarded');
    }
    this.remember({
      event,
      busName: bus.name,
      origin,
      receivedAt: isoSeconds(this.now()),
      matchedRules: matched,
    });
  }

  private remember(entry: RecentEvent): void {
    this.recentEvents.push(entry);
    if (this.recentEvents.length > this.recentLimit) this.recentEvents.shift();
  }

  // ------------------------------------------------------------------------------------------
  // Delivery, retry, dead-letter queue
  // ------------------------------------------------------------------------------------------

  private render(rule: CompiledRule, target: CompiledTarget, event: EventBridgeEvent): string {
    if (target.input !== undefined) return target.input;
    if (target.inputPath) {
      const selected = target.inputPath.select(event);
      return JSON.stringify(selected === undefined ? null : selected);
    }
    if (target.transformer) {
      return target.transformer.render(event as unknown as Record<string, unknown>, {
        ruleArn: rule.arn,
        ruleName: rule.name,
        ingestionTime: new Date(this.now()).toISOString(),
      });
    }
    return JSON.stringify(event);
  }

  private deliver(
    rule: CompiledRule,
    target: CompiledTarget,
    event: EventBridgeEvent,
    forwarded: boolean,
  ): void {
    if (target.kind === 'event-bus' && forwarded) {
      rule.stats.loopsPrevented++;
      this.log(
        `eventbridge: ${rule.name}: event ${event.id} was already forwarded once; not forwarding again`,
      );
      return;
    }
    if (this.closed) {
      rule.stats.dropped++;
      this.log(`eventbridge: ${rule.name}: closed; event ${event.id} not delivered to ${target.arn}`);
      return;
    }
    const delivery: Delivery = {
      rule,
      target,
      event,
      payload: this.render(rule, target, event),
      acceptedAt: this.now(),
      attempts: 0,
    };
    this.pending.add(delivery);
    // PutEvents returns once the event is accepted: the first attempt runs on a later turn.
    delivery.timer = setTimeout(() => this.attempt(delivery), 0);
  }

  private send(d: Delivery): Promise<void> {
    const { kind, arn } = d.target;
    switch (kind) {
      case 'lambda': {
        let payload: unknown;
        try {
          payload = JSON.parse(d.payload);
        } catch {
          return Promise.reject(
            new TargetDeliveryError(
              'SDK_CLIENT_ERROR',
              'Could not parse the target input into JSON for Lambda.',
              {
                retryable: false,
              },
            ),
          );
        }
        return this.ports.lambda(arn, payload);
      }
      case 'sqs':
        return this.ports.sqs(arn, d.payload);
      case 'states':
        return this.ports.states(arn, d.payload);
      case 'event-bus':
        return this.ports.eventBus(arn, d.event);
      case 'sns':
        return (this.ports.sns as NonNullable<EventBridgeTargetPorts['sns']>)(arn, d.payload);
    }
  }

  private track(p: Promise<void>): void {
    this.inFlight.add(p);
    void p.finally(() => this.inFlight.delete(p));
  }

  private attempt(d: Delivery): void {
    delete d.timer;
    d.attempts++;
    let call: Promise<void>;
    try {
      call = this.send(d);
    } catch (err) {
      call = Promise.reject(err);
    }
    this.track(
      call.then(
        () => {
          d.rule.stats.delivered++;
          this.pending.delete(d);
        },
        (err: unknown) => this.failed(d, err),
      ),
    );
  }

  /** Age of a delivery in scaled (virtual) milliseconds, at real time `at`. */
  private scaledAge(d: Delivery, at: number): number {
    return (at - d.acceptedAt) * this.timeScale;
  }

  private failed(d: Delivery, err: unknown): void {
    const { rule, target } = d;
    rule.stats.failed++;
    const cause = classifyDeliveryError(err);
    this.log(
      `eventbridge: ${rule.name} → ${target.arn}: attempt ${d.attempts} failed (${cause.code}: ${cause.message})`,
    );
    if (!cause.retryable) return this.deadLetter(d, cause, undefined);
    const retriesDone = d.attempts - 1;
    if (retriesDone >= target.maximumRetryAttempts) return this.deadLetter(d, cause, 'MaximumRetryAttempts');
    if (this.closed) {
      this.pending.delete(d);
      rule.stats.dropped++;
      this.log(`eventbridge: ${rule.name}: closed; event ${d.event.id} not retried`);
      return;
    }
    // Exponential backoff with jitter (half fixed, half random) so retries of many events spread out.
    const backoff = Math.min(BACKOFF_CAP_MS, BACKOFF_BASE_MS * 2 ** retriesDone);
    const delay = (backoff / 2 + (Math.random() * backoff) / 2) / this.timeScale;
    if (this.scaledAge(d, this.now() + delay) > target.maximumEventAgeSeconds * 1000) {
      return this.deadLetter(d, cause, 'MaximumEventAgeInSeconds');
    }
    rule.stats.retried++;
    d.timer = setTimeout(() => this.attempt(d), Math.min(delay, MAX_TIMER_MS));
    d.timer.unref();
  }

  private deadLetter(
    d: Delivery,
    cause: { code: string; message: string },
    exhausted: 'MaximumRetryAttempts' | 'MaximumEventAgeInSeconds' | undefined,
  ): void {
    this.pending.delete(d);
    const { rule, target } = d;
    const dlq = target.model.deadLetterQueue?.arn;
    if (!dlq) {
      rule.stats.dropped++;
      this.log(
        `eventbridge: ${rule.name} → ${target.arn}: event ${d.event.id} dropped (no dead-letter queue)`,
      );
      return;
    }
    const str = (v: string): MessageAttributeValue => ({ DataType: 'String', StringValue: v });
    const attributes: Record<string, MessageAttributeValue> = {
      RULE_ARN: str(rule.arn),
      TARGET_ARN: str(target.arn),
      ERROR_CODE: str(cause.code),
      ERROR_MESSAGE: str(cause.message.slice(0, 1024) || cause.code),
      RETRY_ATTEMPTS: { DataType: 'Number', StringValue: String(d.attempts - 1) },
      ...(exhausted && { EXHAUSTED_RETRY_CONDITION: str(exhausted) }),
    };
    let call: Promise<void>;
    try {
      call = this.ports.sqs(dlq, JSON.stringify(d.event), attributes);
    } catch (err) {
      call = Promise.reject(err);
    }
    this.track(
      call.then(
        () => {
          rule.stats.deadLettered++;
          this.log(`eventbridge: ${rule.name} → ${target.arn}: event ${d.event.id} sent to ${dlq}`);
        },
        (err: unknown) => {
          rule.stats.dropped++;
          this.log(`eventbridge: ${rule.name}: dead-letter send to ${dlq} failed: ${(err as Error).message}`);
        },
      ),
    );
  }

  // ------------------------------------------------------------------------------------------
  // Schedules
  // ------------------------------------------------------------------------------------------

  /** Starts the enabled scheduled rules (idempotent). */
  start(): void {
    if (this.started || this.closed) return;
    this.started = true;
    for (const rule of this.rules) {
      if (!rule.schedule || !rule.model.enabled) continue;
      if (rule.schedule.kind === 'rate')
        this.armRate(rule, rule.schedule.intervalMs / this.timeScale, this.now());
      else this.armCron(rule, rule.schedule, this.now(), this.now());
    }
  }

  private armRate(rule: CompiledRule, intervalMs: number, from: number): void {
    // Planned times advance from the start so the schedule does not drift with timer lateness.
    const due = from + intervalMs;
    this.setScheduleTimer(rule, due, () => {
      this.fire(rule);
      this.armRate(rule, intervalMs, Math.max(due, this.now() - intervalMs));
    });
  }

  /** Cron runs on a virtual UTC clock that advances timeScale times faster than real time from `realStart`. */
  private armCron(
    rule: CompiledRule,
    schedule: Extract<Schedule, { kind: 'cron' }>,
    realStart: number,
    virtualStart: number,
  ): void {
    const virtualNow = virtualStart + (this.now() - realStart) * this.timeScale;
    const next = schedule.next(new Date(virtualNow));
    if (!next) {
      this.log(`eventbridge: ${rule.name}: ${schedule.expression} has no further fire time`);
      return;
    }
    const due = this.now() + (next.getTime() - virtualNow) / this.timeScale;
    this.setScheduleTimer(rule, due, () => {
      this.fire(rule);
      this.armCron(rule, schedule, realStart, virtualStart);
    });
  }

  private setScheduleTimer(rule: CompiledRule, due: number, onDue: () => void): void {
    const wait = due - this.now();
    const timer = setTimeout(
      () => {
        if (this.closed) return;
        if (this.now() < due - 1) this.setScheduleTimer(rule, due, onDue);
        else onDue();
      },
      Math.max(0, Math.min(wait, MAX_TIMER_MS)),
    );
    timer.unref();
    this.scheduleTimers.set(rule.arn, timer);
  }

  private fire(rule: CompiledRule): void {
    const event: EventBridgeEvent = {
      version: '0',
      id: randomUUID(),
      'detail-type': 'Scheduled Event',
      source: 'aws.events',
      account: this.accountId,
      time: isoSeconds(this.now()),
      region: this.region,
      resources: [rule.arn],
      detail: {},
    };
    this.accepted++;
    rule.stats.matched++;
    for (const target of rule.targets) this.deliver(rule, target, event, false);
    this.remember({
      event,
      busName: rule.bus.name,
      origin: 'schedule',
      receivedAt: isoSeconds(this.now()),
      matchedRules: [rule.name],
    });
  }

  /** Stops schedules and pending retries (their events are dropped), then waits for deliveries in flight. */
  async close(): Promise<void> {
    this.closed = true;
    for (const t of this.scheduleTimers.values()) clearTimeout(t);
    this.scheduleTimers.clear();
    for (const d of this.pending) {
      if (d.timer) {
        clearTimeout(d.timer);
        this.pending.delete(d);
        d.rule.stats.dropped++;
        this.log(`eventbridge: ${d.rule.name}: closed; event ${d.event.id} not delivered to ${d.target.arn}`);
      }
    }
    while (this.inFlight.size > 0) await Promise.allSettled([...this.inFlight]);
  }

  // ------------------------------------------------------------------------------------------
  // Introspection (also backs the Describe/List API operations)
  // ------------------------------------------------------------------------------------------

  /** Delivery counters per rule name, and totals. */
  stats(): EventBridgeStats {
    const rules: Record<string, RuleStats> = {};
    for (const r of this.rules) {
      // Rule names are unique per bus; a name used on two buses is qualified by its bus.
      const shared = this.rules.some((o) => o !== r && o.name === r.name);
      rules[shared ? `${r.bus.name}/${r.name}` : r.name] = { ...r.stats };
    }
    return {
      accepted: this.accepted,
      forwardedIn: this.forwardedIn,
      pendingDeliveries: this.pending.size,
      rules,
    };
  }

  /** The `n` most recent events, newest first. */
  recent(n = 20): RecentEvent[] {
    return this.recentEvents.slice(-Math.max(0, n)).reverse();
  }

  /** DescribeEventBus: by name or ARN (`default` when omitted); ResourceNotFoundException otherwise. */
  describeEventBus(nameOrArn?: string): EventBusDescription {
    const bus = this.resolveBus(nameOrArn);
    return { name: bus.name, arn: bus.arn, creationTime: bus.created };
  }

  listEventBuses(namePrefix = ''): EventBusDescription[] {
    return [...this.buses.values()]
      .filter((b) => b.name.startsWith(namePrefix))
      .map((b) => ({ name: b.name, arn: b.arn, creationTime: b.created }));
  }

  listRules(busNameOrArn?: string, namePrefix = ''): RuleDescription[] {
    const bus = this.resolveBus(busNameOrArn);
    return bus.rules.filter((r) => r.name.startsWith(namePrefix)).map((r) => this.describe(r));
  }

  describeRule(name: string, busNameOrArn?: string): RuleDescription {
    return this.describe(this.findRule(name, busNameOrArn));
  }

  /** The targets of a rule as ListTargetsByRule returns them. */
  listTargetsByRule(name: string, busNameOrArn?: string): readonly EventRuleTarget[] {
    return this.findRule(name, busNameOrArn).targets.map((t) => t.model);
  }

  /** TestEventPattern: InvalidEventPatternException for a bad pattern or event. */
  testEventPattern(pattern: unknown, event: unknown): boolean {
    const problem = checkEventShape(event, false);
    if (problem) throw new EventBridgeError('InvalidEventPatternException', `Event is not valid: ${problem}`);
    try {
      return matchesPattern(pattern, event);
    } catch (err) {
      if (err instanceof InvalidEventPatternError) {
        throw new EventBridgeError('InvalidEventPatternException', err.message);
      }
      throw err;
    }
  }

  private findRule(name: string, busNameOrArn?: string): CompiledRule {
    const bus = this.resolveBus(busNameOrArn);
    const rule = bus.rules.find((r) => r.name === name);
    if (!rule)
      throw new EventBridgeError(
        'ResourceNotFoundException',
        `Rule ${name} does not exist on EventBus ${bus.name}.`,
      );
    return rule;
  }

  private describe(r: CompiledRule): RuleDescription {
    return {
      name: r.name,
      arn: r.arn,
      eventBusName: r.bus.name,
      state: r.model.enabled ? 'ENABLED' : 'DISABLED',
      ...(r.model.eventPattern && { eventPattern: JSON.stringify(r.model.eventPattern) }),
      ...(r.model.scheduleExpression && { scheduleExpression: r.model.scheduleExpression }),
      ...(r.model.description && { description: r.model.description }),
    };
  }
}

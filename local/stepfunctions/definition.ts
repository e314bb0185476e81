/** Amazon States Language helpers: JSON types, Task resource parsing, duration scaling, state walks. */

export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };
export type JsonObject = { [key: string]: JsonValue };

/** The integrations the local runner serves, as a Task `Resource` names them. */
export type TaskResourceKind = 'lambda-arn' | 'lambda:invoke' | 'sqs:sendMessage' | 'dynamodb:updateItem';

export interface ParsedResource {
  readonly kind: TaskResourceKind;
  readonly waitForTaskToken: boolean;
}

/** The integration a Task `Resource` names, or undefined when this runner cannot serve it. */
export function parseTaskResource(resource: string): ParsedResource | undefined {
  if (/^arn:[^:]+:lambda:[^:]*:[^:]*:function:[^:]+(:[^:]+)?$/.test(resource)) {
    return { kind: 'lambda-arn', waitForTaskToken: false };
  }
  const m = /^arn:[^:]+:states:::([a-z0-9-]+):([A-Za-z]+)(\.waitForTaskToken)?$/.exec(resource);
  if (!m) return undefined;
  const integration = `${m[1]}:${m[2]}`;
  const waitForTaskToken = m[3] !== undefined;
  if (integration === 'lambda:invoke') return { kind: 'lambda:invoke', waitForTaskToken };
  if (integration === 'sqs:sendMessage') return { kind: 'sqs:sendMessage', waitForTaskToken };
  if (integration === 'dynamodb:updateItem' && !waitForTaskToken) {
    return { kind: 'dynamodb:updateItem', waitForTaskToken };
  }
  return undefined;
}

/**
 * The `resourceType` / `resource` pair AWS puts in Task* history events: `arn:aws:states:::sqs:sendMessage
 * .waitForTaskToken` → `sqs` / `sendMessage.waitForTaskToken`.
 */
export function taskEventResource(resource: string): { resourceType: string; resource: string } {
  const m = /^arn:[^:]+:states:::([a-z0-9-]+):(.+)$/.exec(resource);
  if (m) return { resourceType: m[1]!, resource: m[2]! };
  return { resourceType: 'lambda', resource };
}

function subMachines(state: JsonObject): JsonObject[] {
  const out = [...((state.Branches as JsonObject[] | undefined) ?? [])];
  for (const key of ['Iterator', 'ItemProcessor'] as const) {
    const sub = state[key];
    if (sub && typeof sub === 'object' && !Array.isArray(sub)) out.push(sub);
  }
  return out;
}

/**
 * Whether a Task waits for something other than its own call: a callback (`.waitForTaskToken`) or a job
 * (`.sync`). Only such waits are time-scaled; a request-response call (a Lambda invoke, a DynamoDB write)
 * takes real compute time, like the Lambda timeouts that are not scaled either.
 */
export function isWaitingTask(state: JsonObject): boolean {
  return typeof state.Resource === 'string' && /\.(waitForTaskToken|sync(:2)?)$/.test(state.Resource);
}

/**
 * The shortest a waiting Task's scaled timeout gets, seconds (or its own timeout when shorter): what it
 * waits for — a webhook with its retries, a queue consumer — runs in real time, so a 5-minute callback
 * divided by 20 would time out on work that is merely slow on a busy laptop.
 */
export const MIN_SCALED_WAIT_SECONDS = 60;

/**
 * Divides the duration fields (Retry `IntervalSeconds`/`MaxDelaySeconds`, the `TimeoutSeconds`/
 * `HeartbeatSeconds` of waiting Tasks — never below {@link MIN_SCALED_WAIT_SECONDS} —, Wait `Seconds`, the
 * machine's `TimeoutSeconds`) by `scale`, in place.
 */
export function scaleDefinition(definition: JsonObject, scale: number): void {
  const div = (value: JsonValue | undefined): JsonValue | undefined =>
    typeof value === 'number' ? value / scale : value;
  const visitMachine = (machine: JsonObject, top: boolean) => {
    if (top && typeof machine.TimeoutSeconds === 'number')
      machine.TimeoutSeconds = div(machine.TimeoutSeconds)!;
    const states = machine.States as Record<string, JsonObject> | undefined;
    for (const state of Object.values(states ?? {})) visitState(state);
  };
  const visitState = (state: JsonObject) => {
    for (const key of ['TimeoutSeconds', 'HeartbeatSeconds'] as const) {
      const value = state[key];
      if (state.Type === 'Task' && isWaitingTask(state) && typeof value === 'number') {
        state[key] = Math.max(value / scale, Math.min(value, MIN_SCALED_WAIT_SECONDS));
      }
    }
    if (state.Type === 'Wait' && typeof state.Seconds === 'number') state.Seconds = div(state.Seconds)!;
    for (const retrier of (state.Retry as JsonObject[] | undefined) ?? []) {
      retrier.IntervalSeconds = div(retrier.IntervalSeconds ?? 1)!;
      if (typeof retrier.MaxDelaySeconds === 'number')
        retrier.MaxDelaySeconds = div(retrier.MaxDelaySeconds)!;
    }
    for (const sub of subMachines(state)) visitMachine(sub, false);
  };
  visitMachine(definition, true);
}

/** Every Task state, nested ones (Parallel branches, Map processors) included, by name. */
export function taskStates(
  machine: JsonObject,
  found = new Map<string, JsonObject>(),
): Map<string, JsonObject> {
  const states = (machine.States as Record<string, JsonObject> | undefined) ?? {};
  for (const [name, state] of Object.entries(states)) {
    if (state.Type === 'Task') found.set(name, state);
    for (const sub of subMachines(state)) taskStates(sub, found);
  }
  return found;
}

/** Every state's top-level state by name: a top-level state maps to itself, a nested one to its ancestor. */
export function topLevelStates(machine: JsonObject): Map<string, string> {
  const found = new Map<string, string>();
  const states = (machine.States as Record<string, JsonObject> | undefined) ?? {};
  for (const [name, state] of Object.entries(states)) {
    found.set(name, name);
    const nested = new Map<string, string>();
    for (const sub of subMachines(state)) stateTypes(sub, nested);
    for (const inner of nested.keys()) if (!found.has(inner)) found.set(inner, name);
  }
  return found;
}

/** Every state's type by name, nested states included (names are unique machine-wide in ASL). */
export function stateTypes(machine: JsonObject, found = new Map<string, string>()): Map<string, string> {
  const states = (machine.States as Record<string, JsonObject> | undefined) ?? {};
  for (const [name, state] of Object.entries(states)) {
    found.set(name, String(state.Type));
    for (const sub of subMachines(state)) stateTypes(sub, found);
  }
  return found;
}

/** A copy of `value` with every string equal to `from` replaced by `to`. */
export function replaceDeep(value: JsonValue, from: string, to: string): JsonValue {
  if (typeof value === 'string') return value === from ? to : value;
  if (Array.isArray(value)) return value.map((v) => replaceDeep(v, from, to));
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, replaceDeep(v, from, to)]));
  }
  return value;
}

/** A JSON round trip: a plain copy whose objects belong to this realm (see LocalStateMachine). */
export function jsonCopy<T>(value: T): T {
  return JSON.parse(JSON.stringify(value)) as T;
}

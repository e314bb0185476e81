/**
 * EventBridge event-pattern matcher (content filtering), written from the AWS documentation:
 * https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-event-patterns.html
 * https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-event-patterns-content-based-filtering.html
 * https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-create-pattern-operators.html
 * https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-event-patterns-arrays.html
 * https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-event-patterns-null-values.html
 *
 * Pure functions, no I/O. `matchesPattern` validates the pattern first (throws on malformed patterns).
 */

export class InvalidEventPatternError extends Error {
  /** Dotted path of the offending part of the pattern (`$` is the root). */
  readonly path: string;
  constructor(path: string, reason: string) {
    super(`Event pattern is not valid at ${path}: ${reason}`);
    this.name = 'InvalidEventPatternError';
    this.path = path;
  }
}

type Scalar = string | number | boolean | null;
type PlainObject = Record<string, unknown>;

const OPERATORS = new Set([
  'prefix',
  'suffix',
  'equals-ignore-case',
  'wildcard',
  'numeric',
  'exists',
  'cidr',
  'anything-but',
]);
const ANYTHING_BUT_OPERATORS = new Set(['prefix', 'suffix', 'wildcard', 'equals-ignore-case']);
const LOWER_OPS = new Set(['>', '>=']);
const UPPER_OPS = new Set(['<', '<=']);
const NUMERIC_OPS = new Set(['=', '<', '<=', '>', '>=']);

function isPlainObject(v: unknown): v is PlainObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function isScalar(v: unknown): v is Scalar {
  return (
    v === null ||
    typeof v === 'string' ||
    typeof v === 'boolean' ||
    (typeof v === 'number' && Number.isFinite(v))
  );
}

function join(path: string, key: string): string {
  return path === '$' ? key : `${path}.${key}`;
}

// ---------------------------------------------------------------------------------------------
// Validation
// ---------------------------------------------------------------------------------------------

/** Throws `InvalidEventPatternError` when `pattern` is not a pattern EventBridge would accept. */
export function validatePattern(pattern: unknown): void {
  if (!isPlainObject(pattern)) {
    throw new InvalidEventPatternError('$', 'the event pattern must be a JSON object');
  }
  validateObject(pattern, '$');
}

function validateObject(obj: PlainObject, path: string): void {
  const keys = Object.keys(obj);
  if (keys.length === 0) throw new InvalidEventPatternError(path, 'empty objects are not allowed');
  for (const key of keys) {
    const value = obj[key];
    const p = join(path, key);
    if (key === '$or') {
      if (!Array.isArray(value) || value.length === 0) {
        throw new InvalidEventPatternError(p, '$or must be a non-empty array of objects');
      }
      value.forEach((alt, i) => {
        if (!isPlainObject(alt)) {
          throw new InvalidEventPatternError(`${p}[${i}]`, '$or alternatives must be objects');
        }
        validateObject(alt, `${p}[${i}]`);
      });
    } else if (Array.isArray(value)) {
      if (value.length === 0) {
        throw new InvalidEventPatternError(p, 'empty arrays are not allowed');
      }
      value.forEach((m, i) => validateMatcher(m, `${p}[${i}]`));
    } else if (isPlainObject(value)) {
      validateObject(value, p);
    } else {
      throw new InvalidEventPatternError(p, 'match values must be inside an array');
    }
  }
}

function validateMatcher(m: unknown, path: string): void {
  if (isScalar(m)) return;
  if (typeof m === 'number') {
    throw new InvalidEventPatternError(path, 'numbers must be finite');
  }
  if (!isPlainObject(m)) {
    throw new InvalidEventPatternError(
      path,
      'match values must be strings, numbers, booleans, null or operators',
    );
  }
  const keys = Object.keys(m);
  if (keys.length !== 1) {
    throw new InvalidEventPatternError(path, 'an operator object must contain exactly one operator');
  }
  const op = keys[0] as string;
  const operand = m[op];
  const p = join(path, op);
  if (!OPERATORS.has(op)) throw new InvalidEventPatternError(p, `unrecognized operator "${op}"`);
  switch (op) {
    case 'prefix':
    case 'suffix':
      if (typeof operand === 'string') return;
      if (isPlainObject(operand)) {
        const inner = Object.keys(operand);
        if (inner.length !== 1 || inner[0] !== 'equals-ignore-case') {
          throw new InvalidEventPatternError(p, `${op} accepts a string or { "equals-ignore-case": string }`);
        }
        if (typeof operand['equals-ignore-case'] !== 'string') {
          throw new InvalidEventPatternError(join(p, 'equals-ignore-case'), 'must be a string');
        }
        return;
      }
      throw new InvalidEventPatternError(p, `${op} must be a string`);
    case 'equals-ignore-case':
      if (typeof operand !== 'string') throw new InvalidEventPatternError(p, 'must be a string');
      return;
    case 'wildcard':
      if (typeof operand !== 'string') throw new InvalidEventPatternError(p, 'must be a string');
      wildcardRegExp(operand, p);
      return;
    case 'exists':
      if (typeof operand !== 'boolean') throw new InvalidEventPatternError(p, 'must be true or false');
      return;
    case 'cidr':
      if (typeof operand !== 'string' || parseCidr(operand) === undefined) {
        throw new InvalidEventPatternError(p, 'must be an IPv4 or IPv6 CIDR block such as "10.0.0.0/24"');
      }
      return;
    case 'numeric':
      validateNumeric(operand, p);
      return;
    case 'anything-but':
      validateAnythingBut(operand, p);
      return;
  }
}

function validateNumeric(operand: unknown, path: string): void {
  if (!Array.isArray(operand) || (operand.length !== 2 && operand.length !== 4)) {
    throw new InvalidEventPatternError(path, 'numeric takes one or two [operator, number] comparisons');
  }
  const ops: string[] = [];
  const nums: number[] = [];
  for (let i = 0; i < operand.length; i += 2) {
    const op: unknown = operand[i];
    const n: unknown = operand[i + 1];
    if (typeof op !== 'string' || !NUMERIC_OPS.has(op)) {
      throw new InvalidEventPatternError(
        `${path}[${i}]`,
        `unrecognized numeric operator ${JSON.stringify(op)}`,
      );
    }
    if (typeof n !== 'number' || !Number.isFinite(n)) {
      throw new InvalidEventPatternError(`${path}[${i + 1}]`, 'numeric operands must be numbers');
    }
    ops.push(op);
    nums.push(n);
  }
  if (ops.length === 2) {
    const [a, b] = ops as [string, string];
    const lowerFirst = LOWER_OPS.has(a) && UPPER_OPS.has(b);
    const upperFirst = UPPER_OPS.has(a) && LOWER_OPS.has(b);
    if (!lowerFirst && !upperFirst) {
      throw new InvalidEventPatternError(
        path,
        'a numeric range needs one lower bound (>, >=) and one upper bound (<, <=)',
      );
    }
    const lower = lowerFirst ? (nums[0] as number) : (nums[1] as number);
    const upper = lowerFirst ? (nums[1] as number) : (nums[0] as number);
    if (!(lower < upper)) {
      throw new InvalidEventPatternError(
        path,
        'the lower bound of a numeric range must be below its upper bound',
      );
    }
  }
}

function validateAnythingBut(operand: unknown, path: string): void {
  if (typeof operand === 'string') return;
  if (typeof operand === 'number' && Number.isFinite(operand)) return;
  if (Array.isArray(operand)) {
    if (operand.length === 0) throw new InvalidEventPatternError(path, 'empty arrays are not allowed');
    const allStrings = operand.every((v) => typeof v === 'string');
    const allNumbers = operand.every((v) => typeof v === 'number' && Number.isFinite(v));
    if (!allStrings && !allNumbers) {
      throw new InvalidEventPatternError(
        path,
        'anything-but lists must contain only strings or only numbers',
      );
    }
    return;
  }
  if (isPlainObject(operand)) {
    const keys = Object.keys(operand);
    if (keys.length !== 1) {
      throw new InvalidEventPatternError(path, 'anything-but takes exactly one nested operator');
    }
    const op = keys[0] as string;
    const p = join(path, op);
    if (!ANYTHING_BUT_OPERATORS.has(op)) {
      throw new InvalidEventPatternError(p, `unsupported operator "${op}" inside anything-but`);
    }
    const inner = operand[op];
    const values = Array.isArray(inner) ? inner : [inner];
    if (values.length === 0) throw new InvalidEventPatternError(p, 'empty arrays are not allowed');
    values.forEach((v, i) => {
      const vp = Array.isArray(inner) ? `${p}[${i}]` : p;
      if (typeof v !== 'string') throw new InvalidEventPatternError(vp, 'must be a string');
      if (op === 'wildcard') wildcardRegExp(v, vp);
    });
    return;
  }
  throw new InvalidEventPatternError(
    path,
    'anything-but takes a string, a number, a list, or a nested operator',
  );
}

// ---------------------------------------------------------------------------------------------
// Matching
// ---------------------------------------------------------------------------------------------

/**
 * True when `event` (a whole EventBridge event: source, detail-type, detail, account, region,
 * time, resources, ...) matches `pattern`. Throws `InvalidEventPatternError` for malformed patterns.
 */
export function matchesPattern(pattern: unknown, event: unknown): boolean {
  validatePattern(pattern);
  return matchObject(pattern as PlainObject, event);
}

function matchObject(pattern: PlainObject, ev: unknown): boolean {
  for (const [key, sub] of Object.entries(pattern)) {
    if (key === '$or') {
      const alternatives = sub as PlainObject[];
      if (!alternatives.some((alt) => matchObject(alt, ev))) return false;
      continue;
    }
    const child = isPlainObject(ev) && Object.prototype.hasOwnProperty.call(ev, key) ? ev[key] : undefined;
    if (!matchField(sub, child)) return false;
  }
  return true;
}

function matchField(sub: unknown, value: unknown): boolean {
  if (Array.isArray(sub)) return matchLeaf(sub, value);
  const nested = sub as PlainObject;
  if (Array.isArray(value)) {
    // An array of objects in the event: the nested pattern matches if one element matches it.
    const objects = flatten(value).filter(isPlainObject);
    if (objects.length === 0) return matchObject(nested, undefined);
    return objects.some((o) => matchObject(nested, o));
  }
  return matchObject(nested, isPlainObject(value) ? value : undefined);
}

function flatten(values: unknown[]): unknown[] {
  const out: unknown[] = [];
  for (const v of values) {
    if (Array.isArray(v)) out.push(...flatten(v));
    else out.push(v);
  }
  return out;
}

/** The leaf values an event field offers to a matcher: none for absent fields and objects. */
function leafValues(value: unknown): Scalar[] {
  if (value === undefined) return [];
  if (Array.isArray(value)) return flatten(value).filter(isScalar);
  return isScalar(value) ? [value] : [];
}

function matchLeaf(matchers: unknown[], value: unknown): boolean {
  const values = leafValues(value);
  return matchers.some((m) => {
    if (isPlainObject(m) && 'exists' in m) {
      return m['exists'] === true ? values.length > 0 : values.length === 0;
    }
    return values.some((v) => matchOne(m, v));
  });
}

function exactEquals(m: unknown, v: Scalar): boolean {
  // Numbers compare numerically (3.0e2 equals 300); everything else by type and value.
  return m === v;
}

function foldCase(s: string): string {
  return s.toUpperCase().toLowerCase();
}

function matchOne(m: unknown, v: Scalar): boolean {
  if (!isPlainObject(m)) return exactEquals(m, v);
  const [op, operand] = Object.entries(m)[0] as [string, unknown];
  switch (op) {
    case 'prefix':
    case 'suffix':
      return typeof v === 'string' && matchAffix(op, operand, v);
    case 'equals-ignore-case':
      return typeof v === 'string' && foldCase(v) === foldCase(operand as string);
    case 'wildcard':
      return typeof v === 'string' && wildcardRegExp(operand as string, '$').test(v);
    case 'numeric':
      return typeof v === 'number' && matchNumeric(operand as unknown[], v);
    case 'cidr':
      return typeof v === 'string' && matchCidr(operand as string, v);
    case 'anything-but':
      return !matchAnythingButOperand(operand, v);
    default:
      return false;
  }
}

function matchAffix(op: 'prefix' | 'suffix', operand: unknown, v: string): boolean {
  let needle: string;
  let hay = v;
  if (typeof operand === 'string') {
    needle = operand;
  } else {
    needle = foldCase((operand as PlainObject)['equals-ignore-case'] as string);
    hay = foldCase(v);
  }
  return op === 'prefix' ? hay.startsWith(needle) : hay.endsWith(needle);
}

/** True when `v` is one of the things anything-but excludes. */
function matchAnythingButOperand(operand: unknown, v: Scalar): boolean {
  if (Array.isArray(operand)) return operand.some((x) => exactEquals(x, v));
  if (!isPlainObject(operand)) return exactEquals(operand, v);
  const [op, inner] = Object.entries(operand)[0] as [string, unknown];
  const list = (Array.isArray(inner) ? inner : [inner]) as string[];
  return list.some((x) => {
    if (op === 'prefix' || op === 'suffix') return typeof v === 'string' && matchAffix(op, x, v);
    return matchOne({ [op]: x }, v);
  });
}

function matchNumeric(spec: unknown[], v: number): boolean {
  for (let i = 0; i < spec.length; i += 2) {
    const op = spec[i] as string;
    const n = spec[i + 1] as number;
    const ok = op === '=' ? v === n : op === '<' ? v < n : op === '<=' ? v <= n : op === '>' ? v > n : v >= n;
    if (!ok) return false;
  }
  return true;
}

const wildcardCache = new Map<string, RegExp>();

/** `*` matches any run of characters (including none); `\*` is a literal star, `\\` a backslash. */
function wildcardRegExp(pattern: string, path: string): RegExp {
  const cached = wildcardCache.get(pattern);
  if (cached) return cached;
  let source = '';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i] as string;
    if (c === '\\') {
      const next = pattern[i + 1];
      if (next !== '*' && next !== '\\') {
        throw new InvalidEventPatternError(path, 'in a wildcard, a backslash may only escape "*" or "\\"');
      }
      source += `\\${next}`;
      i++;
    } else if (c === '*') {
      if (pattern[i + 1] === '*') {
        throw new InvalidEventPatternError(path, 'consecutive wildcard characters are not allowed');
      }
      source += '.*';
    } else {
      source += c.replace(/[.*+?^${}()|[\]\\/-]/g, '\\$&');
    }
  }
  const re = new RegExp(`^${source}$`, 's');
  wildcardCache.set(pattern, re);
  return re;
}

// ---------------------------------------------------------------------------------------------
// IP addresses and CIDR blocks
// ---------------------------------------------------------------------------------------------

interface Ip {
  family: 4 | 6;
  value: bigint;
}

function parseIpv4(s: string): bigint | undefined {
  const parts = s.split('.');
  if (parts.length !== 4) return undefined;
  let value = 0n;
  for (const part of parts) {
    if (!/^\d{1,3}$/.test(part)) return undefined;
    const n = Number(part);
    if (n > 255) return undefined;
    value = (value << 8n) | BigInt(n);
  }
  return value;
}

function parseIpv6(s: string): bigint | undefined {
  if (!/^[0-9a-fA-F:.]+$/.test(s)) return undefined;
  const halves = s.split('::');
  if (halves.length > 2) return undefined;
  const toGroups = (h: string): number[] | undefined => {
    if (h === '') return [];
    const out: number[] = [];
    const parts = h.split(':');
    for (let i = 0; i < parts.length; i++) {
      const part = parts[i] as string;
      if (i === parts.length - 1 && part.includes('.')) {
        const v4 = parseIpv4(part);
        if (v4 === undefined) return undefined;
        out.push(Number(v4 >> 16n), Number(v4 & 0xffffn));
      } else {
        if (!/^[0-9a-fA-F]{1,4}$/.test(part)) return undefined;
        out.push(parseInt(part, 16));
      }
    }
    return out;
  };
  const head = toGroups(halves[0] as string);
  const tail = halves.length === 2 ? toGroups(halves[1] as string) : [];
  if (!head || !tail) return undefined;
  let groups: number[];
  if (halves.length === 2) {
    const missing = 8 - head.length - tail.length;
    if (missing < 1) return undefined;
    groups = [...head, ...new Array<number>(missing).fill(0), ...tail];
  } else {
    groups = head;
  }
  if (groups.length !== 8) return undefined;
  return groups.reduce((acc, g) => (acc << 16n) | BigInt(g), 0n);
}

function parseIp(s: string): Ip | undefined {
  const v4 = parseIpv4(s);
  if (v4 !== undefined) return { family: 4, value: v4 };
  const v6 = parseIpv6(s);
  if (v6 !== undefined) return { family: 6, value: v6 };
  return undefined;
}

interface Cidr {
  family: 4 | 6;
  network: bigint;
  mask: bigint;
}

function parseCidr(s: string): Cidr | undefined {
  const slash = s.indexOf('/');
  if (slash < 0) return undefined;
  const ip = parseIp(s.slice(0, slash));
  const bitsText = s.slice(slash + 1);
  if (!ip || !/^\d{1,3}$/.test(bitsText)) return undefined;
  const width = ip.family === 4 ? 32 : 128;
  const bits = Number(bitsText);
  if (bits > width) return undefined;
  const all = (1n << BigInt(width)) - 1n;
  const mask = bits === 0 ? 0n : (all << BigInt(width - bits)) & all;
  return { family: ip.family, network: ip.value & mask, mask };
}

function matchCidr(block: string, value: string): boolean {
  const cidr = parseCidr(block);
  const ip = parseIp(value);
  if (!cidr || !ip || cidr.family !== ip.family) return false;
  return (ip.value & cidr.mask) === cidr.network;
}

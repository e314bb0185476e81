/** An attribute value in DynamoDB's JSON wire format (`{ "S": "x" }`, `{ "N": "1" }`, `{ "M": {...} }`…). */
export type AttributeValue = Record<string, unknown>;

/** An item or key in DynamoDB's JSON wire format. */
export type AttributeMap = Record<string, AttributeValue>;

/** The key attributes of a table. */
export interface KeySchema {
  readonly hash: string;
  readonly range?: string;
}

/** A table's key extracted from a request: the key map (only the key attributes) and a canonical string. */
export interface ExtractedKey {
  readonly key: AttributeMap;
  readonly canonical: string;
}

const NUMBER = /^([+-]?)(\d*)(?:\.(\d*))?(?:[eE]([+-]?\d+))?$/;

/**
 * A canonical spelling of a DynamoDB number, so `1`, `1.0`, `+1` and `10e-1` (one key in DynamoDB) get one
 * lock and one replication record: digits without leading/trailing zeros and a decimal exponent.
 */
export function normalizeNumber(text: string): string {
  const m = NUMBER.exec(text.trim());
  if (!m || (m[2] === '' && (m[3] ?? '') === '')) return text;
  let digits = `${m[2]}${m[3] ?? ''}`.replace(/^0+/, '');
  let exp = Number(m[4] ?? '0') - (m[3] ?? '').length;
  if (digits === '') return '0';
  while (digits.endsWith('0')) {
    digits = digits.slice(0, -1);
    exp++;
  }
  return `${m[1] === '-' ? '-' : ''}${digits}e${exp}`;
}

/** The canonical string of a key attribute value (S, N or B), or undefined when it is not one. */
function canonicalValue(value: unknown): string | undefined {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined;
  const entries = Object.entries(value as Record<string, unknown>);
  if (entries.length !== 1) return undefined;
  const [type, v] = entries[0]!;
  if (typeof v !== 'string') return undefined;
  if (type === 'S') return `S:${v}`;
  if (type === 'N') return `N:${normalizeNumber(v)}`;
  if (type === 'B') return `B:${Buffer.from(v, 'base64').toString('base64')}`;
  return undefined;
}

/**
 * Extracts the key of `item` (an item or a key map) under `schema`; undefined when an attribute of the
 * key is missing or is not a scalar key type (the write is then left to fail validation downstream).
 */
export function extractKey(schema: KeySchema, item: unknown): ExtractedKey | undefined {
  if (typeof item !== 'object' || item === null || Array.isArray(item)) return undefined;
  const map = item as Record<string, unknown>;
  const names = schema.range === undefined ? [schema.hash] : [schema.hash, schema.range];
  const key: AttributeMap = {};
  const parts: string[] = [];
  for (const name of names) {
    const c = canonicalValue(map[name]);
    if (c === undefined) return undefined;
    key[name] = map[name] as AttributeValue;
    parts.push(c);
  }
  return { key, canonical: JSON.stringify(parts) };
}

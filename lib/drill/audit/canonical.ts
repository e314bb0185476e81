import { compare } from './snapshot-index';
import type { Item } from './types';

/** Attributes Global Tables (version 2017) add on their own, which differ between replicas by design. */
const REPLICATION_ATTRIBUTE = /^aws:rep:/;

/** Tags for values JSON cannot tell apart; the NUL prefix keeps them from meeting a real attribute name. */
const TAG = { set: '\u0000set', binary: '\u0000binary', bigint: '\u0000bigint', number: '\u0000number' };

/**
 * An item as a string that is equal for equal items: object keys sorted at every depth, numbers by
 * value, sets as sorted lists, binary as base64; top-level `aws:rep:*` attributes left out.
 */
export function canonicalItem(item: Item): string {
  const kept = Object.keys(item).filter((k) => !REPLICATION_ATTRIBUTE.test(k));
  return canonicalObject(item, kept);
}

function canonical(value: unknown): string {
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return JSON.stringify(value);
    case 'number':
      // JSON has no NaN/Infinity; -0 and 0 are the same DynamoDB number (JSON.stringify(-0) is "0").
      return Number.isFinite(value)
        ? JSON.stringify(value)
        : tagged(TAG.number, JSON.stringify(String(value)));
    case 'bigint':
      return tagged(TAG.bigint, JSON.stringify(value.toString()));
    case 'undefined':
      return 'null';
    case 'object':
      if (value === null) return 'null';
      if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
      if (value instanceof Set)
        return tagged(TAG.set, `[${[...value].map(canonical).sort(compare).join(',')}]`);
      if (value instanceof Uint8Array) {
        return tagged(TAG.binary, JSON.stringify(Buffer.from(value).toString('base64')));
      }
      return canonicalObject(value as Item, Object.keys(value));
    default:
      // Functions and symbols never come out of a DynamoDB scan; name the kind rather than fail.
      return tagged(typeof value, 'null');
  }
}

function canonicalObject(object: Item, keys: readonly string[]): string {
  const parts = keys
    .filter((k) => object[k] !== undefined)
    .sort(compare)
    .map((k) => `${JSON.stringify(k)}:${canonical(object[k])}`);
  return `{${parts.join(',')}}`;
}

const tagged = (tag: string, body: string): string => `{${JSON.stringify(tag)}:${body}}`;

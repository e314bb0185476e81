import { ConfigError, env, loadConfig } from '../../../services/shared/config';
import { canonicalJson, deterministicId, newId } from '../../../services/shared/ids';
import { fromMinorUnits, hasAtMostDecimals, toMinorUnits } from '../../../services/shared/money';

describe('loadConfig', () => {
  const shape = {
    TABLE: env.required(),
    AWS_REGION: env.region(),
    LIMIT: env.int(5, 1, 10),
    ON: env.bool(false),
  };

  it('reads, coerces and defaults variables into a frozen object', () => {
    const cfg = loadConfig(shape, { TABLE: 't', AWS_REGION: 'eu-west-1', LIMIT: '7' });
    expect(cfg).toEqual({ TABLE: 't', AWS_REGION: 'eu-west-1', LIMIT: 7, ON: false });
    expect(Object.isFrozen(cfg)).toBe(true);
  });

  it('fails fast naming every missing or bad variable', () => {
    expect(() => loadConfig(shape, { AWS_REGION: 'nowhere', LIMIT: '99' })).toThrow(ConfigError);
    expect(() => loadConfig(shape, { AWS_REGION: 'nowhere', LIMIT: '99' })).toThrow(
      /TABLE is not set.*AWS_REGION: must be an AWS region.*LIMIT/,
    );
  });
});

describe('ids', () => {
  it('makes time-sortable unique ids', () => {
    const a = newId('ord_', 1000);
    const b = newId('ord_', 2000);
    expect(a).toMatch(/^ord_[0-9A-Z]{26}$/);
    expect(a < b).toBe(true);
    expect(newId('x', 1)).not.toBe(newId('x', 1));
  });

  it('derives the same id from the same parts, a different one otherwise', () => {
    expect(deterministicId('ord_', 'k', 'h')).toBe(deterministicId('ord_', 'k', 'h'));
    expect(deterministicId('ord_', 'k', 'h')).not.toBe(deterministicId('ord_', 'kh'));
    expect(deterministicId('ord_', 'k')).toMatch(/^ord_[0-9A-Z]{26}$/);
  });

  it('canonicalises JSON regardless of key order', () => {
    expect(canonicalJson({ b: 1, a: [{ d: 2, c: 3 }] })).toBe(canonicalJson({ a: [{ c: 3, d: 2 }], b: 1 }));
    expect(canonicalJson({ a: undefined, b: null })).toBe('{"b":null}');
  });
});

describe('money', () => {
  it('converts to minor units without float drift', () => {
    expect(toMinorUnits(19.99)).toBe(1999);
    expect(toMinorUnits(0.1 + 0.2)).toBe(30);
    expect(fromMinorUnits(1999)).toBe(19.99);
  });

  it.each([
    [19.99, true],
    [0.01, true],
    [1.005, false],
    [10, true],
    [0.001, false],
    [523456.780000001, false],
    [1e-9, false],
    [1e21, true],
    [Number.NaN, false],
    [Infinity, false],
  ])('%p has at most 2 decimals: %p', (amount, ok) => {
    expect(hasAtMostDecimals(amount, 2)).toBe(ok);
  });
});

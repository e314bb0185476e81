import { createHmac } from 'node:crypto';
import type { Randomness } from './ports';

/** 2^48: the draw uses the first 48 bits of the HMAC, exactly representable in a double. */
const SCALE = 2 ** 48;

/** A uniform draw in [0, 1) from HMAC-SHA256(seed, key): same seed and key → same number, everywhere. */
export function seededUniform(seed: string, key: string): number {
  const digest = createHmac('sha256', seed).update(key).digest();
  return digest.readUIntBE(0, 6) / SCALE;
}

/** Randomness with seeded draws. */
export function seededRandomness(seed: string): Randomness {
  return { uniform: (key) => seededUniform(seed, key) };
}

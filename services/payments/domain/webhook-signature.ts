import { timingSafeEqual } from 'node:crypto';
import { computeSignature } from '../provider/domain/signature';
import { SignatureExpiredError, SignatureInvalidError, SignatureMissingError } from './errors';

export interface VerifySignatureInput {
  /** The `Meridian-Signature` header as received. */
  readonly header: string | undefined;
  /**
   * The body bytes exactly as received (base64 bodies decoded to bytes, never through a UTF-8 string):
   * the signature covers the bytes, not a re-serialisation or a lossy text decoding of them.
   */
  readonly rawBody: Uint8Array;
  readonly secret: string;
  readonly nowMs: number;
  /** Allowed clock difference, both directions. */
  readonly toleranceSeconds: number;
}

const HEX_SIGNATURE = /^[0-9a-f]{64}$/;

/**
 * Verifies `t=<unix seconds>,v1=<hex>` (several `v1` entries are allowed, as during a secret rotation):
 * the signature is checked first, in constant time over equal-length buffers, then the timestamp, so
 * a forged request learns nothing about timing and an authentic replay is told it is stale.
 * @throws SignatureMissingError | SignatureInvalidError | SignatureExpiredError
 */
export function verifyWebhookSignature(input: VerifySignatureInput): void {
  const header = input.header?.trim();
  if (!header) throw new SignatureMissingError('the Meridian-Signature header is missing');
  let timestamp: number | undefined;
  const candidates: string[] = [];
  for (const part of header.split(',')) {
    const eq = part.indexOf('=');
    if (eq <= 0) continue;
    const key = part.slice(0, eq).trim();
    const value = part.slice(eq + 1).trim();
    if (key === 't' && /^\d{1,12}$/.test(value)) timestamp = Number(value);
    else if (key === 'v1' && HEX_SIGNATURE.test(value)) candidates.push(value);
  }
  if (timestamp === undefined || candidates.length === 0) {
    throw new SignatureInvalidError('the Meridian-Signature header is malformed');
  }
  const expected = Buffer.from(computeSignature(input.secret, timestamp, input.rawBody), 'hex');
  const matches = candidates.some((candidate) => {
    const given = Buffer.from(candidate, 'hex');
    return given.length === expected.length && timingSafeEqual(given, expected);
  });
  if (!matches) throw new SignatureInvalidError('no signature matches the body');
  const skew = Math.abs(Math.floor(input.nowMs / 1000) - timestamp);
  if (skew > input.toleranceSeconds) {
    throw new SignatureExpiredError(
      `signature timestamp is ${skew} s away from now; the tolerance is ${input.toleranceSeconds} s`,
    );
  }
}

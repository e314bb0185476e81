import { createHmac } from 'node:crypto';

/** The header carrying the webhook signature. */
export const SIGNATURE_HEADER = 'Meridian-Signature';

/** Hex HMAC-SHA256 of `"<t>.<raw body>"` under `secret`: the `v1` scheme. */
export function computeSignature(secret: string, timestampSeconds: number, rawBody: string): string {
  return createHmac('sha256', secret).update(`${timestampSeconds}.${rawBody}`).digest('hex');
}

/** The full header value: `t=<unix seconds>,v1=<hex signature>`. */
export function signatureHeader(secret: string, timestampSeconds: number, rawBody: string): string {
  return `t=${timestampSeconds},v1=${computeSignature(secret, timestampSeconds, rawBody)}`;
}

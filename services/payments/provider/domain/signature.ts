import { createHmac } from 'node:crypto';

/** The header carrying the webhook signature. */
export const SIGNATURE_HEADER = 'Meridian-Signature';

/**
 * Hex HMAC-SHA256 of `"<t>." + <raw body bytes>` under `secret`: the `v1` scheme. A string body is taken as
 * its UTF-8 bytes; a receiver passes the bytes it received, so nothing is re-encoded on the way.
 */
export function computeSignature(
  secret: string,
  timestampSeconds: number,
  rawBody: string | Uint8Array,
): string {
  return createHmac('sha256', secret)
    .update(`${timestampSeconds}.`, 'utf8')
    .update(typeof rawBody === 'string' ? Buffer.from(rawBody, 'utf8') : rawBody)
    .digest('hex');
}

/** The full header value: `t=<unix seconds>,v1=<hex signature>`. */
export function signatureHeader(
  secret: string,
  timestampSeconds: number,
  rawBody: string | Uint8Array,
): string {
  return `t=${timestampSeconds},v1=${computeSignature(secret, timestampSeconds, rawBody)}`;
}

/**
 * Headers a proxy of the local runtime never relays: RFC 9110 §7.6.1 connection-specific fields, plus
 * `expect` (the proxy's own server already answered 100-continue). Node frames the body again on each side.
 * Shared by the edge's proxy and the DynamoDB endpoint's forwarding to peer regions.
 */
export const HOP_BY_HOP: ReadonlySet<string> = new Set([
  'connection',
  'expect',
  'keep-alive',
  'proxy-authenticate',
  'proxy-authorization',
  'proxy-connection',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
]);

/** The field names a message's own `Connection` header lists: connection-specific too, never relayed. */
export function connectionListed(value: string | string[] | undefined): Set<string> {
  const joined = Array.isArray(value) ? value.join(',') : (value ?? '');
  return new Set(
    joined
      .split(',')
      .map((t) => t.trim().toLowerCase())
      .filter(Boolean),
  );
}

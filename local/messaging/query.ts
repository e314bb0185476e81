/** The AWS Query protocol's wire format: form-encoded parameters in, XML out. */

/** The flat parameters of one request (`MessageAttributes.entry.1.Name` → value). */
export type QueryParams = ReadonlyMap<string, string>;

/** Parses a form-encoded body (and the URL's query string, for GET requests) into parameters. */
export function parseQueryParams(body: string, urlQuery = ''): QueryParams {
  const params = new Map<string, string>();
  for (const source of [urlQuery, body]) {
    for (const [key, value] of new URLSearchParams(source)) params.set(key, value);
  }
  return params;
}

/** The members of a list parameter, `Prefix.member.N…`, in index order, each with the `N.` prefix removed. */
export function listMembers(params: QueryParams, prefix: string): QueryParams[] {
  return indexed(params, `${prefix}.member.`);
}

/** The entries of a map parameter, `Prefix.entry.N…`, in index order. */
export function mapEntries(params: QueryParams, prefix: string): QueryParams[] {
  return indexed(params, `${prefix}.entry.`);
}

function indexed(params: QueryParams, prefix: string): QueryParams[] {
  const byIndex = new Map<number, Map<string, string>>();
  for (const [key, value] of params) {
    if (!key.startsWith(prefix)) continue;
    const rest = key.slice(prefix.length);
    const dot = rest.indexOf('.');
    const index = Number(dot < 0 ? rest : rest.slice(0, dot));
    if (!Number.isInteger(index) || index < 1) continue;
    const member = byIndex.get(index) ?? new Map<string, string>();
    member.set(dot < 0 ? '' : rest.slice(dot + 1), value);
    byIndex.set(index, member);
  }
  return [...byIndex.entries()].sort(([a], [b]) => a - b).map(([, member]) => member);
}

/** Escapes text for an XML element or attribute. */
export function xmlEscape(text: string): string {
  return text
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&apos;')
    .replace(/\r/g, '&#13;');
}

/** A nested XML value: text, a list of elements (`<member>` lists), or child elements in order. */
export type XmlValue =
  string | number | boolean | XmlNode[] | { readonly [name: string]: XmlValue | undefined };
/** One element. */
export interface XmlNode {
  readonly [name: string]: XmlValue | undefined;
}

/** Serializes `{ A: 'x', B: [{ member: {...} }] }` into `<A>x</A><B><member>…</member></B>`. */
export function toXml(value: XmlValue): string {
  if (typeof value === 'string') return xmlEscape(value);
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (Array.isArray(value)) return value.map(toXml).join('');
  let out = '';
  for (const [name, child] of Object.entries(value)) {
    if (child === undefined) continue;
    out += `<${name}>${toXml(child)}</${name}>`;
  }
  return out;
}

/** A Query-protocol error: its code, HTTP status and whether the sender is at fault. */
export class QueryError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly status = 400,
    readonly type: 'Sender' | 'Receiver' = status >= 500 ? 'Receiver' : 'Sender',
  ) {
    super(message);
    this.name = code;
  }
}

/** `<ActionResponse xmlns=…><ActionResult>…</ActionResult><ResponseMetadata>…` */
export function queryResponse(
  action: string,
  xmlns: string,
  result: XmlNode | undefined,
  requestId: string,
): string {
  const body = result === undefined ? '' : `<${action}Result>${toXml(result)}</${action}Result>`;
  return (
    `<${action}Response xmlns="${xmlns}">${body}` +
    `<ResponseMetadata><RequestId>${requestId}</RequestId></ResponseMetadata></${action}Response>`
  );
}

/** `<ErrorResponse xmlns=…><Error><Type/><Code/><Message/></Error><RequestId/></ErrorResponse>` */
export function queryErrorResponse(err: QueryError, xmlns: string, requestId: string): string {
  return (
    `<ErrorResponse xmlns="${xmlns}"><Error><Type>${err.type}</Type><Code>${xmlEscape(err.code)}</Code>` +
    `<Message>${xmlEscape(err.message)}</Message></Error><RequestId>${requestId}</RequestId></ErrorResponse>`
  );
}

/** Builds the Lambda proxy integration event exactly as API Gateway REST (v1) does. */
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import type { APIGatewayEventRequestContext, APIGatewayProxyEvent } from 'aws-lambda';

/** Thrown for a request API Gateway answers with 400 before routing (bad percent-encoding). */
export class BadRequestError extends Error {
  override readonly name = 'BadRequestError';
}

/** The parts of an HTTP request the gateway reads. */
export interface GatewayRequest {
  readonly method: string;
  /** The path as sent (percent-encoded, stage included), without the query string. */
  readonly rawPath: string;
  /** The query string as sent, without `?`; empty when none. */
  readonly rawQuery: string;
  /** Node's `rawHeaders`: name, value, name, value… in arrival order and original case. */
  readonly rawHeaders: readonly string[];
  readonly httpVersion: string;
  readonly sourceIp: string;
  /** The gateway's own port (X-Forwarded-Port). */
  readonly port: number;
  readonly body: Buffer;
}

/** The identifiers API Gateway stamps on each request. */
export interface RequestIds {
  readonly requestId: string;
  readonly extendedRequestId: string;
  readonly traceId: string;
}

/** Fresh request identifiers in AWS's formats. */
export function newRequestIds(nowMs: number): RequestIds {
  const epochHex = Math.floor(nowMs / 1000)
    .toString(16)
    .padStart(8, '0');
  return {
    requestId: randomUUID(),
    // 16 characters of base64, as the `x-amz-apigw-id` header shows them.
    extendedRequestId: randomBytes(12).toString('base64').slice(0, 15) + '=',
    traceId: `Root=1-${epochHex}-${randomBytes(12).toString('hex')}`,
  };
}

/** A short stable lowercase alphanumeric id derived from `seed` (apiId, resourceId, deploymentId). */
export function stableId(seed: string, length: number): string {
  const alphabet = 'abcdefghijklmnopqrstuvwxyz0123456789';
  const digest = createHash('sha256').update(seed).digest();
  let out = '';
  for (let i = 0; i < length; i++) out += alphabet[digest[i]! % alphabet.length];
  return out;
}

/** Decodes one URL component; a malformed escape is a 400, as at API Gateway. */
export function decodeComponent(value: string, what: string): string {
  try {
    return decodeURIComponent(value);
  } catch {
    throw new BadRequestError(`malformed percent-encoding in the ${what}`);
  }
}

/** Splits `a=1&a=2&b` into decoded pairs; `+` stays a literal plus, as in REST APIs. */
export function parseQuery(rawQuery: string): [string, string][] {
  const pairs: [string, string][] = [];
  for (const part of rawQuery.split('&')) {
    if (part === '') continue;
    const eq = part.indexOf('=');
    const key = decodeComponent(eq < 0 ? part : part.slice(0, eq), 'query string');
    const value = eq < 0 ? '' : decodeComponent(part.slice(eq + 1), 'query string');
    if (key === '') continue;
    pairs.push([key, value]);
  }
  return pairs;
}

/** `09/Apr/2015:12:34:56 +0000`, the `requestTime` format. */
export function formatRequestTime(ms: number): string {
  const d = new Date(ms);
  const months = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
  const p = (n: number): string => String(n).padStart(2, '0');
  return (
    `${p(d.getUTCDate())}/${months[d.getUTCMonth()]}/${d.getUTCFullYear()}:` +
    `${p(d.getUTCHours())}:${p(d.getUTCMinutes())}:${p(d.getUTCSeconds())} +0000`
  );
}

/** Text media types: passed to the function as UTF-8; anything else is binary and base64-encoded. */
const TEXT_TYPES = [
  /^text\//,
  /^application\/(json|xml|javascript|x-www-form-urlencoded|graphql|x-ndjson)$/,
  /^application\/[^;]+\+(json|xml)$/,
];

/** The media type part of a Content-Type header, lowercased. */
export function mediaType(contentType: string | undefined): string {
  return (contentType ?? '').split(';')[0]!.trim().toLowerCase();
}

/**
 * Whether a body of this content type reaches the function base64-encoded. With `binaryMediaTypes` (the
 * RestApi property) a type is binary when it matches one of them (`*` wildcards); without, every type
 * that is not text is.
 */
export function isBinaryMediaType(
  contentType: string | undefined,
  binaryMediaTypes?: readonly string[],
): boolean {
  const type = mediaType(contentType);
  if (binaryMediaTypes) {
    return binaryMediaTypes.some((pattern) => {
      const re = new RegExp(
        `^${pattern
          .toLowerCase()
          .split('*')
          .map((s) => s.replace(/[.+?^${}()|[\]\\/]/g, '\\$&'))
          .join('.*')}$`,
      );
      return re.test(type);
    });
  }
  if (type === '') return false;
  return !TEXT_TYPES.some((re) => re.test(type));
}

/** Headers API Gateway sets itself, replacing any the client sent under any case. */
function setHeader(
  headers: Record<string, string>,
  multi: Record<string, string[]>,
  name: string,
  value: string,
): void {
  const lower = name.toLowerCase();
  for (const key of Object.keys(headers)) if (key.toLowerCase() === lower) delete headers[key];
  for (const key of Object.keys(multi)) if (key.toLowerCase() === lower) delete multi[key];
  headers[name] = value;
  multi[name] = [value];
}

function headerValue(headers: Record<string, string>, name: string): string | undefined {
  const lower = name.toLowerCase();
  for (const [key, value] of Object.entries(headers)) if (key.toLowerCase() === lower) return value;
  return undefined;
}

/** What {@link buildProxyEvent} needs besides the request. */
export interface ProxyEventContext {
  readonly accountId: string;
  readonly apiId: string;
  readonly stage: string;
  readonly deploymentId: string;
  readonly resourcePath: string;
  readonly resourceId: string;
  /** The request path after the stage, decoded (`/orders/a b`). */
  readonly path: string;
  readonly pathParameters: Record<string, string> | null;
  readonly ids: RequestIds;
  readonly nowMs: number;
  readonly binaryMediaTypes?: readonly string[];
}

/** The `APIGatewayProxyEvent` the function receives for this request. */
export function buildProxyEvent(req: GatewayRequest, ctx: ProxyEventContext): APIGatewayProxyEvent {
  const headers: Record<string, string> = {};
  const multiValueHeaders: Record<string, string[]> = {};
  for (let i = 0; i + 1 < req.rawHeaders.length; i += 2) {
    const name = req.rawHeaders[i]!;
    const value = req.rawHeaders[i + 1]!;
    headers[name] = value;
    (multiValueHeaders[name] ??= []).push(value);
  }
  const host = headerValue(headers, 'host') ?? `127.0.0.1:${req.port}`;
  const forwardedFor = headerValue(headers, 'x-forwarded-for');
  setHeader(headers, multiValueHeaders, 'Host', host);
  setHeader(headers, multiValueHeaders, 'X-Amzn-Trace-Id', ctx.ids.traceId);
  setHeader(
    headers,
    multiValueHeaders,
    'X-Forwarded-For',
    forwardedFor ? `${forwardedFor}, ${req.sourceIp}` : req.sourceIp,
  );
  setHeader(headers, multiValueHeaders, 'X-Forwarded-Port', String(req.port));
  setHeader(headers, multiValueHeaders, 'X-Forwarded-Proto', 'http');

  const pairs = parseQuery(req.rawQuery);
  let queryStringParameters: Record<string, string> | null = null;
  let multiValueQueryStringParameters: Record<string, string[]> | null = null;
  if (pairs.length > 0) {
    queryStringParameters = {};
    multiValueQueryStringParameters = {};
    for (const [key, value] of pairs) {
      queryStringParameters[key] = value;
      (multiValueQueryStringParameters[key] ??= []).push(value);
    }
  }

  const contentType = headerValue(headers, 'content-type');
  const binary = req.body.length > 0 && isBinaryMediaType(contentType, ctx.binaryMediaTypes);
  const body = req.body.length === 0 ? null : req.body.toString(binary ? 'base64' : 'utf8');

  const domainName = host.replace(/:\d+$/, '');
  const requestContext = {
    resourceId: ctx.resourceId,
    resourcePath: ctx.resourcePath,
    httpMethod: req.method,
    extendedRequestId: ctx.ids.extendedRequestId,
    requestTime: formatRequestTime(ctx.nowMs),
    // The path as the client sent it, stage included.
    path: req.rawPath,
    accountId: ctx.accountId,
    protocol: `HTTP/${req.httpVersion}`,
    stage: ctx.stage,
    domainPrefix: domainName.split('.')[0] ?? domainName,
    requestTimeEpoch: ctx.nowMs,
    requestId: ctx.ids.requestId,
    identity: {
      cognitoIdentityPoolId: null,
      accountId: null,
      cognitoIdentityId: null,
      caller: null,
      sourceIp: req.sourceIp,
      principalOrgId: null,
      accessKey: null,
      cognitoAuthenticationType: null,
      cognitoAuthenticationProvider: null,
      userArn: null,
      userAgent: headerValue(headers, 'user-agent') ?? null,
      user: null,
      apiKey: null,
      apiKeyId: null,
      clientCert: null,
    },
    domainName,
    deploymentId: ctx.deploymentId,
    apiId: ctx.apiId,
  } satisfies Omit<APIGatewayEventRequestContext, 'authorizer'> & { deploymentId: string };

  return {
    resource: ctx.resourcePath,
    path: ctx.path,
    httpMethod: req.method,
    headers,
    multiValueHeaders,
    queryStringParameters,
    multiValueQueryStringParameters,
    pathParameters: ctx.pathParameters,
    stageVariables: null,
    // No authorizer on these methods: AWS leaves the key out, which the type models as undefined.
    requestContext: requestContext as typeof requestContext &
      Pick<APIGatewayEventRequestContext, 'authorizer'>,
    body,
    isBase64Encoded: binary,
  };
}

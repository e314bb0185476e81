/** Gateway-made answers (with the template's GatewayResponses) and the Lambda proxy response mapping. */
import type { ApiModel } from '../assembly/model';

/** The gateway response types this emulation produces. */
export type GatewayResponseType =
  | 'MISSING_AUTHENTICATION_TOKEN'
  | 'THROTTLED'
  | 'REQUEST_TOO_LARGE'
  | 'INTEGRATION_TIMEOUT'
  | 'BAD_REQUEST_PARAMETERS';

/** AWS's default status and `$context.error.message` for each type. */
const DEFAULTS: Record<GatewayResponseType, { status: number; message: string; errorType?: string }> = {
  MISSING_AUTHENTICATION_TOKEN: {
    status: 403,
    message: 'Missing Authentication Token',
    errorType: 'MissingAuthenticationTokenException',
  },
  THROTTLED: { status: 429, message: 'Too Many Requests' },
  REQUEST_TOO_LARGE: { status: 413, message: 'Request Too Long' },
  INTEGRATION_TIMEOUT: { status: 504, message: 'Endpoint request timed out' },
  BAD_REQUEST_PARAMETERS: { status: 400, message: 'Missing required request parameters' },
};

/** API Gateway's default gateway response template. */
const DEFAULT_TEMPLATE = '{"message":$context.error.messageString}';

/** A fully rendered answer: status, headers and body. */
export interface RenderedResponse {
  readonly status: number;
  readonly headers: [string, string][];
  readonly body: Buffer;
}

/** The `$context` values a gateway response template may read. */
export type TemplateContext = Readonly<Record<string, string | number | undefined>>;

/** Renders `$context.x`, `${context.x}` and `$!{context.x}` references; unknown ones stay as written. */
export function renderTemplate(template: string, context: TemplateContext): string {
  return template.replace(
    /\$!?\{context\.([A-Za-z0-9_.]+)\}|\$context\.([A-Za-z0-9_]+(?:\.[A-Za-z][A-Za-z0-9_]*)*)/g,
    (whole, braced: string | undefined, bare: string | undefined) => {
      const key = braced ?? bare ?? '';
      const value = context[key];
      return value === undefined ? whole : String(value);
    },
  );
}

/**
 * The answer for a gateway response type: the template's GatewayResponse of that type, else its
 * DEFAULT_4XX/DEFAULT_5XX, else AWS's default (`{"message":"…"}`).
 */
export function gatewayResponse(
  api: Pick<ApiModel, 'gatewayResponses'>,
  type: GatewayResponseType,
  context: TemplateContext & { readonly requestId: string; readonly extendedRequestId: string },
  message?: string,
): RenderedResponse {
  const fallback = DEFAULTS[type];
  const errorMessage = message ?? fallback.message;
  const family = fallback.status >= 500 ? 'DEFAULT_5XX' : 'DEFAULT_4XX';
  const specific = api.gatewayResponses.find((r) => r.responseType === type);
  const general = api.gatewayResponses.find((r) => r.responseType === family);
  const status = Number(specific?.statusCode ?? general?.statusCode ?? fallback.status);
  const template =
    specific?.templates['application/json'] ??
    general?.templates['application/json'] ??
    // AWS writes this one with a space after the colon.
    (type === 'INTEGRATION_TIMEOUT' ? '{"message": $context.error.messageString}' : DEFAULT_TEMPLATE);
  const body = renderTemplate(template, {
    ...context,
    'error.message': errorMessage,
    'error.messageString': JSON.stringify(errorMessage),
    'error.responseType': type,
  });
  const headers: [string, string][] = [
    ['Content-Type', 'application/json'],
    ['x-amzn-RequestId', context.requestId],
    ['x-amz-apigw-id', context.extendedRequestId],
  ];
  if (fallback.errorType) headers.push(['x-amzn-ErrorType', fallback.errorType]);
  return { status: Number.isInteger(status) ? status : fallback.status, headers, body: Buffer.from(body) };
}

/** AWS's answer to a function error, a malformed proxy response, or a failed invocation. */
export function internalServerError(
  status: 500 | 502,
  requestId: string,
  extendedRequestId: string,
): RenderedResponse {
  return {
    status,
    headers: [
      ['Content-Type', 'application/json'],
      ['x-amzn-RequestId', requestId],
      ['x-amz-apigw-id', extendedRequestId],
      ['x-amzn-ErrorType', 'InternalServerErrorException'],
    ],
    body: Buffer.from('{"message": "Internal server error"}'),
  };
}

/** A plain-JSON answer made before any API context exists (bad URL encoding). */
export function plainError(status: number, message: string, requestId: string): RenderedResponse {
  return {
    status,
    headers: [
      ['Content-Type', 'application/json'],
      ['x-amzn-RequestId', requestId],
    ],
    body: Buffer.from(JSON.stringify({ message })),
  };
}

/** Outcome of mapping a Lambda payload: the HTTP answer, or why API Gateway would reject it (502). */
export type ProxyMapping =
  | {
      readonly ok: true;
      readonly status: number;
      readonly headers: [string, string][];
      readonly body: Buffer;
    }
  | { readonly ok: false; readonly reason: string };

function headerScalar(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return undefined;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Maps `{ statusCode, headers, multiValueHeaders, body, isBase64Encoded }` to an HTTP answer. Headers of
 * both maps are merged (a value in both appears once), as API Gateway documents.
 */
export function mapProxyResponse(payload: unknown): ProxyMapping {
  if (!isRecord(payload)) return { ok: false, reason: 'the response is not a JSON object' };
  const rawStatus = payload.statusCode;
  const status =
    typeof rawStatus === 'number'
      ? rawStatus
      : typeof rawStatus === 'string' && /^\d{3}$/.test(rawStatus)
        ? Number(rawStatus)
        : NaN;
  if (!Number.isInteger(status) || status < 100 || status > 599) {
    return { ok: false, reason: 'statusCode is missing or not an HTTP status code' };
  }
  const body = payload.body;
  if (body !== undefined && body !== null && typeof body !== 'string') {
    return { ok: false, reason: 'body is not a string' };
  }
  const base64 = payload.isBase64Encoded;
  if (base64 !== undefined && base64 !== null && typeof base64 !== 'boolean') {
    return { ok: false, reason: 'isBase64Encoded is not a boolean' };
  }

  const merged = new Map<string, { name: string; values: string[] }>();
  const add = (name: string, value: string): void => {
    const key = name.toLowerCase();
    const entry = merged.get(key) ?? { name, values: [] };
    if (!entry.values.includes(value)) entry.values.push(value);
    merged.set(key, entry);
  };
  const multi = payload.multiValueHeaders;
  if (multi !== undefined && multi !== null) {
    if (!isRecord(multi)) return { ok: false, reason: 'multiValueHeaders is not an object' };
    for (const [name, list] of Object.entries(multi)) {
      if (!Array.isArray(list)) return { ok: false, reason: `multiValueHeaders.${name} is not a list` };
      for (const item of list) {
        const value = headerScalar(item);
        if (value === undefined) return { ok: false, reason: `multiValueHeaders.${name} holds a non-scalar` };
        add(name, value);
      }
    }
  }
  const single = payload.headers;
  if (single !== undefined && single !== null) {
    if (!isRecord(single)) return { ok: false, reason: 'headers is not an object' };
    for (const [name, raw] of Object.entries(single)) {
      const value = headerScalar(raw);
      if (value === undefined) return { ok: false, reason: `headers.${name} is not a scalar` };
      add(name, value);
    }
  }
  const headers: [string, string][] = [];
  for (const { name, values } of merged.values()) {
    // Node refuses control characters in header values; API Gateway would too (a malformed response).
    if (!/^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/.test(name) || values.some((v) => /[\r\n\0]/.test(v))) {
      return { ok: false, reason: `header ${JSON.stringify(name)} is not a valid HTTP header` };
    }
    for (const value of values) headers.push([name, value]);
  }
  if (!merged.has('content-type')) headers.push(['Content-Type', 'application/json']);
  const text = typeof body === 'string' ? body : '';
  return { ok: true, status, headers, body: Buffer.from(text, base64 === true ? 'base64' : 'utf8') };
}

import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { z } from 'zod';
import { CORRELATION_HEADER, correlationIdFrom } from './observability';
import {
  MalformedJsonError,
  MeridianError,
  PayloadTooLargeError,
  UnsupportedMediaTypeError,
  ValidationError,
  type ErrorKind,
  type FieldError,
} from './errors';

/** Largest request body accepted by any API, in bytes (BRIEF: ≤ 64 KiB). */
export const MAX_BODY_BYTES = 64 * 1024;

/** The one place error kinds become HTTP statuses. */
export const STATUS_BY_KIND: Readonly<Record<ErrorKind, number>> = {
  validation: 400,
  unauthorized: 401,
  not_found: 404,
  method_not_allowed: 405,
  conflict: 409,
  payload_too_large: 413,
  unsupported_media_type: 415,
  unprocessable: 422,
  unavailable: 503,
};

/** The error body every API returns: `{ error: { code, message, fields } }`. */
export interface ErrorBody {
  readonly error: { readonly code: string; readonly message: string; readonly fields: readonly FieldError[] };
}

/** The response header naming the region that served a request (clients and drills see failover with it). */
export const REGION_HEADER = 'x-meridian-region';

// Lambda sets AWS_REGION before the module loads; read once, like any configuration.
const JSON_HEADERS: Readonly<Record<string, string>> = {
  'content-type': 'application/json',
  ...(process.env.AWS_REGION ? { [REGION_HEADER]: process.env.AWS_REGION } : {}),
};

/** A JSON response. */
export function json(
  statusCode: number,
  body: unknown,
  headers: Record<string, string> = {},
): APIGatewayProxyResult {
  return { statusCode, headers: { ...JSON_HEADERS, ...headers }, body: JSON.stringify(body) };
}

/** Maps any thrown value to a response; unknown errors become a generic 500 without internals. */
export function errorResponse(err: unknown, headers: Record<string, string> = {}): APIGatewayProxyResult {
  if (err instanceof MeridianError) {
    const body: ErrorBody = { error: { code: err.code, message: err.message, fields: err.fields ?? [] } };
    return json(STATUS_BY_KIND[err.kind], body, headers);
  }
  const body: ErrorBody = {
    error: { code: 'INTERNAL_ERROR', message: 'internal error', fields: [] },
  };
  return json(500, body, headers);
}

/** The request parts a header lookup reads; `multiValueHeaders` holds every value of a repeated header. */
export type HeaderSource = Pick<APIGatewayProxyEvent, 'headers'> &
  Partial<Pick<APIGatewayProxyEvent, 'multiValueHeaders'>>;

/**
 * Case-insensitive header lookup over `headers` and `multiValueHeaders` (API Gateway passes names as
 * sent). A header sent several times with different values is ambiguous: that is a 400 naming it, not
 * a silent choice of one value.
 */
export function header(event: HeaderSource, name: string): string | undefined {
  const wanted = name.toLowerCase();
  const values = new Set<string>();
  for (const [key, value] of Object.entries(event.headers ?? {})) {
    if (key.toLowerCase() === wanted && typeof value === 'string') values.add(value);
  }
  for (const [key, list] of Object.entries(event.multiValueHeaders ?? {})) {
    if (key.toLowerCase() !== wanted || !Array.isArray(list)) continue;
    for (const value of list) if (typeof value === 'string') values.add(value);
  }
  if (values.size > 1) {
    throw new ValidationError(`header ${name} was sent more than once with different values`, [
      { path: `headers.${name}`, message: 'conflicting values' },
    ]);
  }
  return values.values().next().value;
}

const correlationIds = new WeakMap<object, string>();

/**
 * The request's correlation id: the client's `x-correlation-id` when well-formed, else a new one.
 * Memoized per event, so the logger and tracer (through `instrumented`), the response header and the
 * events all carry the same id. Never throws: a header repeated with different values counts as
 * malformed, since the id is optional and a request must not fail (or escape its handler) over it.
 */
export function requestCorrelationId(event: HeaderSource): string {
  let id = correlationIds.get(event);
  if (!id) {
    let sent: string | undefined;
    try {
      sent = header(event, CORRELATION_HEADER);
    } catch {
      sent = undefined;
    }
    id = correlationIdFrom(sent);
    correlationIds.set(event, id);
  }
  return id;
}

/** The raw body as a UTF-8 string, decoding base64 bodies. */
export function rawBody(event: Pick<APIGatewayProxyEvent, 'body' | 'isBase64Encoded'>): string {
  if (event.body == null) return '';
  return event.isBase64Encoded ? Buffer.from(event.body, 'base64').toString('utf8') : event.body;
}

/**
 * Parses a JSON request body: size first (413), then content type (415), then JSON syntax (400).
 * The size is measured before anything else so huge bodies cost nothing further.
 */
export function parseJsonBody(
  event: Pick<APIGatewayProxyEvent, 'body' | 'isBase64Encoded' | 'headers'>,
): unknown {
  const size =
    event.body == null
      ? 0
      : event.isBase64Encoded
        ? Math.floor((event.body.length * 3) / 4)
        : Buffer.byteLength(event.body, 'utf8');
  if (size > MAX_BODY_BYTES) {
    throw new PayloadTooLargeError(`body is ${size} bytes; the limit is ${MAX_BODY_BYTES}`);
  }
  const contentType = header(event, 'content-type');
  if (!contentType || !/^application\/([\w.+-]+\+)?json\s*(;|$)/i.test(contentType.trim())) {
    throw new UnsupportedMediaTypeError(
      `content-type must be application/json, got ${contentType ? JSON.stringify(contentType.slice(0, 100)) : 'none'}`,
    );
  }
  const text = rawBody(event);
  if (text.trim() === '') throw new MalformedJsonError('body is empty; a JSON object is required');
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new MalformedJsonError('body is not valid JSON');
  }
}

/**
 * Converts zod issues to field errors with dotted paths (`lines.0.quantity`), prefixed with `where`
 * (e.g. `queryStringParameters`) when given. Unknown keys are reported one field each (zod groups them
 * into one issue at the parent); identical path + message pairs are reported once; at most 50.
 */
export function toFieldErrors(error: z.ZodError, where?: string): FieldError[] {
  const at = (path: readonly PropertyKey[]) => {
    const parts = [...(where ? [where] : []), ...path.map(String)];
    return parts.length ? parts.join('.') : '(root)';
  };
  const unique = new Map<string, FieldError>();
  const add = (f: FieldError) => unique.set(`${f.path}\u0000${f.message}`, f);
  for (const issue of error.issues) {
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys)
        add({ path: at([...issue.path, key.slice(0, 100)]), message: 'unknown field' });
    } else {
      add({ path: at(issue.path), message: issue.message });
    }
  }
  return [...unique.values()].slice(0, 50);
}

/** Validates `input` against `schema`, throwing a `ValidationError` with field errors. */
export function validate<S extends z.ZodType>(schema: S, input: unknown, what = 'request'): z.output<S> {
  const result = schema.safeParse(input);
  if (!result.success) throw new ValidationError(`${what} is invalid`, toFieldErrors(result.error));
  return result.data;
}

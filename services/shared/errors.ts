/**
 * Typed errors shared by every service. Each carries a machine-readable `code` and a `kind`;
 * `kind` maps to an HTTP status in exactly one place (`http.ts`).
 */
export type ErrorKind =
  | 'validation'
  | 'payload_too_large'
  | 'unsupported_media_type'
  | 'not_found'
  | 'method_not_allowed'
  | 'conflict'
  | 'unprocessable'
  | 'unauthorized'
  | 'unavailable';

/** A field-level validation problem: `path` is a dotted path such as `lines.0.quantity`. */
export interface FieldError {
  readonly path: string;
  readonly message: string;
}

/** Base class of every error Meridian raises on purpose. */
export abstract class MeridianError extends Error {
  abstract readonly kind: ErrorKind;
  abstract readonly code: string;
  readonly fields?: readonly FieldError[];

  constructor(message: string, fields?: readonly FieldError[]) {
    super(message);
    this.name = new.target.name;
    if (fields) this.fields = fields;
  }
}

/** The input broke one or more validation rules. */
export class ValidationError extends MeridianError {
  override readonly name = 'ValidationError';
  readonly kind = 'validation';
  readonly code = 'VALIDATION_FAILED';
  constructor(message: string, fields: readonly FieldError[] = []) {
    super(message, fields);
  }
}

/** The body is not valid JSON. */
export class MalformedJsonError extends MeridianError {
  override readonly name = 'MalformedJsonError';
  readonly kind = 'validation';
  readonly code = 'MALFORMED_JSON';
}

/** A required header is missing or malformed. */
export class MissingHeaderError extends MeridianError {
  override readonly name = 'MissingHeaderError';
  readonly kind = 'validation';
  readonly code = 'MISSING_HEADER';
  constructor(header: string, message = `header ${header} is required`) {
    super(message, [{ path: `headers.${header}`, message }]);
  }
}

/** The body exceeds the size limit. */
export class PayloadTooLargeError extends MeridianError {
  override readonly name = 'PayloadTooLargeError';
  readonly kind = 'payload_too_large';
  readonly code = 'PAYLOAD_TOO_LARGE';
}

/** The body is not `application/json`. */
export class UnsupportedMediaTypeError extends MeridianError {
  override readonly name = 'UnsupportedMediaTypeError';
  readonly kind = 'unsupported_media_type';
  readonly code = 'UNSUPPORTED_MEDIA_TYPE';
}

/** No route matches the request. */
export class RouteNotFoundError extends MeridianError {
  override readonly name = 'RouteNotFoundError';
  readonly kind = 'not_found';
  readonly code = 'ROUTE_NOT_FOUND';
}

/** The route exists but not for this HTTP method. */
export class MethodNotAllowedError extends MeridianError {
  override readonly name = 'MethodNotAllowedError';
  readonly kind = 'method_not_allowed';
  readonly code = 'METHOD_NOT_ALLOWED';
}

/** A signature or credential check failed. */
export class UnauthorizedError extends MeridianError {
  override readonly name = 'UnauthorizedError';
  readonly kind = 'unauthorized';
  readonly code = 'UNAUTHORIZED';
}

/** A dependency (table, bus, state machine) is not reachable. */
export class DependencyUnavailableError extends MeridianError {
  override readonly name = 'DependencyUnavailableError';
  readonly kind = 'unavailable';
  readonly code = 'DEPENDENCY_UNAVAILABLE';
}

/** True when `err` is a DynamoDB conditional-check failure (from any SDK v3 client). */
export function isConditionalCheckFailed(err: unknown): boolean {
  return err instanceof Error && err.name === 'ConditionalCheckFailedException';
}

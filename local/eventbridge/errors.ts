/**
 * Errors with the names the EventBridge API returns as `__type`, so the HTTP layer maps them one to one and
 * the SDK client rebuilds its modelled exception classes from them.
 */
export type EventBridgeErrorCode =
  | 'ValidationException'
  | 'ResourceNotFoundException'
  | 'InvalidEventPatternException'
  | 'SerializationException'
  | 'UnknownOperationException'
  | 'InternalException';

/** An EventBridge API error: `code` is the wire `__type`, `status` the HTTP status. */
export class EventBridgeError extends Error {
  override readonly name: EventBridgeErrorCode;
  readonly status: number;

  constructor(
    code: EventBridgeErrorCode,
    message: string,
    status = code === 'InternalException' ? 500 : 400,
  ) {
    super(message);
    this.name = code;
    this.status = status;
  }
}

/**
 * Thrown by a target port to tell EventBridge how a delivery failed: `code` becomes the dead-letter
 * message's ERROR_CODE (`RESOURCE_NOT_FOUND`, `NO_PERMISSIONS`, `THROTTLING`, `SDK_CLIENT_ERROR`, …);
 * `retryable: false` sends the event to the dead-letter queue without retrying, as EventBridge does for
 * a missing target or missing permissions.
 */
export class TargetDeliveryError extends Error {
  override readonly name = 'TargetDeliveryError';
  readonly code: string;
  readonly retryable: boolean;

  constructor(code: string, message: string, options: { retryable?: boolean } = {}) {
    super(message);
    this.code = code;
    this.retryable = options.retryable ?? !NON_RETRYABLE_CODES.has(code);
  }
}

const NON_RETRYABLE_CODES = new Set(['RESOURCE_NOT_FOUND', 'NO_PERMISSIONS']);

/** The ERROR_CODE EventBridge would record for a failed delivery, and whether it retries it. */
export function classifyDeliveryError(err: unknown): { code: string; message: string; retryable: boolean } {
  if (err instanceof TargetDeliveryError) {
    return { code: err.code, message: err.message, retryable: err.retryable };
  }
  const name = err instanceof Error ? err.name : '';
  const message = err instanceof Error ? err.message : String(err);
  if (/NotFound|DoesNotExist/i.test(name)) return { code: 'RESOURCE_NOT_FOUND', message, retryable: false };
  if (/AccessDenied|NotAuthorized|Forbidden/i.test(name)) {
    return { code: 'NO_PERMISSIONS', message, retryable: false };
  }
  if (/Throttl|TooManyRequests/i.test(name)) return { code: 'THROTTLING', message, retryable: true };
  return { code: 'SDK_CLIENT_ERROR', message, retryable: true };
}

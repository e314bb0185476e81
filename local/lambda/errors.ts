/** The Lambda API errors the local runtime raises, with their HTTP status codes. */
export type LambdaErrorCode =
  | 'ResourceNotFoundException'
  | 'TooManyRequestsException'
  | 'RequestTooLargeException'
  | 'InvalidRequestContentException'
  | 'InvalidParameterValueException'
  | 'ValidationException'
  | 'UnknownOperationException'
  | 'ServiceException';

const STATUS: Record<LambdaErrorCode, number> = {
  ResourceNotFoundException: 404,
  TooManyRequestsException: 429,
  RequestTooLargeException: 413,
  InvalidRequestContentException: 400,
  InvalidParameterValueException: 400,
  ValidationException: 400,
  UnknownOperationException: 404,
  ServiceException: 500,
};

/** A Lambda API error; `name` is the AWS error code (`ResourceNotFoundException`, …). */
export class LambdaError extends Error {
  readonly statusCode: number;
  /** `TooManyRequestsException` only: why the request was throttled. */
  readonly reason?: string;

  constructor(
    readonly code: LambdaErrorCode,
    message: string,
    reason?: string,
  ) {
    super(message);
    this.name = code;
    this.statusCode = STATUS[code];
    if (reason !== undefined) this.reason = reason;
  }

  /** The JSON body Lambda answers with (the error code itself travels in `x-amzn-ErrorType`). */
  toBody(): Record<string, string> {
    return {
      Type: this.statusCode >= 500 ? 'Service' : 'User',
      message: this.message,
      ...(this.reason !== undefined ? { Reason: this.reason } : {}),
    };
  }
}

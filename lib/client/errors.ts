import type { AttemptRecord } from './types';

/** Every attempt failed with a network error or a retryable status. */
export class MeridianUnavailableError extends Error {
  override readonly name = 'MeridianUnavailableError';
  /** Every attempt, in order. */
  readonly attempts: readonly AttemptRecord[];
  /** The status of the last attempt; absent when it ended without a response. */
  readonly lastStatus?: number;
  /** The key every attempt carried: retrying later with it is safe. */
  readonly idempotencyKey?: string;

  constructor(
    method: string,
    path: string,
    attempts: readonly AttemptRecord[],
    idempotencyKey: string | undefined,
  ) {
    const last = attempts.at(-1);
    const how = last === undefined ? 'no attempt' : describeAttempt(last);
    super(
      `${method} ${path} failed after ${attempts.length} attempt${attempts.length === 1 ? '' : 's'} (last: ${how})`,
    );
    this.attempts = attempts;
    if (last?.status !== undefined) this.lastStatus = last.status;
    if (idempotencyKey !== undefined) this.idempotencyKey = idempotencyKey;
  }
}

/** A call or an option the client cannot act on; `field` names the offending option or argument. */
export class MeridianClientInputError extends Error {
  override readonly name = 'MeridianClientInputError';

  constructor(
    readonly field: string,
    problem: string,
  ) {
    super(`MeridianClient: ${field} ${problem}`);
  }
}

/** `503 via edge (eu-west-1)`, `ECONNREFUSED via us-east-1`. */
export function describeAttempt(a: AttemptRecord): string {
  const what = a.status !== undefined ? `HTTP ${a.status}` : (a.error ?? 'no response');
  const where = a.target === 'edge' && a.region !== undefined ? `edge (${a.region})` : a.target;
  return `${what} via ${where}`;
}

import type { PlannedOutcome } from './types';

/** The provider's test tokens (named like Stripe's) and what each one does. */
export const TEST_TOKENS = {
  visa: 'tok_visa',
  chargeDeclined: 'tok_chargeDeclined',
  insufficientFunds: 'tok_insufficientFunds',
  timeout: 'tok_timeout',
} as const;

/**
 * Decides what the provider will answer for a new charge. Test tokens are fixed; any other token (or none)
 * is approved with probability `approvalRate`, using `draw` — a number in [0, 1) that is a deterministic
 * function of the seed and the idempotency key, so a replayed request gets the same answer.
 */
export function planOutcome(token: string | undefined, approvalRate: number, draw: number): PlannedOutcome {
  switch (token) {
    case TEST_TOKENS.visa:
      return { kind: 'approve' };
    case TEST_TOKENS.chargeDeclined:
      return { kind: 'decline', code: 'card_declined' };
    case TEST_TOKENS.insufficientFunds:
      return { kind: 'decline', code: 'insufficient_funds' };
    case TEST_TOKENS.timeout:
      return { kind: 'no_response' };
    default:
      return draw < approvalRate ? { kind: 'approve' } : { kind: 'decline', code: 'card_declined' };
  }
}

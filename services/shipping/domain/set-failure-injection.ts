import type { Clock } from '../../shared/clock';
import { ValidationError } from '../../shared/errors';
import { isValidRate } from './failure-injection';
import type { FailureInjectionStore } from './ports';

export interface SetFailureInjectionDeps {
  readonly region: string;
  readonly store: FailureInjectionStore;
  readonly clock: Clock;
}

/**
 * Sets this region's run-time failure-injection rate (0..1), or removes the override with `null` so
 * the deployed SHIPPING_FAILURE_RATE applies again. Consumers see it within their config cache period.
 */
export async function setFailureInjection(
  deps: SetFailureInjectionDeps,
  rate: number | null,
): Promise<{ region: string; rate: number | null }> {
  if (rate !== null && !isValidRate(rate)) {
    throw new ValidationError('rate must be between 0 and 1', [{ path: 'rate', message: 'must be 0..1' }]);
  }
  await deps.store.set(rate, new Date(deps.clock.now()).toISOString());
  return { region: deps.region, rate };
}

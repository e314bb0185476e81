import type { DeliveryScheduler } from './ports';

/** Runs each job before `schedule` resolves: what a Lambda needs, since it cannot work after returning. */
export function immediateDelivery(): DeliveryScheduler {
  return { schedule: (job) => job() };
}

/** Sets a timer; injected so tests drive time without sleeping. */
export type SetTimer = (callback: () => void, ms: number) => unknown;

/**
 * Runs each job `delayMs` later on a timer, like a real provider answering after a while.
 * Only for long-running processes (the local runtime): a returned Lambda would never run the timer.
 */
export function delayedDelivery(delayMs: number, setTimer: SetTimer = setTimeout): DeliveryScheduler {
  return {
    schedule: async (job) => {
      setTimer(() => void job(), delayMs);
    },
  };
}

import type { Context } from 'aws-lambda';
import { onceSucceeded } from '../domain/webhook-secret';

/** A Lambda entry point's inner function. */
export type Handler<E, R> = (event: E, context: Context) => Promise<R>;

/**
 * A handler that can only be built once something asynchronous has resolved (the webhook secret): the
 * composition root exports it synchronously, its first invocation builds it, and later invocations reuse
 * it. A failed build is not kept: the next invocation tries again. With `onUnavailable`, a failed build is
 * answered by it (an API's 500) instead of rejecting the invocation.
 */
export function deferredHandler<E, R>(
  build: () => Promise<Handler<E, R>>,
  onUnavailable?: (error: unknown) => R,
): Handler<E, R> {
  const handler = onceSucceeded(build);
  return async (event, context) => {
    let ready: Handler<E, R>;
    try {
      ready = await handler();
    } catch (err) {
      if (onUnavailable) return onUnavailable(err);
      throw err;
    }
    return ready(event, context);
  };
}

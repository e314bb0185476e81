/** The least length of the webhook HMAC secret, whichever way it is configured. */
export const MIN_WEBHOOK_SECRET_LENGTH = 16;

/** Port: where the HMAC secret shared by the provider (signing) and the webhook (verifying) comes from. */
export interface SecretSource {
  /** The secret. Rejects when it cannot be read or is unfit to sign with. */
  getSecret(): Promise<string>;
}

/** A secret known up front (the local runtime and tests pass it in the environment). */
export function fixedSecret(secret: string): SecretSource {
  return { getSecret: () => Promise.resolve(secret) };
}

/**
 * Memoises a successful `load`: concurrent and later callers share one promise, so the work runs once per
 * process (once per Lambda cold start). A rejection is forgotten, so the next caller tries again — a
 * throttled or briefly unreachable dependency must not poison the execution environment until it is recycled.
 */
export function onceSucceeded<T>(load: () => Promise<T>): () => Promise<T> {
  let pending: Promise<T> | undefined;
  return () => {
    if (!pending) {
      const attempt = load();
      pending = attempt;
      attempt.catch(() => {
        if (pending === attempt) pending = undefined;
      });
    }
    return pending;
  };
}

/** `source`, read once per process on first use; a failed read is retried by the next caller. */
export function cachedSecret(source: SecretSource): SecretSource {
  return { getSecret: onceSucceeded(() => source.getSecret()) };
}

/** The response header naming the region that answered (set by the APIs and by the edge). */
export const REGION_HEADER = 'x-meridian-region';

/** What one attempt got: an answer with its body read, or the reason there was none. */
export type AttemptResult =
  | { readonly kind: 'response'; readonly status: number; readonly headers: Headers; readonly text: string }
  | { readonly kind: 'no-response'; readonly error: string };

/** One HTTP exchange to send. */
export interface AttemptRequest {
  readonly url: string;
  readonly method: string;
  readonly headers: Headers;
  readonly body?: string;
  /** The exchange, body included, is abandoned after this many milliseconds. */
  readonly timeoutMs: number;
}

/**
 * Sends one request and reads the whole body. Never throws: a refused or reset connection, a DNS failure
 * or the timeout becomes `no-response`. The timeout is enforced by a race as well as the abort signal, so a
 * `fetch` that ignores its signal cannot hang the client.
 */
export async function sendAttempt(fetchFn: typeof fetch, request: AttemptRequest): Promise<AttemptResult> {
  const controller = new AbortController();
  const timeoutMs = Math.max(1, Math.round(request.timeoutMs));
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<'timeout'>((resolve) => {
    timer = setTimeout(() => {
      controller.abort();
      resolve('timeout');
    }, timeoutMs);
  });
  const exchange = (async () => {
    const response = await fetchFn(request.url, {
      method: request.method,
      headers: request.headers,
      ...(request.body !== undefined && { body: request.body }),
      // A redirect is an answer to return, not to follow with a possibly different method.
      redirect: 'manual',
      signal: controller.signal,
    });
    return { response, text: await response.text() };
  })();
  // The losing side of the race must not surface as an unhandled rejection.
  exchange.catch(() => undefined);
  try {
    const winner = await Promise.race([exchange, timedOut]);
    if (winner === 'timeout') return { kind: 'no-response', error: `timeout after ${timeoutMs} ms` };
    return {
      kind: 'response',
      status: winner.response.status,
      headers: winner.response.headers,
      text: winner.text,
    };
  } catch (error) {
    if (controller.signal.aborted) return { kind: 'no-response', error: `timeout after ${timeoutMs} ms` };
    return { kind: 'no-response', error: networkErrorName(error) };
  } finally {
    clearTimeout(timer);
  }
}

/** The body as JSON; `null` when empty; the text itself when it is not JSON. */
export function parseBody(text: string): unknown {
  if (text === '') return null;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

/**
 * The most specific name of a network failure: the system code (`ECONNREFUSED`, `ENOTFOUND`, `ECONNRESET`)
 * found along fetch's `cause` chain, else undici's code with its message, else the message.
 */
export function networkErrorName(error: unknown): string {
  let current: unknown = error;
  for (let depth = 0; depth < 6 && current !== null && typeof current === 'object'; depth++) {
    const e = current as { code?: unknown; message?: unknown; cause?: unknown; errors?: unknown };
    if (typeof e.code === 'string' && /^E[A-Z0-9_]+$/.test(e.code)) return e.code;
    if (typeof e.code === 'string') {
      return typeof e.message === 'string' && e.message !== '' ? `${e.code}: ${e.message}` : e.code;
    }
    // Happy-eyeballs connects report an AggregateError whose members carry the codes.
    current = e.cause ?? (Array.isArray(e.errors) ? (e.errors[0] as unknown) : undefined);
  }
  const message = (error as { message?: unknown } | null)?.message;
  return typeof message === 'string' && message !== '' ? message : String(error);
}

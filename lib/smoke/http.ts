/** A JSON answer from the API, or the reason there was none. */
export type HttpOutcome =
  | { readonly kind: 'response'; readonly status: number; readonly body: unknown; readonly elapsedMs: number }
  | { readonly kind: 'network-error'; readonly message: string; readonly elapsedMs: number };

/** What one request sends. */
export interface HttpRequest {
  readonly method: 'GET' | 'PUT' | 'POST';
  readonly url: string;
  readonly headers?: Readonly<Record<string, string>>;
  readonly body?: unknown;
  /** The request is aborted after this many milliseconds. */
  readonly timeoutMs: number;
}

/**
 * Sends one request with Node's global fetch and reads the body as JSON (a body that is not JSON is
 * kept as text). Never throws: a refused connection, a reset or a timeout becomes a `network-error`.
 */
export async function sendJson(request: HttpRequest): Promise<HttpOutcome> {
  const started = performance.now();
  const elapsed = () => Math.round(performance.now() - started);
  try {
    const response = await fetch(request.url, {
      method: request.method,
      headers: {
        accept: 'application/json',
        ...(request.body !== undefined && { 'content-type': 'application/json' }),
        ...request.headers,
      },
      ...(request.body !== undefined && { body: JSON.stringify(request.body) }),
      signal: AbortSignal.timeout(Math.max(1, Math.round(request.timeoutMs))),
    });
    const text = await response.text();
    return { kind: 'response', status: response.status, body: parseBody(text), elapsedMs: elapsed() };
  } catch (error) {
    return {
      kind: 'network-error',
      message: describeNetworkError(error, request.timeoutMs),
      elapsedMs: elapsed(),
    };
  }
}

/** A 5xx or no answer at all: worth another try when the request is safe to repeat. */
export function isRetryable(outcome: HttpOutcome): boolean {
  return outcome.kind === 'network-error' || outcome.status >= 500;
}

/** One line describing an outcome, e.g. `503 INTERNAL_ERROR: ...` or `timed out after 10000 ms`. */
export function describeOutcome(outcome: HttpOutcome): string {
  if (outcome.kind === 'network-error') return outcome.message;
  const error = (outcome.body as { error?: { code?: unknown; message?: unknown } } | null)?.error;
  if (error && typeof error === 'object') {
    return `HTTP ${outcome.status} ${String(error.code ?? '')}${error.message ? `: ${String(error.message)}` : ''}`;
  }
  return `HTTP ${outcome.status}`;
}

function parseBody(text: string): unknown {
  if (!text) return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

function describeNetworkError(error: unknown, timeoutMs: number): string {
  const e = error as { name?: string; message?: string; cause?: { code?: string; message?: string } };
  if (e?.name === 'TimeoutError' || e?.name === 'AbortError')
    return `timed out after ${Math.round(timeoutMs)} ms`;
  const cause = e?.cause?.code ?? e?.cause?.message;
  return `network error: ${e?.message ?? String(error)}${cause ? ` (${cause})` : ''}`;
}

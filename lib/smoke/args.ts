import { parseArgs } from 'node:util';

/** What a smoke run is told to do. */
export interface SmokeOptions {
  /** Base URL of one region's API (or the local edge), e.g. https://abc.execute-api.us-east-1.amazonaws.com/prod. */
  readonly url: string;
  /** The whole run (health, stock, order, polling) must finish within this many seconds. */
  readonly timeoutSeconds: number;
  /** The SKU of the test order; the run adds one unit of it to the region's stock. */
  readonly sku: string;
  /** Print the final summary as JSON on stdout (step lines go to stderr). */
  readonly json: boolean;
  /** Retry and polling intervals. @default DEFAULT_SMOKE_TIMING */
  readonly timing?: Partial<SmokeTiming>;
}

/** Per-request timeout, retries and polling backoff. */
export interface SmokeTiming {
  /** Each request is aborted after this long (or sooner, at the run's deadline). */
  readonly requestTimeoutMs: number;
  /** Extra attempts after a network error or a 5xx, for the requests that are safe to repeat. */
  readonly maxRetries: number;
  /** First retry delay; doubles with each retry, capped at `pollMaxMs`. */
  readonly retryDelayMs: number;
  /** First delay between two reads of the order; grows 1.5× per poll. */
  readonly pollInitialMs: number;
  /** Longest delay between two polls (and between two retries). */
  readonly pollMaxMs: number;
}

export const DEFAULT_SMOKE_TIMING: SmokeTiming = {
  requestTimeoutMs: 10_000,
  maxRetries: 4,
  retryDelayMs: 1_000,
  pollInitialMs: 1_000,
  pollMaxMs: 10_000,
};

export const DEFAULT_TIMEOUT_SECONDS = 300;
export const DEFAULT_SKU = 'PROD-990001';

export const USAGE = `usage: npm run smoke -- --url <base URL> [--timeout <seconds>] [--sku <PROD-digits>] [--json]

Checks one region end to end: GET /health, tops up the test SKU's stock by one unit (PUT /inventory/{sku}),
places a test order (POST /orders, paid with tok_visa) and polls GET /orders/{id} until it is FULFILLED.

  --url <base URL>      the API's base URL (required), e.g. https://abc.execute-api.us-east-1.amazonaws.com/prod
                        or http://localhost:8080
  --timeout <seconds>   deadline for the whole run (default ${DEFAULT_TIMEOUT_SECONDS})
  --sku <PROD-digits>   SKU of the test order (default ${DEFAULT_SKU}); each run consumes one unit of it
  --json                print the summary as JSON on stdout (step lines go to stderr)
  -h, --help            show this help

exit codes: 0 the order was FULFILLED; 1 the smoke test failed (unhealthy, order FAILED or CANCELLED,
timeout, unexpected answer); 2 usage error`;

/** The outcome of reading the command line. */
export type ParsedArgs =
  | { readonly kind: 'run'; readonly options: SmokeOptions }
  | { readonly kind: 'help' }
  | { readonly kind: 'usage-error'; readonly message: string };

/** Reads `--url`, `--timeout`, `--sku`, `--json` and `--help`; never throws. */
export function parseSmokeArgs(argv: readonly string[]): ParsedArgs {
  let values: { url?: string; timeout?: string; sku?: string; json?: boolean; help?: boolean };
  try {
    ({ values } = parseArgs({
      args: [...argv],
      options: {
        url: { type: 'string' },
        timeout: { type: 'string' },
        sku: { type: 'string' },
        json: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
      allowPositionals: false,
    }));
  } catch (error) {
    return { kind: 'usage-error', message: (error as Error).message };
  }
  if (values.help) return { kind: 'help' };

  if (!values.url) return { kind: 'usage-error', message: '--url is required' };
  let url: URL;
  try {
    url = new URL(values.url);
  } catch {
    return { kind: 'usage-error', message: `--url: not a URL: ${values.url}` };
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    return { kind: 'usage-error', message: `--url: must be http or https, got ${url.protocol}` };
  }
  if (url.search || url.hash)
    return { kind: 'usage-error', message: '--url: must not have a query or fragment' };

  const timeoutSeconds = values.timeout === undefined ? DEFAULT_TIMEOUT_SECONDS : Number(values.timeout);
  if (!Number.isFinite(timeoutSeconds) || timeoutSeconds <= 0 || timeoutSeconds > 86_400) {
    return {
      kind: 'usage-error',
      message: `--timeout: must be a number of seconds in (0, 86400], got ${values.timeout}`,
    };
  }

  const sku = values.sku ?? DEFAULT_SKU;
  if (!/^PROD-\d{1,20}$/.test(sku)) {
    return { kind: 'usage-error', message: `--sku: must be PROD- followed by 1-20 digits, got ${sku}` };
  }

  return { kind: 'run', options: { url: values.url, timeoutSeconds, sku, json: values.json ?? false } };
}

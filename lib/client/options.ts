import { MeridianClientInputError } from './errors';
import type { AttemptRecord, MeridianClientOptions, RegionEndpoint } from './types';

/** Defaults of the numeric options, in unscaled milliseconds. */
export const CLIENT_DEFAULTS = {
  maxAttempts: 4,
  attemptTimeoutMs: 10_000,
  baseDelayMs: 100,
  maxDelayMs: 2_000,
  avoidMs: 30_000,
  timeScale: 1,
} as const;

/** Options checked and completed; durations already divided by the time scale. */
export interface ResolvedOptions {
  /** Base URL without a trailing slash. */
  readonly edgeUrl?: string;
  /** Base URLs without a trailing slash. */
  readonly regions: readonly RegionEndpoint[];
  readonly location?: string;
  readonly maxAttempts: number;
  readonly attemptTimeoutMs: number;
  readonly baseDelayMs: number;
  readonly maxDelayMs: number;
  readonly avoidMs: number;
  /** Kept to scale durations that arrive at run time (Retry-After). */
  readonly timeScale: number;
  readonly fetch: typeof fetch;
  readonly now: () => number;
  readonly random: () => number;
  readonly sleep: (ms: number) => Promise<void>;
  readonly onAttempt?: (attempt: AttemptRecord) => void;
  readonly log?: (line: string) => void;
}

/** Validates the constructor's options; a bad one throws a {@link MeridianClientInputError} naming it. */
export function resolveOptions(options: MeridianClientOptions): ResolvedOptions {
  if (options === null || typeof options !== 'object') {
    throw new MeridianClientInputError('options', 'must be an object');
  }
  const edgeUrl = options.edgeUrl === undefined ? undefined : baseUrl('edgeUrl', options.edgeUrl);
  const regions = regionList(options.regions);
  if (edgeUrl === undefined && regions.length === 0) {
    throw new MeridianClientInputError(
      'edgeUrl/regions',
      'must name at least one endpoint (an edgeUrl or a region)',
    );
  }
  if (options.location !== undefined && !isHeaderToken(options.location)) {
    throw new MeridianClientInputError(
      'location',
      `must be a non-empty region name (got ${show(options.location)})`,
    );
  }

  const timeScale = positive('timeScale', options.timeScale, CLIENT_DEFAULTS.timeScale);
  const maxAttempts = options.maxAttempts ?? CLIENT_DEFAULTS.maxAttempts;
  if (!Number.isSafeInteger(maxAttempts) || maxAttempts < 1) {
    throw new MeridianClientInputError(
      'maxAttempts',
      `must be a positive integer (got ${show(maxAttempts)})`,
    );
  }
  const scaled = (name: keyof typeof CLIENT_DEFAULTS, value: number | undefined) =>
    positive(name, value, CLIENT_DEFAULTS[name]) / timeScale;

  return {
    ...(edgeUrl !== undefined && { edgeUrl }),
    regions,
    ...(options.location !== undefined && { location: options.location }),
    maxAttempts,
    attemptTimeoutMs: scaled('attemptTimeoutMs', options.attemptTimeoutMs),
    baseDelayMs: scaled('baseDelayMs', options.baseDelayMs),
    maxDelayMs: scaled('maxDelayMs', options.maxDelayMs),
    avoidMs: scaled('avoidMs', options.avoidMs),
    timeScale,
    fetch: fn('fetch', options.fetch) ?? ((input, init) => fetch(input, init)),
    now: fn('now', options.now) ?? Date.now,
    random: fn('random', options.random) ?? Math.random,
    sleep: fn('sleep', options.sleep) ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms))),
    ...optional('onAttempt', fn('onAttempt', options.onAttempt)),
    ...optional('log', fn('log', options.log)),
  };
}

function regionList(value: readonly RegionEndpoint[] | undefined): RegionEndpoint[] {
  if (value === undefined) return [];
  if (!Array.isArray(value))
    throw new MeridianClientInputError('regions', 'must be an array of { region, url }');
  const seen = new Set<string>();
  return value.map((entry: unknown, i) => {
    const field = `regions[${i}]`;
    if (entry === null || typeof entry !== 'object') {
      throw new MeridianClientInputError(field, 'must be an object { region, url }');
    }
    const { region, url } = entry as { region?: unknown; url?: unknown };
    if (typeof region !== 'string' || !isHeaderToken(region)) {
      throw new MeridianClientInputError(
        `${field}.region`,
        `must be a non-empty region name (got ${show(region)})`,
      );
    }
    if (seen.has(region))
      throw new MeridianClientInputError(`${field}.region`, `duplicates region "${region}"`);
    seen.add(region);
    return { region, url: baseUrl(`${field}.url`, url) };
  });
}

/** An http(s) URL without query or fragment, returned without its trailing slash. */
function baseUrl(field: string, value: unknown): string {
  let url: URL;
  try {
    if (typeof value !== 'string') throw new TypeError('not a string');
    url = new URL(value);
  } catch {
    throw new MeridianClientInputError(field, `must be an absolute http(s) URL (got ${show(value)})`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new MeridianClientInputError(field, `must be an http(s) URL (got ${show(value)})`);
  }
  if (url.search !== '' || url.hash !== '' || url.username !== '' || url.password !== '') {
    throw new MeridianClientInputError(
      field,
      `must be a base URL without query, fragment or credentials (got ${show(value)})`,
    );
  }
  return url.toString().replace(/\/+$/, '');
}

function positive(field: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
    throw new MeridianClientInputError(field, `must be a positive finite number (got ${show(value)})`);
  }
  return value;
}

function fn<F>(field: string, value: F | undefined): F | undefined {
  if (value !== undefined && typeof value !== 'function') {
    throw new MeridianClientInputError(field, `must be a function (got ${show(value)})`);
  }
  return value;
}

function optional<K extends string, V>(key: K, value: V | undefined): Partial<Record<K, V>> {
  return value === undefined ? {} : ({ [key]: value } as Record<K, V>);
}

/** A region name usable as a header value: printable ASCII, no spaces. */
function isHeaderToken(value: unknown): value is string {
  return typeof value === 'string' && /^[\x21-\x7e]{1,128}$/.test(value);
}

/** A short, printable rendering of a rejected value. */
export function show(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value.length > 80 ? `${value.slice(0, 80)}…` : value);
  if (typeof value === 'function') return 'a function';
  if (value === null || typeof value !== 'object') return String(value);
  return Array.isArray(value) ? 'an array' : 'an object';
}

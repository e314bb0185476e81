import { z } from 'zod';

/** Raised at cold start when the environment does not satisfy a service's config schema. */
export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

/**
 * Reads and validates configuration from environment variables once.
 * Keys of `shape` are variable names; a missing or bad variable fails fast, naming every offender.
 */
export function loadConfig<S extends z.ZodRawShape>(
  shape: S,
  env: NodeJS.ProcessEnv = process.env,
): Readonly<z.output<z.ZodObject<S>>> {
  const result = z.object(shape).safeParse(env);
  if (!result.success) {
    const problems = result.error.issues.map((i) => {
      const name = i.path.join('.');
      return env[name] === undefined ? `${name} is not set` : `${name}: ${i.message}`;
    });
    throw new ConfigError(`invalid configuration: ${problems.join('; ')}`);
  }
  return Object.freeze(result.data);
}

/** Common variable schemas. */
export const env = {
  /** A non-empty string such as a table name or ARN. */
  required: () => z.string().min(1),
  /** The AWS region this copy of the service runs in (set by Lambda itself). */
  region: () => z.string().regex(/^[a-z]{2}(-[a-z]+)+-\d$/, 'must be an AWS region such as eu-west-1'),
  /** One or more AWS regions, comma-separated (`us-east-1,eu-west-1`), kept in order, no repeats. */
  regionList: () =>
    z
      .string()
      .min(1)
      .transform((v) => v.split(',').map((r) => r.trim()))
      .pipe(
        z
          .array(z.string().regex(/^[a-z]{2}(-[a-z]+)+-\d$/, 'each must be an AWS region such as eu-west-1'))
          .min(1)
          .refine((rs) => new Set(rs).size === rs.length, 'must not name a region twice'),
      ),
  /** An integer with a default. */
  int: (def: number, min = 0, max = Number.MAX_SAFE_INTEGER) =>
    z.coerce.number().int().min(min).max(max).default(def),
  /** A probability in [0, 1] with a default. */
  rate: (def: number) => z.coerce.number().min(0).max(1).default(def),
  /** A boolean written as true/false/1/0 with a default. */
  bool: (def: boolean) =>
    z
      .enum(['true', 'false', '1', '0'])
      .default(def ? 'true' : 'false')
      .transform((v) => v === 'true' || v === '1'),
};

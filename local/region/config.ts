/** What the supervisor tells a region process: who it is, where its state lives, its ports and its peers. */
import { z } from 'zod';

/** The loopback ports of one region's endpoints, one per service (the handlers' AWS_ENDPOINT_URL_*). */
export const PORT_NAMES = [
  'api',
  'dynamodb',
  'sqs',
  'sfn',
  'events',
  'lambda',
  'sns',
  'ses',
  'secrets',
  'control',
] as const;
export type PortName = (typeof PORT_NAMES)[number];
export type RegionPorts = Readonly<Record<PortName, number>>;

const port = z.number().int().min(1).max(65_535);

/** The longest takeover grace period, in seconds: lib/config's maximum of 1440 minutes. */
export const MAX_TAKEOVER_GRACE_SECONDS = 86_400;

const linkStateSchema = z.object({
  lagMs: z.number().min(0),
  partitioned: z.boolean(),
});
export type LinkState = z.infer<typeof linkStateSchema>;

export const regionConfigSchema = z.object({
  region: z.string().regex(/^[a-z]{2}(-[a-z]+)+-\d$/),
  /** The synthesized cloud assembly (read, not synthesized again, by the region). */
  assemblyDir: z.string().min(1),
  /** `.meridian/<region>`: everything this region keeps across restarts. */
  stateDir: z.string().min(1),
  ports: z.object(
    Object.fromEntries(PORT_NAMES.map((name) => [name, port])) as Record<PortName, typeof port>,
  ),
  /**
   * The other regions: their control endpoint receives this region's replication and forwarded events; their
   * DynamoDB endpoint serves the requests this region's handlers sign for them (a client created with
   * `region: <peer>`), as `dynamodb.<peer>.amazonaws.com` would. Without `dynamodbUrl`, such requests are
   * served by this region's replica.
   */
  peers: z.array(
    z.object({ region: z.string(), controlUrl: z.string().url(), dynamodbUrl: z.string().url().optional() }),
  ),
  /** Per peer: one-way lag and partition of the link from this region to it. */
  links: z.record(z.string(), linkStateSchema),
  /** Divides background durations (TTL sweeps, schedules, retries, Step Functions waits). */
  timeScale: z.number().positive(),
  /** The edge's base URL: it serves the Route 53 API the handlers reach through AWS_ENDPOINT_URL_ROUTE_53. */
  edgeUrl: z.string().url(),
  /**
   * Overrides every function's TAKEOVER_GRACE_SECONDS (AWS seconds, before the time scale divides it).
   * Absent: the template's value applies.
   */
  takeoverGraceSeconds: z.number().int().min(1).max(MAX_TAKEOVER_GRACE_SECONDS).optional(),
});
export type RegionConfig = z.infer<typeof regionConfigSchema>;

/** The environment variable the supervisor passes a region's config in (JSON). */
export const REGION_CONFIG_VARIABLE = 'MERIDIAN_REGION_CONFIG';

/** The base URL of a port on loopback. */
export function loopback(p: number): string {
  return `http://127.0.0.1:${p}`;
}

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
  /** The other regions: their control endpoint receives this region's replication and forwarded events. */
  peers: z.array(z.object({ region: z.string(), controlUrl: z.string().url() })),
  /** Per peer: one-way lag and partition of the link from this region to it. */
  links: z.record(z.string(), linkStateSchema),
  /** Divides background durations (TTL sweeps, schedules, retries, Step Functions waits). */
  timeScale: z.number().positive(),
});
export type RegionConfig = z.infer<typeof regionConfigSchema>;

/** The environment variable the supervisor passes a region's config in (JSON). */
export const REGION_CONFIG_VARIABLE = 'MERIDIAN_REGION_CONFIG';

/** The base URL of a port on loopback. */
export function loopback(p: number): string {
  return `http://127.0.0.1:${p}`;
}

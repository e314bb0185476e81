/**
 * The contract between the FIS experiment templates of lib/regional, the drills that start them and the
 * local runtime's FIS endpoint: the action that pauses Global Tables replication, and the tags a drill finds
 * a region's template by.
 */
import { HEALTH_CHECK_TAGS } from './route53-health';

/** The FIS action that pauses Global Tables (MREC) replication to and from the targeted replicas. */
export const REPLICATION_PAUSE_ACTION = 'aws:dynamodb:global-table-pause-replication';

/** The FIS target resource type of that action. */
export const GLOBAL_TABLE_RESOURCE_TYPE = 'aws:dynamodb:global-table';

/** The tags on each region's experiment template: the environment and region as on health checks, and the drill. */
export const FIS_TEMPLATE_TAGS = {
  environment: HEALTH_CHECK_TAGS.environment,
  region: HEALTH_CHECK_TAGS.region,
  /** The drill scenario the template injects the fault of, e.g. `replication-partition`. */
  drill: 'meridian:drill',
} as const;

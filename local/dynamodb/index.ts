export { DynamoError } from './backend';
export { FORWARDED_FROM_HEADER, signingRegionOf, type PeerForwardStats } from './peer-proxy';
export { extractKey, normalizeNumber, type AttributeMap, type AttributeValue, type KeySchema } from './keys';
export {
  REPLICATION_TABLE,
  RegionalDynamo,
  type ApplyResult,
  type ChangeRecord,
  type RegionalDynamoOptions,
  type RegionalDynamoStats,
  type ReplicationChange,
} from './regional';

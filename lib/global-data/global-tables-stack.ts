import { RemovalPolicy, Stack, type StackProps } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type { Construct } from 'constructs';
import { TABLES, type TableDefinition, type TableId } from '../../services/shared/tables';
import type { MeridianEnvironment } from '../config';
import { dataKeyAliasArn } from './data-keys-stack';

/**
 * The physical name of a table in every region of an environment, e.g. `meridian-prod-orders`.
 * Regional stacks bind to their replica with `TableV2.fromTableName(scope, id, tableName(config, id))`.
 */
export function tableName(config: MeridianEnvironment, id: TableId): string {
  return `${config.prefix}-${id}`;
}

export interface GlobalTablesStackProps extends StackProps {
  /** The environment; the stack's `env.region` must be its primary region. */
  readonly config: MeridianEnvironment;
  /** The data key of the primary region (the other regions' keys are found through their alias). */
  readonly primaryKey: kms.IKey;
}

/**
 * Every table of services/shared/tables.ts as a DynamoDB Global Table with a replica in each region of
 * the environment, encrypted with that region's data key, PITR on every replica, and deletion
 * protection and retention wherever data is protected.
 */
export class GlobalTablesStack extends Stack {
  /** The tables by id, for the rare consumer in this stack's region and stage (others use `tableName`). */
  readonly tables: Readonly<Record<TableId, dynamodb.TableV2>>;

  constructor(scope: Construct, id: string, props: GlobalTablesStackProps) {
    super(scope, id, props);
    const { config, primaryKey } = props;
    if (this.region !== config.primaryRegion) {
      throw new Error(
        `GlobalTablesStack: must be deployed to the primary region ${config.primaryRegion}, not ${this.region}`,
      );
    }

    const replicaRegions = config.regions.filter((r) => r !== config.primaryRegion);
    // KMSMasterKeyId of AWS::DynamoDB::GlobalTable ReplicaSSESpecification accepts "its key ID, Amazon
    // Resource Name (ARN), alias name, or alias ARN" of a key in the replica's region (AWS CloudFormation
    // Template Reference, AWS::DynamoDB::GlobalTable ReplicaSSESpecification). The alias ARN lets this
    // stack name the other regions' keys without a cross-region reference.
    const replicaKeyArns = Object.fromEntries(replicaRegions.map((r) => [r, dataKeyAliasArn(config, r)]));
    const encryption = dynamodb.TableEncryptionV2.customerManagedKey(primaryKey, replicaKeyArns);

    const tables = {} as Record<TableId, dynamodb.TableV2>;
    for (const definition of Object.values(TABLES)) {
      tables[definition.id] = new dynamodb.TableV2(this, logicalId(definition.id), {
        ...keySchema(definition),
        ...consistency(config, definition),
        tableName: tableName(config, definition.id),
        billing: dynamodb.Billing.onDemand(),
        encryption,
        pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
        deletionProtection: config.protectData,
        removalPolicy: config.protectData ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY,
        timeToLiveAttribute: definition.ttlAttribute,
        // Global Tables replicate through streams with both images; set even for a single region, so that
        // adding a region later only adds a replica.
        dynamoStream: dynamodb.StreamViewType.NEW_AND_OLD_IMAGES,
        replicas: replicaRegions.map((region) => ({ region })),
      });
    }
    this.tables = tables;
  }
}

function keySchema(
  definition: TableDefinition,
): Pick<dynamodb.TablePropsV2, 'partitionKey' | 'sortKey' | 'globalSecondaryIndexes'> {
  const attribute = (name: string): dynamodb.Attribute => ({ name, type: dynamodb.AttributeType.STRING });
  return {
    partitionKey: attribute(definition.partitionKey),
    sortKey: attribute(definition.sortKey),
    globalSecondaryIndexes: definition.gsis.map((gsi) => ({
      indexName: gsi.indexName,
      partitionKey: attribute(gsi.partitionKey),
      sortKey: attribute(gsi.sortKey),
      projectionType: dynamodb.ProjectionType.ALL,
    })),
  };
}

/**
 * Multi-Region strong consistency for the inventory table when the environment asks for it. MRSC
 * supports neither TTL nor transactions; the region-set and replica-count rules are checked by the config.
 */
function consistency(
  config: MeridianEnvironment,
  definition: TableDefinition,
): Pick<dynamodb.TablePropsV2, 'multiRegionConsistency' | 'witnessRegion'> {
  if (definition.id !== 'inventory' || config.inventoryConsistency !== 'strong') return {};
  if (definition.ttlAttribute) {
    throw new Error(`table ${definition.id}: multi-Region strong consistency does not support TTL`);
  }
  return {
    multiRegionConsistency: dynamodb.MultiRegionConsistency.STRONG,
    ...(config.witnessRegion && { witnessRegion: config.witnessRegion }),
  };
}

/** `processed-events` → `ProcessedEventsTable`. */
function logicalId(id: TableId): string {
  return `${id.replace(/(^|-)([a-z])/g, (_, _dash: string, c: string) => c.toUpperCase())}Table`;
}

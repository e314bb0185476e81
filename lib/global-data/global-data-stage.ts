import { Stage, type StageProps } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import type { MeridianEnvironment } from '../config';
import { DataKeysStack } from './data-keys-stack';
import { GlobalTablesStack } from './global-tables-stack';

export interface GlobalDataStageProps extends StageProps {
  /** The environment whose data this stage holds. */
  readonly config: MeridianEnvironment;
}

/**
 * The data every regional stage relies on, deployed before them: a data key in each region of the
 * environment, then the Global Tables in the primary region with a replica in every region.
 */
export class GlobalDataStage extends Stage {
  /** The data key stacks, by region. */
  readonly keys: Readonly<Record<string, DataKeysStack>>;
  /** The Global Tables, in the primary region. */
  readonly tables: GlobalTablesStack;

  constructor(scope: Construct, id: string, props: GlobalDataStageProps) {
    const { config, ...stageProps } = props;
    super(scope, id, { ...stageProps, env: { ...stageProps.env, account: config.account } });

    const keys: Record<string, DataKeysStack> = {};
    for (const region of config.regions) {
      keys[region] = new DataKeysStack(this, `DataKeys-${region}`, {
        config,
        env: { account: config.account, region },
        description: `Meridian ${config.name}: data key for ${region}`,
        terminationProtection: config.protectData,
      });
    }
    this.keys = keys;

    this.tables = new GlobalTablesStack(this, 'GlobalTables', {
      config,
      env: { account: config.account, region: config.primaryRegion },
      description: `Meridian ${config.name}: DynamoDB Global Tables (replicas in ${config.regions.join(', ')})`,
      primaryKey: keys[config.primaryRegion]!.key,
      terminationProtection: config.protectData,
    });
    // Every replica's key must exist before the table gets a replica in its region.
    for (const stack of Object.values(keys)) this.tables.addStackDependency(stack);
  }
}

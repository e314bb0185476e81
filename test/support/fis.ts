import type { ExperimentTemplateModel } from '../../local/assembly';
import { FIS_TEMPLATE_TAGS, REPLICATION_PAUSE_ACTION } from '../../services/shared/fault-injection';

/** The account id of the FIS fixtures. */
export const FIS_ACCOUNT = '000000000000';

/**
 * A region's replication-pause template as lib/regional/fault-injection.ts makes it for `environment`:
 * its `orders` replica paused for `duration`, tagged for the replication-partition drill.
 */
export function pauseTemplate(
  region: string,
  environment: string,
  overrides: Partial<ExperimentTemplateModel> & { duration?: string } = {},
): ExperimentTemplateModel {
  const { duration = 'PT30M', ...rest } = overrides;
  return {
    logicalId: 'ReplicationPauseTemplate',
    description: `pause ${region}`,
    roleArn: `arn:aws:iam::${FIS_ACCOUNT}:role/fis`,
    targets: {
      Tables: {
        resourceType: 'aws:dynamodb:global-table',
        resourceArns: [`arn:aws:dynamodb:${region}:${FIS_ACCOUNT}:table/${environment}-orders`],
        selectionMode: 'ALL',
      },
    },
    actions: {
      PauseReplication: {
        actionId: REPLICATION_PAUSE_ACTION,
        parameters: { duration },
        targets: { Tables: 'Tables' },
      },
    },
    stopConditions: [{ source: 'none' }],
    tags: {
      [FIS_TEMPLATE_TAGS.environment]: environment,
      [FIS_TEMPLATE_TAGS.region]: region,
      [FIS_TEMPLATE_TAGS.drill]: 'replication-partition',
    },
    ...rest,
  };
}

import { Arn, ArnFormat, Aws, Duration, RemovalPolicy, Stack, type StackProps } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import type { Construct } from 'constructs';
import type { MeridianEnvironment } from '../config';

/** The alias of the data key in every region of an environment, e.g. `alias/meridian-prod-data`. */
export function dataKeyAliasName(config: MeridianEnvironment): string {
  return `alias/${config.prefix}-data`;
}

/**
 * The ARN of the data key's alias in `region`. Other regions and stages find the key through it, so no
 * cross-region or cross-stage reference is needed (DynamoDB accepts an alias ARN as a replica's key).
 */
export function dataKeyAliasArn(config: MeridianEnvironment, region: string): string {
  return Arn.format({
    partition: Aws.PARTITION,
    service: 'kms',
    region,
    account: config.account,
    resource: 'alias',
    resourceName: dataKeyAliasName(config).slice('alias/'.length),
    arnFormat: ArnFormat.SLASH_RESOURCE_NAME,
  });
}

export interface DataKeysStackProps extends StackProps {
  /** The environment; the stack's `env.region` must be one of its regions. */
  readonly config: MeridianEnvironment;
}

/**
 * One region's customer-managed KMS key for data at rest (the Global Table replicas in that region),
 * with yearly rotation and the alias `alias/${prefix}-data`.
 */
export class DataKeysStack extends Stack {
  /** The region's data key. */
  readonly key: kms.Key;

  constructor(scope: Construct, id: string, props: DataKeysStackProps) {
    super(scope, id, props);
    const { config } = props;
    if (!config.regions.includes(this.region)) {
      throw new Error(`DataKeysStack: region ${this.region} is not a region of environment ${config.name}`);
    }

    this.key = new kms.Key(this, 'DataKey', {
      description: `Meridian ${config.name}: DynamoDB Global Table data at rest in ${this.region}`,
      alias: dataKeyAliasName(config),
      enableKeyRotation: true,
      removalPolicy: config.protectData ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY,
      // Deleting a key makes every backup encrypted with it unreadable: keep the longest window for real data.
      pendingWindow: Duration.days(config.protectData ? 30 : 7),
    });

    // Key policy for a customer managed key used by DynamoDB (AWS KMS Developer Guide, "How Amazon
    // DynamoDB uses AWS KMS" — customer managed key policy): the same use statement as the AWS managed
    // key aws/dynamodb, so any principal of this account whose IAM policy lets it use a table can have
    // DynamoDB decrypt the table key on its behalf (grants on the tables need no KMS statements), and
    // no one can use the key directly. `dynamodb.*` because global tables make cross-Region calls.
    this.key.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'AllowUseThroughDynamoDBForPrincipalsOfThisAccount',
        principals: [new iam.AnyPrincipal()],
        actions: [
          'kms:Encrypt',
          'kms:Decrypt',
          'kms:ReEncrypt*',
          'kms:GenerateDataKey*',
          'kms:CreateGrant',
          'kms:DescribeKey',
        ],
        resources: ['*'],
        conditions: {
          StringEquals: { 'kms:CallerAccount': this.account },
          StringLike: { 'kms:ViaService': `dynamodb.*.${Aws.URL_SUFFIX}` },
        },
      }),
    );
    // DynamoDB checks the key's state and metadata directly (read-only) to keep the table accessible.
    this.key.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'AllowDynamoDBToReadKeyMetadata',
        principals: [new iam.ServicePrincipal('dynamodb.amazonaws.com')],
        actions: ['kms:Describe*', 'kms:Get*', 'kms:List*'],
        resources: ['*'],
      }),
    );
  }
}

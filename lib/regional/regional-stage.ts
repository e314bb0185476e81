import { Stage, type CfnOutput, type StageProps } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import type { MeridianEnvironment } from '../config';
import { RegionalStack } from './regional-stack';

/** Props of {@link RegionalStage}. */
export interface RegionalStageProps extends StageProps {
  /** The environment this copy of the platform belongs to. */
  readonly config: MeridianEnvironment;
  /** The region of this copy; one of `config.regions`. */
  readonly region: string;
  /**
   * The `From` address of customer e-mail.
   * @default see {@link RegionalStackProps.emailSender}
   */
  readonly emailSender?: string;
}

/**
 * One regional copy of Meridian, identical in every region: a single {@link RegionalStack} named
 * `<prefix>-<region>`. Its outputs feed the pipeline's post-deploy smoke test (`envFromCfnOutputs`).
 */
export class RegionalStage extends Stage {
  readonly stack: RegionalStack;
  /** The API's base URL in this region. */
  readonly apiUrlOutput: CfnOutput;
  /** The deep health check's URL in this region. */
  readonly healthUrlOutput: CfnOutput;

  constructor(scope: Construct, id: string, props: RegionalStageProps) {
    const { config, region, emailSender, ...stageProps } = props;
    if (!config.regions.includes(region)) {
      throw new Error(
        `RegionalStage: ${region} is not one of the ${config.name} regions (${config.regions.join(', ')})`,
      );
    }
    super(scope, id, { ...stageProps, env: { account: config.account, region } });
    this.stack = new RegionalStack(this, 'Regional', {
      config,
      emailSender,
      stackName: `${config.prefix}-${region}`,
      env: { account: config.account, region },
    });
    this.apiUrlOutput = this.stack.apiUrlOutput;
    this.healthUrlOutput = this.stack.healthUrlOutput;
  }
}

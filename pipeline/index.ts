export {
  PIPELINE_CDK_ASSETS_VERSION,
  PIPELINE_CLI_VERSION,
  PIPELINE_NODE_VERSION,
  PipelineStack,
  stagePrefix,
  synthCommand,
  type PipelineStackProps,
} from './pipeline-stack';

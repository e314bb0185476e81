export * from './audit';
export { awsTarget, DrillTargetError, type AwsTargetOptions } from './aws-target';
export { controlEndpointHandle, inProcessHandle, localTarget, type LocalRuntimeHandle } from './local-target';
export {
  startLoad,
  startProbe,
  type Load,
  type Probe,
  type ProbeRecord,
  type SubmissionRecord,
} from './load';
export {
  formatDrillReport,
  takeoverReport,
  type DrillReport,
  type StrandedOrder,
  type TakeoverReport,
  type TakeoverReportOrder,
} from './report';
export { DrillInterruptedError, runDrill, type DrillOptions } from './run-drill';
export { SCENARIOS, SCENARIO_DEFINITIONS, type ScenarioName } from './scenarios';
export * from './target';
export * from './timeline';

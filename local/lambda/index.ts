export { LambdaError, type LambdaErrorCode } from './errors';
export {
  LambdaService,
  ASYNC_PAYLOAD_LIMIT,
  SYNC_PAYLOAD_LIMIT,
  type FunctionStats,
  type InvokeOptions,
  type InvokeResult,
  type LambdaServiceOptions,
} from './service';
export type { ThrottleMode } from './pool';
export type { DestinationRecord } from './async-queue';
export { lambdaHttpServer, type LambdaHttpServer, type LambdaHttpServerOptions } from './server';

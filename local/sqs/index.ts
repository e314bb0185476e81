export { md5Hex, md5OfMessageAttributes, type MessageAttributeValue } from './md5';
export { FileSqsStore, type SqsStore } from './store';
export {
  ACCOUNT_ID,
  SqsError,
  SqsQueues,
  systemClock,
  type Clock,
  type QueueConfig,
  type QueueCounts,
  type ReceivedMessage,
  type ReceiveInput,
  type RedrivePolicy,
  type SendInput,
  type SendResult,
  type SqsQueuesOptions,
  type SqsStats,
} from './queues';
export { sqsHttpServer, type SqsHttpServer } from './server';
export {
  EventSourceMapping,
  type EventSourceMappingOptions,
  type PollResult,
  type SqsBatchResponse,
  type SqsEvent,
  type SqsHandler,
  type SqsRecord,
} from './esm';

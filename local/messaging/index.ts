export { type LocalEndpoint } from './http';
export {
  listOutbox,
  writeFileAtomic,
  type OutboxMessage,
  type SesOutboxMessage,
  type SnsAttribute,
  type SnsOutboxMessage,
} from './outbox';
export { MAX_MESSAGE_BYTES, snsServer, type SnsServerOptions, type TopicSubscription } from './sns';
export { MAX_EMAIL_BYTES, sesServer, type SesServerOptions } from './ses';
export {
  generateSecretString,
  SecretGenerationError,
  secretsManagerServer,
  type GenerateSecretStringOptions,
  type SecretsManagerServerOptions,
} from './secrets';

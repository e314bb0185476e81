import { GetSecretValueCommand, type SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { ConfigError } from '../../shared/config';
import { MIN_WEBHOOK_SECRET_LENGTH, type SecretSource } from '../domain/webhook-secret';

export interface SecretsManagerSecretSourceProps {
  /** An SDK v3 client, created once per module (and tracer-captured) by the composition root. */
  readonly client: SecretsManagerClient;
  /** The secret's ARN (or name). */
  readonly secretId: string;
}

/**
 * Reads the webhook HMAC secret from AWS Secrets Manager (`GetSecretValue`, current version, `SecretString`).
 * Errors name the secret, never its value. Wrap it in `cachedSecret` so a process reads it once.
 */
export class SecretsManagerSecretSource implements SecretSource {
  constructor(private readonly props: SecretsManagerSecretSourceProps) {}

  async getSecret(): Promise<string> {
    const { secretId } = this.props;
    const output = await this.props.client.send(new GetSecretValueCommand({ SecretId: secretId }));
    const secret = output.SecretString;
    if (typeof secret !== 'string') {
      throw new ConfigError(`invalid configuration: secret ${secretId} has no SecretString`);
    }
    if (secret.length < MIN_WEBHOOK_SECRET_LENGTH) {
      throw new ConfigError(
        `invalid configuration: secret ${secretId} must be at least ${MIN_WEBHOOK_SECRET_LENGTH} characters`,
      );
    }
    return secret;
  }
}

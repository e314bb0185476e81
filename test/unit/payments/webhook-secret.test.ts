import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SecretsManagerSecretSource } from '../../../services/payments/adapters/secrets-manager-secret-source';
import {
  cachedSecret,
  onceSucceeded,
  type SecretSource,
} from '../../../services/payments/domain/webhook-secret';
import { deferredHandler } from '../../../services/payments/handlers/deferred';
import { lambdaContext } from '../../../services/shared/lambda';
import { AwsJsonServer, TEST_CREDENTIALS, type AwsJsonReply } from '../../support/aws-json-server';

const SECRET = 'whsec_0123456789abcdef0123';
const ARN = 'arn:aws:secretsmanager:us-east-1:111111111111:secret:meridian-webhook-AbCdEf';

/** A secret source that answers from a script of outcomes, counting reads. */
class ScriptedSource implements SecretSource {
  reads = 0;
  constructor(private readonly outcomes: (string | Error)[]) {}
  async getSecret(): Promise<string> {
    const outcome = this.outcomes[Math.min(this.reads, this.outcomes.length - 1)]!;
    this.reads++;
    if (outcome instanceof Error) throw outcome;
    return outcome;
  }
}

describe('cachedSecret', () => {
  it('reads the source once, however many callers ask, concurrently or later', async () => {
    const source = new ScriptedSource([SECRET]);
    const secret = cachedSecret(source);

    const concurrent = await Promise.all([secret.getSecret(), secret.getSecret(), secret.getSecret()]);
    const later = await secret.getSecret();

    expect(concurrent).toEqual([SECRET, SECRET, SECRET]);
    expect(later).toBe(SECRET);
    expect(source.reads).toBe(1);
  });

  it('does not keep a failed read: the next caller reads again, and the success is then kept', async () => {
    const source = new ScriptedSource([new Error('ThrottlingException'), SECRET]);
    const secret = cachedSecret(source);

    await expect(secret.getSecret()).rejects.toThrow('ThrottlingException');
    await expect(secret.getSecret()).resolves.toBe(SECRET);
    await expect(secret.getSecret()).resolves.toBe(SECRET);

    expect(source.reads).toBe(2);
  });

  it('lets callers waiting on a failing read see the failure, then retries for the next one', async () => {
    const source = new ScriptedSource([new Error('unreachable'), SECRET]);
    const secret = cachedSecret(source);

    const waiting = await Promise.allSettled([secret.getSecret(), secret.getSecret()]);
    const next = await secret.getSecret();

    expect(waiting.map((r) => r.status)).toEqual(['rejected', 'rejected']);
    expect(next).toBe(SECRET);
    expect(source.reads).toBe(2);
  });
});

describe('onceSucceeded', () => {
  it('runs the load once after it succeeds', async () => {
    let runs = 0;
    const load = onceSucceeded(async () => ++runs);

    expect([await load(), await load()]).toEqual([1, 1]);
  });
});

describe('deferredHandler', () => {
  const context = lambdaContext('authorizePayment');

  it('builds the handler on the first invocation only and passes every event to it', async () => {
    let builds = 0;
    const seen: string[] = [];
    const handler = deferredHandler(async () => {
      builds++;
      return async (event: string) => {
        seen.push(event);
        return `handled ${event}`;
      };
    });

    expect(builds).toBe(0);
    const results = [await handler('a', context), await handler('b', context)];

    expect(results).toEqual(['handled a', 'handled b']);
    expect(seen).toEqual(['a', 'b']);
    expect(builds).toBe(1);
  });

  it('rejects the invocation whose build failed and builds again on the next one', async () => {
    const source = new ScriptedSource([new Error('AccessDeniedException'), SECRET]);
    const handler = deferredHandler(async () => {
      const secret = await source.getSecret();
      return async (event: string) => `${event} with ${secret.length}-char secret`;
    });

    await expect(handler('first', context)).rejects.toThrow('AccessDeniedException');
    await expect(handler('second', context)).resolves.toBe(`second with ${SECRET.length}-char secret`);
    await expect(handler('third', context)).resolves.toBe(`third with ${SECRET.length}-char secret`);
    expect(source.reads).toBe(2);
  });

  it('answers with onUnavailable while the handler cannot be built', async () => {
    const source = new ScriptedSource([new Error('unreachable'), SECRET]);
    const handler = deferredHandler(
      async () => {
        await source.getSecret();
        return async () => ({ statusCode: 200 });
      },
      (err) => ({ statusCode: 500, cause: String(err) }),
    );

    await expect(handler({}, context)).resolves.toEqual({ statusCode: 500, cause: 'Error: unreachable' });
    await expect(handler({}, context)).resolves.toEqual({ statusCode: 200 });
  });
});

describe('SecretsManagerSecretSource', () => {
  let reply: AwsJsonReply;
  const server = new AwsJsonServer(() => reply);
  let source: SecretsManagerSecretSource;

  beforeAll(async () => {
    const endpoint = await server.start();
    const client = new SecretsManagerClient({
      region: 'us-east-1',
      endpoint,
      credentials: TEST_CREDENTIALS,
      maxAttempts: 1,
    });
    source = new SecretsManagerSecretSource({ client, secretId: ARN });
  });
  afterAll(async () => {
    await server.stop();
  });
  beforeEach(() => {
    server.calls.length = 0;
  });

  it('reads SecretString with GetSecretValue for the configured secret', async () => {
    reply = { body: { ARN, Name: 'meridian-webhook', SecretString: SECRET, VersionId: 'v1' } };

    await expect(source.getSecret()).resolves.toBe(SECRET);

    expect(server.calls).toEqual([{ operation: 'GetSecretValue', input: { SecretId: ARN } }]);
  });

  it('rejects a secret shorter than 16 characters without revealing it', async () => {
    reply = { body: { ARN, SecretString: 'short-secret' } };

    const error = await source.getSecret().then(
      () => new Error('expected a rejection'),
      (e: unknown) => e as Error,
    );

    expect(error.name).toBe('ConfigError');
    expect(error.message).toMatch(/at least 16 characters/);
    expect(error.message).toContain(ARN);
    expect(error.message).not.toContain('short-secret');
  });

  it('rejects a secret stored as binary (no SecretString)', async () => {
    reply = { body: { ARN, SecretBinary: Buffer.from(SECRET).toString('base64') } };

    await expect(source.getSecret()).rejects.toThrow(/has no SecretString/);
  });

  it('passes on the service error, such as a missing grant', async () => {
    reply = {
      status: 400,
      body: { __type: 'AccessDeniedException', message: 'not authorized to perform GetSecretValue' },
    };

    await expect(source.getSecret()).rejects.toMatchObject({ name: 'AccessDeniedException' });
  });
});

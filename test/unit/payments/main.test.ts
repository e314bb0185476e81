import { lambdaContext } from '../../../services/shared/lambda';
import { signatureHeader } from '../../../services/payments/provider/domain/signature';
import { AwsJsonServer, type AwsJsonReply } from '../../support/aws-json-server';

const FULL_ENV = {
  AWS_REGION: 'us-east-1',
  PAYMENTS_TABLE: 'payments',
  PROCESSED_EVENTS_TABLE: 'processed-events',
  EVENT_BUS_NAME: 'meridian-bus',
  PAYMENT_WEBHOOK_SECRET: 'whsec_0123456789abcdef',
  PAYMENT_WEBHOOK_URL: 'http://127.0.0.1:9/payments/webhook',
};
const SECRET_ARN = 'arn:aws:secretsmanager:us-east-1:111111111111:secret:meridian-webhook-AbCdEf';
/** The AWS shape: the secret's ARN instead of its value. */
const AWS_ENV = { ...FULL_ENV, PAYMENT_WEBHOOK_SECRET: undefined, PAYMENT_WEBHOOK_SECRET_ARN: SECRET_ARN };

type Entry = (event: unknown, context: ReturnType<typeof lambdaContext>) => Promise<unknown>;
const entry = (mod: Record<string, unknown>, name: string) => mod[name] as Entry;
/** Not a saga step input: a handler that runs rejects it with a ValidationError. */
const BAD_STEP_INPUT = { order: { orderId: 42 } };

/** An API Gateway event for `POST /payments/webhook`, signed with `secret` (a schema-invalid body). */
function webhookEvent(secret: string) {
  const body = '{"not":"a webhook"}';
  const signature = signatureHeader(secret, Math.floor(Date.now() / 1000), body);
  return {
    body,
    isBase64Encoded: false,
    headers: { 'content-type': 'application/json', 'Meridian-Signature': signature },
  };
}

/** Loads main.ts afresh with exactly `vars` set (plus the test env's quiet Powertools settings). */
function loadMain(vars: Record<string, string | undefined>): Record<string, unknown> {
  const saved = { ...process.env };
  for (const key of Object.keys(FULL_ENV)) delete process.env[key];
  for (const key of Object.keys(process.env)) if (key.startsWith('PAYMENT_')) delete process.env[key];
  Object.assign(process.env, Object.fromEntries(Object.entries(vars).filter(([, v]) => v !== undefined)));
  try {
    let mod: Record<string, unknown> = {};
    jest.isolateModules(() => {
      // isolateModules needs a synchronous, re-evaluated load: a fresh cold start per case.
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      mod = require('../../../services/payments/main') as Record<string, unknown>;
    });
    return mod;
  } finally {
    process.env = saved;
  }
}

describe('payments composition root', () => {
  it.each(['PAYMENTS_TABLE', 'PROCESSED_EVENTS_TABLE', 'EVENT_BUS_NAME', 'PAYMENT_WEBHOOK_URL'])(
    'fails fast naming %s when it is missing',
    (name) => {
      expect(() => loadMain({ ...FULL_ENV, [name]: undefined })).toThrow(new RegExp(`${name} is not set`));
    },
  );

  it('rejects a webhook secret shorter than 16 characters', () => {
    expect(() => loadMain({ ...FULL_ENV, PAYMENT_WEBHOOK_SECRET: 'short' })).toThrow(
      /PAYMENT_WEBHOOK_SECRET: .*16/,
    );
  });

  it('refuses both secret variables at once, naming both', () => {
    expect(() => loadMain({ ...FULL_ENV, PAYMENT_WEBHOOK_SECRET_ARN: SECRET_ARN })).toThrow(
      /only one of PAYMENT_WEBHOOK_SECRET .* PAYMENT_WEBHOOK_SECRET_ARN .*not both/,
    );
  });

  it('rejects a secret ARN that is not a Secrets Manager ARN', () => {
    expect(() =>
      loadMain({ ...AWS_ENV, PAYMENT_WEBHOOK_SECRET_ARN: 'arn:aws:ssm:us-east-1:111111111111:parameter/x' }),
    ).toThrow(/PAYMENT_WEBHOOK_SECRET_ARN: must be a Secrets Manager secret ARN/);
  });

  describe('with neither secret variable', () => {
    const noSecret = { ...FULL_ENV, PAYMENT_WEBHOOK_SECRET: undefined };

    it.each(['capturePayment', 'refundPayment'])('runs %s, which needs no secret', async (name) => {
      const mod = loadMain(noSecret);

      await expect(entry(mod, name)(BAD_STEP_INPUT, lambdaContext(name))).rejects.toMatchObject({
        name: 'ValidationError',
      });
    });

    it('fails every authorizePayment invocation with a config error naming both variables', async () => {
      const authorize = entry(loadMain(noSecret), 'authorizePayment');

      for (let i = 0; i < 2; i++) {
        await expect(authorize(BAD_STEP_INPUT, lambdaContext('authorizePayment'))).rejects.toThrow(
          /PAYMENT_WEBHOOK_SECRET .* PAYMENT_WEBHOOK_SECRET_ARN .*neither is set/,
        );
      }
    });

    it('answers webhooks with a 500 that reveals nothing', async () => {
      const webhook = entry(loadMain(noSecret), 'webhook');

      const response = (await webhook(webhookEvent('whsec_0123456789abcdef'), lambdaContext('webhook'))) as {
        statusCode: number;
        body: string;
      };

      expect(response.statusCode).toBe(500);
      expect(JSON.parse(response.body)).toEqual({
        error: { code: 'INTERNAL_ERROR', message: 'internal error', fields: [] },
      });
    });
  });

  describe('with the secret in Secrets Manager (PAYMENT_WEBHOOK_SECRET_ARN)', () => {
    const SECRET = 'whsec_from_secrets_manager_0123';
    let replies: AwsJsonReply[];
    const server = new AwsJsonServer(() => replies.shift() ?? { body: { SecretString: SECRET } });
    const getSecretValueCalls = () => server.calls.filter((c) => c.operation === 'GetSecretValue');

    beforeAll(async () => {
      process.env.AWS_ENDPOINT_URL_SECRETS_MANAGER = await server.start();
    });
    afterAll(async () => {
      delete process.env.AWS_ENDPOINT_URL_SECRETS_MANAGER;
      await server.stop();
    });
    beforeEach(() => {
      replies = [];
      server.calls.length = 0;
    });

    it('reads nothing at cold start, and nothing for capture or refund', async () => {
      const mod = loadMain(AWS_ENV);

      await expect(
        entry(mod, 'capturePayment')(BAD_STEP_INPUT, lambdaContext('capturePayment')),
      ).rejects.toMatchObject({ name: 'ValidationError' });
      await expect(
        entry(mod, 'refundPayment')(BAD_STEP_INPUT, lambdaContext('refundPayment')),
      ).rejects.toMatchObject({ name: 'ValidationError' });

      expect(getSecretValueCalls()).toEqual([]);
    });

    it('reads the secret on the first authorizePayment invocation only', async () => {
      const authorize = entry(loadMain(AWS_ENV), 'authorizePayment');

      for (let i = 0; i < 3; i++) {
        await expect(authorize(BAD_STEP_INPUT, lambdaContext('authorizePayment'))).rejects.toMatchObject({
          name: 'ValidationError',
        });
      }

      expect(getSecretValueCalls()).toEqual([
        { operation: 'GetSecretValue', input: { SecretId: SECRET_ARN } },
      ]);
    });

    it('reads it again on the next invocation after a failed read', async () => {
      replies = [{ status: 400, body: { __type: 'AccessDeniedException', message: 'no grant' } }];
      const authorize = entry(loadMain(AWS_ENV), 'authorizePayment');

      await expect(authorize(BAD_STEP_INPUT, lambdaContext('authorizePayment'))).rejects.toMatchObject({
        name: 'AccessDeniedException',
      });
      await expect(authorize(BAD_STEP_INPUT, lambdaContext('authorizePayment'))).rejects.toMatchObject({
        name: 'ValidationError',
      });
      await expect(authorize(BAD_STEP_INPUT, lambdaContext('authorizePayment'))).rejects.toMatchObject({
        name: 'ValidationError',
      });

      expect(getSecretValueCalls()).toHaveLength(2);
    });

    it('refuses a stored secret shorter than 16 characters', async () => {
      replies = [{ body: { SecretString: 'too-short' } }];
      const authorize = entry(loadMain(AWS_ENV), 'authorizePayment');

      const error = await authorize(BAD_STEP_INPUT, lambdaContext('authorizePayment')).catch(
        (e: unknown) => e as Error,
      );

      expect(error).toMatchObject({ name: 'ConfigError', message: expect.stringMatching(/at least 16/) });
      expect((error as Error).message).not.toContain('too-short');
    });

    it('verifies webhooks with the stored secret, read once', async () => {
      const webhook = entry(loadMain(AWS_ENV), 'webhook');
      const call = async (secret: string) =>
        ((await webhook(webhookEvent(secret), lambdaContext('webhook'))) as { statusCode: number })
          .statusCode;

      // Signed with the stored secret: past the signature, the body fails the schema (400).
      expect(await call(SECRET)).toBe(400);
      // Signed with another secret: 401.
      expect(await call('whsec_some_other_secret_0000')).toBe(401);

      expect(getSecretValueCalls()).toHaveLength(1);
    });
  });

  it('rejects an approval rate outside [0, 1]', () => {
    expect(() => loadMain({ ...FULL_ENV, PAYMENT_APPROVAL_RATE: '1.5' })).toThrow(/PAYMENT_APPROVAL_RATE/);
  });

  it('refuses a dedupe lease the webhook retry schedule would not outlast twice, naming the variables', () => {
    expect(() => loadMain({ ...FULL_ENV, PAYMENT_WEBHOOK_DEDUPE_LEASE_MS: '30000' })).toThrow(
      /PAYMENT_WEBHOOK_DEDUPE_LEASE_MS \(30000\) must be less than half the webhook retry span/,
    );
    expect(() =>
      loadMain({ ...FULL_ENV, PAYMENT_WEBHOOK_MAX_ATTEMPTS: '3', PAYMENT_WEBHOOK_DEDUPE_LEASE_MS: '5000' }),
    ).toThrow(/PAYMENT_WEBHOOK_MAX_ATTEMPTS/);
  });

  it('accepts a shorter lease with a longer retry schedule', () => {
    const mod = loadMain({
      ...FULL_ENV,
      PAYMENT_WEBHOOK_DEDUPE_LEASE_MS: '20000',
      PAYMENT_WEBHOOK_MAX_ATTEMPTS: '20',
      PAYMENT_WEBHOOK_RETRY_MAX_DELAY_MS: '10000',
    });
    expect(typeof mod.webhook).toBe('function');
  });

  it('rejects a non-integer dedupe lease, naming it', () => {
    expect(() => loadMain({ ...FULL_ENV, PAYMENT_WEBHOOK_DEDUPE_LEASE_MS: 'soon' })).toThrow(
      /PAYMENT_WEBHOOK_DEDUPE_LEASE_MS/,
    );
  });

  it.each([
    ['the secret', FULL_ENV],
    ['the secret ARN', AWS_ENV],
    ['neither (capture and refund only)', { ...FULL_ENV, PAYMENT_WEBHOOK_SECRET: undefined }],
  ])('exports the four entry points when configured with %s', (_, vars) => {
    const mod = loadMain({ ...vars, PAYMENT_APPROVAL_RATE: '0.7', PAYMENT_WEBHOOK_DELAY_MS: '250' });
    for (const name of ['authorizePayment', 'capturePayment', 'refundPayment', 'webhook']) {
      expect(typeof mod[name]).toBe('function');
    }
  });
});

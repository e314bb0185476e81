const FULL_ENV = {
  AWS_REGION: 'us-east-1',
  PAYMENTS_TABLE: 'payments',
  PROCESSED_EVENTS_TABLE: 'processed-events',
  EVENT_BUS_NAME: 'meridian-bus',
  PAYMENT_WEBHOOK_SECRET: 'whsec_0123456789abcdef',
  PAYMENT_WEBHOOK_URL: 'http://127.0.0.1:9/payments/webhook',
};

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
  it.each([
    'PAYMENTS_TABLE',
    'PROCESSED_EVENTS_TABLE',
    'EVENT_BUS_NAME',
    'PAYMENT_WEBHOOK_SECRET',
    'PAYMENT_WEBHOOK_URL',
  ])('fails fast naming %s when it is missing', (name) => {
    expect(() => loadMain({ ...FULL_ENV, [name]: undefined })).toThrow(new RegExp(`${name} is not set`));
  });

  it('rejects a webhook secret shorter than 16 characters', () => {
    expect(() => loadMain({ ...FULL_ENV, PAYMENT_WEBHOOK_SECRET: 'short' })).toThrow(
      /PAYMENT_WEBHOOK_SECRET: .*16/,
    );
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

  it('exports the four entry points when configured', () => {
    const mod = loadMain({ ...FULL_ENV, PAYMENT_APPROVAL_RATE: '0.7', PAYMENT_WEBHOOK_DELAY_MS: '250' });
    for (const name of ['authorizePayment', 'capturePayment', 'refundPayment', 'webhook']) {
      expect(typeof mod[name]).toBe('function');
    }
  });
});

describe('notifications composition root', () => {
  const saved = { ...process.env };
  afterEach(() => {
    process.env = { ...saved };
  });

  const load = () => {
    let mod: Record<string, unknown> = {};
    jest.isolateModules(() => {
      // eslint-disable-next-line @typescript-eslint/no-require-imports -- isolateModules needs a synchronous require
      mod = require('../../../services/notifications/main') as Record<string, unknown>;
    });
    return mod;
  };

  it('fails fast naming a missing variable', () => {
    process.env = { ...saved, AWS_REGION: 'us-east-1' };
    delete process.env.PROCESSED_EVENTS_TABLE;

    expect(load).toThrow(/PROCESSED_EVENTS_TABLE is not set/);
  });

  it('requires the topics on the aws channel; the e-mail sender is optional', () => {
    process.env = {
      ...saved,
      AWS_REGION: 'us-east-1',
      PROCESSED_EVENTS_TABLE: 'pe',
      OPS_TOPIC_ARN: 'arn:ops',
    };
    expect(load).toThrow(/CUSTOMER_TOPIC_ARN is not set/);
    expect(load).not.toThrow(/SES_FROM_ADDRESS/);

    process.env.CUSTOMER_TOPIC_ARN = 'arn:customer';
    expect(typeof load().notify).toBe('function');
  });

  it('requires OUTBOX_DIR on the outbox channel, and nothing of AWS', () => {
    process.env = {
      ...saved,
      AWS_REGION: 'us-east-1',
      PROCESSED_EVENTS_TABLE: 'pe',
      NOTIFICATIONS_CHANNEL: 'outbox',
    };
    expect(load).toThrow(/OUTBOX_DIR is not set/);

    process.env.OUTBOX_DIR = '/tmp/meridian-outbox-test';
    const mod = load();
    expect(typeof mod.notify).toBe('function');
    expect(typeof mod.events).toBe('function');
  });

  it('rejects an unknown channel', () => {
    process.env = {
      ...saved,
      AWS_REGION: 'us-east-1',
      PROCESSED_EVENTS_TABLE: 'pe',
      NOTIFICATIONS_CHANNEL: 'pigeon',
    };

    expect(load).toThrow(/NOTIFICATIONS_CHANNEL/);
  });
});

describe('shipping composition root', () => {
  const saved = { ...process.env };
  const configured = {
    AWS_REGION: 'us-east-1',
    SHIPMENTS_TABLE: 'shipments',
    EVENT_BUS_NAME: 'bus',
    SHIPPING_QUEUE_URL: 'http://127.0.0.1:1/000000000000/shipping',
  };
  afterEach(() => {
    process.env = { ...saved };
  });

  const load = () => {
    let mod: Record<string, unknown> = {};
    jest.isolateModules(() => {
      // eslint-disable-next-line @typescript-eslint/no-require-imports -- isolateModules needs a synchronous require
      mod = require('../../../services/shipping/main') as Record<string, unknown>;
    });
    return mod;
  };

  it('fails fast at load, naming a missing variable', () => {
    process.env = { ...saved, ...configured };
    delete process.env.SHIPMENTS_TABLE;

    expect(load).toThrow(/SHIPMENTS_TABLE is not set/);
  });

  it('rejects a failure rate outside 0..1', () => {
    process.env = { ...saved, ...configured, SHIPPING_FAILURE_RATE: '2' };

    expect(load).toThrow(/SHIPPING_FAILURE_RATE/);
  });

  it('exports every entry point when configured', () => {
    process.env = { ...saved, ...configured, SHIPPING_FAILURE_RATE: '0.25' };

    const mod = load();

    for (const name of ['consumer', 'dlq', 'redrive', 'cancelShipment', 'setFailureInjection']) {
      expect(typeof mod[name]).toBe('function');
    }
  });
});

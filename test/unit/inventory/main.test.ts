const REQUIRED = {
  AWS_REGION: 'eu-west-1',
  INVENTORY_TABLE: 'inventory',
  PROCESSED_EVENTS_TABLE: 'processed-events',
  EVENT_BUS_NAME: 'bus',
};

function loadMain(env: Record<string, string | undefined>): Record<string, unknown> {
  const saved = { ...process.env };
  let loaded: Record<string, unknown> = {};
  try {
    for (const key of [...Object.keys(REQUIRED), 'RESERVATION_TTL_SECONDS']) delete process.env[key];
    for (const [key, value] of Object.entries(env)) if (value !== undefined) process.env[key] = value;
    jest.isolateModules(() => {
      // A synchronous require is what lets isolateModules load main.ts afresh with this environment.
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      loaded = require('../../../services/inventory/main') as Record<string, unknown>;
    });
  } finally {
    process.env = saved;
  }
  return loaded;
}

describe('inventory composition root', () => {
  it('fails fast naming the missing variable', () => {
    expect(() => loadMain({ ...REQUIRED, INVENTORY_TABLE: undefined })).toThrow(/INVENTORY_TABLE is not set/);
  });

  it('rejects a reservation TTL that is not a positive integer', () => {
    expect(() => loadMain({ ...REQUIRED, RESERVATION_TTL_SECONDS: '0' })).toThrow(/RESERVATION_TTL_SECONDS/);
  });

  it('exports every Lambda entry point when configured', () => {
    const main = loadMain(REQUIRED);

    for (const name of ['reserveStock', 'commitStock', 'releaseStock', 'events', 'sweepExpired', 'api']) {
      expect(typeof main[name]).toBe('function');
    }
  });
});

import type { APIGatewayProxyResult } from 'aws-lambda';
import { lambdaContext } from '../../../services/shared/lambda';
import { apiEvent } from './support/app';

type Main = typeof import('../../../services/orders/main');

/** The composition root, loaded in isolation with the given environment. */
function loadMain(env: Record<string, string | undefined>): Main {
  const saved = process.env;
  process.env = { ...saved, ...env };
  try {
    let mod: Main | undefined;
    jest.isolateModules(() => {
      // A fresh module registry needs a synchronous require (dynamic import needs VM modules in jest).
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      mod = require('../../../services/orders/main') as Main;
    });
    return mod as Main;
  } finally {
    process.env = saved;
  }
}

const FULL_ENV = {
  AWS_REGION: 'us-east-1',
  ORDERS_TABLE: 'orders',
  PROCESSED_EVENTS_TABLE: 'processed',
  EVENT_BUS_NAME: 'bus',
  STATE_MACHINE_ARN: 'arn:aws:states:us-east-1:000000000000:stateMachine:saga',
  MERIDIAN_REGIONS: 'us-east-1,eu-west-1',
  MERIDIAN_ENVIRONMENT: 'meridian-test',
};

describe('orders composition root', () => {
  it.each([
    'ORDERS_TABLE',
    'PROCESSED_EVENTS_TABLE',
    'EVENT_BUS_NAME',
    'STATE_MACHINE_ARN',
    'MERIDIAN_REGIONS',
    'MERIDIAN_ENVIRONMENT',
  ])('fails fast at load naming a missing %s', (name) => {
    expect(() => loadMain({ ...FULL_ENV, [name]: undefined })).toThrow(`${name} is not set`);
  });

  it('rejects a malformed number variable by name', () => {
    expect(() => loadMain({ ...FULL_ENV, HEALTH_CHECK_TIMEOUT_MS: 'soon' })).toThrow(
      /HEALTH_CHECK_TIMEOUT_MS/,
    );
  });

  it.each([
    ['a region list with a bad region', { MERIDIAN_REGIONS: 'us-east-1,mars' }, /MERIDIAN_REGIONS/],
    ['a region named twice', { MERIDIAN_REGIONS: 'us-east-1,us-east-1' }, /MERIDIAN_REGIONS/],
    ['a grace period of zero', { TAKEOVER_GRACE_SECONDS: '0' }, /TAKEOVER_GRACE_SECONDS/],
  ])('rejects %s by name', (_what, env, message) => {
    expect(() => loadMain({ ...FULL_ENV, ...env })).toThrow(message);
  });

  it('exports the four entry points and routes without touching AWS', async () => {
    const main = loadMain(FULL_ENV);

    expect([
      typeof main.api,
      typeof main.setOrderStatus,
      typeof main.events,
      typeof main.takeoverStranded,
    ]).toEqual(['function', 'function', 'function', 'function']);
    const res = (await main.api(
      apiEvent('GET', '/nowhere'),
      lambdaContext('orders-api'),
    )) as APIGatewayProxyResult;
    expect(res.statusCode).toBe(404);
    await expect(
      main.events({ detail: { nonsense: true } }, lambdaContext('orders-events')),
    ).resolves.toEqual({
      outcome: 'ignored',
    });
  });
});

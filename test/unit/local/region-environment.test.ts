import type { FunctionModel } from '../../../local/assembly';
import {
  endpointEnvironment,
  localizeFunction,
  PORT_NAMES,
  regionConfigSchema,
  scaledTakeoverGraceSeconds,
  type RegionConfig,
  type RegionPorts,
} from '../../../local/region';

const ports = Object.fromEntries(PORT_NAMES.map((name, k) => [name, 4100 + k])) as RegionPorts;

const config: RegionConfig = {
  region: 'eu-west-1',
  assemblyDir: '/tmp/cdk.out',
  stateDir: '/tmp/.meridian/eu-west-1',
  ports,
  peers: [{ region: 'us-east-1', controlUrl: 'http://127.0.0.1:4029' }],
  links: { 'us-east-1': { lagMs: 100, partitioned: false } },
  timeScale: 1,
  edgeUrl: 'http://127.0.0.1:8080',
};

function fn(environment: Record<string, string>): FunctionModel {
  return {
    logicalId: 'OrdersTakeoverStranded',
    arn: 'arn:aws:lambda:eu-west-1:111111111111:function:orders-takeover',
    handler: 'index.takeoverStranded',
    runtime: 'nodejs22.x',
    timeoutSeconds: 60,
    memoryMb: 512,
    environment,
    assetPath: '/tmp/asset',
    bundled: true,
    aliasLogicalIds: [],
    aliases: [],
  };
}

describe('a region: the environment of its handler bundles', () => {
  it('points the Route 53 client at the edge, next to the region-local endpoints', () => {
    const env = endpointEnvironment(config);

    expect(env.AWS_ENDPOINT_URL_ROUTE_53).toBe('http://127.0.0.1:8080');
    expect(env.AWS_ENDPOINT_URL_DYNAMODB).toBe(`http://127.0.0.1:${ports.dynamodb}`);
    expect(env.AWS_ENDPOINT_URL_EVENTBRIDGE).toBe(`http://127.0.0.1:${ports.events}`);
    expect(endpointEnvironment({ ports, edgeUrl: 'http://127.0.0.1:18080' }).AWS_ENDPOINT_URL_ROUTE_53).toBe(
      'http://127.0.0.1:18080',
    );
  });

  it("divides the template's TAKEOVER_GRACE_SECONDS by the time scale, rounded up, at least 1", () => {
    const grace = (timeScale: number, template = '1500') =>
      localizeFunction(fn({ TAKEOVER_GRACE_SECONDS: template }), { ...config, timeScale }).environment
        .TAKEOVER_GRACE_SECONDS;

    expect(grace(1)).toBe('1500');
    expect(grace(20)).toBe('75');
    expect(grace(7)).toBe('215');
    expect(grace(0.5)).toBe('3000');
    expect(grace(10_000)).toBe('1');
    expect(grace(21, '60')).toBe('3');
  });

  it('applies the takeover grace override instead of the template value, scaled the same way', () => {
    const localized = localizeFunction(fn({ TAKEOVER_GRACE_SECONDS: '1500', ORDERS_TABLE: 'orders' }), {
      ...config,
      timeScale: 20,
      takeoverGraceSeconds: 130,
    });

    expect(localized.environment).toEqual({ TAKEOVER_GRACE_SECONDS: '7', ORDERS_TABLE: 'orders' });
    expect(
      localizeFunction(fn({ TAKEOVER_GRACE_SECONDS: '1500' }), { ...config, takeoverGraceSeconds: 90 })
        .environment.TAKEOVER_GRACE_SECONDS,
    ).toBe('90');
  });

  it('leaves functions without TAKEOVER_GRACE_SECONDS alone, override or not', () => {
    const localized = localizeFunction(fn({ ORDERS_TABLE: 'orders' }), {
      ...config,
      timeScale: 20,
      takeoverGraceSeconds: 120,
    });

    expect(localized.environment).toEqual({ ORDERS_TABLE: 'orders' });
  });

  it('still points execute-api URLs of its own region at the local API', () => {
    const localized = localizeFunction(
      fn({
        API_URL: 'https://abc123.execute-api.eu-west-1.amazonaws.com/v1/orders',
        PEER_URL: 'https://def456.execute-api.us-east-1.amazonaws.com/v1/',
      }),
      config,
    );

    expect(localized.environment).toEqual({
      API_URL: `http://127.0.0.1:${ports.api}/v1/orders`,
      PEER_URL: 'https://def456.execute-api.us-east-1.amazonaws.com/v1/',
    });
  });

  it('refuses a template grace that is not a whole number of seconds, naming the function', () => {
    for (const bad of ['', 'abc', '1.5', '0', '-60']) {
      expect(() => localizeFunction(fn({ TAKEOVER_GRACE_SECONDS: bad }), config)).toThrow(
        `function OrdersTakeoverStranded: TAKEOVER_GRACE_SECONDS must be a positive whole number of seconds (got '${bad}')`,
      );
    }
  });

  it('keeps whole quotients whole despite floating-point noise', () => {
    expect(21 / 0.7).toBeGreaterThan(30);
    expect(scaledTakeoverGraceSeconds(21, 0.7)).toBe(30);
    expect(scaledTakeoverGraceSeconds(22, 0.7)).toBe(32);
    expect(scaledTakeoverGraceSeconds(1500, 0.1)).toBe(15_000);
    expect(() => scaledTakeoverGraceSeconds(0, 1)).toThrow('positive number of seconds');
    expect(() => scaledTakeoverGraceSeconds(60, 0)).toThrow('time scale must be a positive number');
  });
});

describe('a region: its config', () => {
  it('requires the edge URL and accepts a whole-second takeover grace override from 1 to 86400', () => {
    const { edgeUrl: _edgeUrl, ...withoutEdge } = config;

    expect(regionConfigSchema.parse({ ...config, takeoverGraceSeconds: 120 }).takeoverGraceSeconds).toBe(120);
    expect(regionConfigSchema.safeParse(withoutEdge).success).toBe(false);
    expect(regionConfigSchema.safeParse({ ...config, edgeUrl: 'not a url' }).success).toBe(false);
    for (const bad of [0, 1.5, -60, 86_401]) {
      expect(regionConfigSchema.safeParse({ ...config, takeoverGraceSeconds: bad }).success).toBe(false);
    }
  });
});

import {
  DEFAULT_ENVIRONMENTS,
  DEFAULT_TAKEOVER_GRACE_MINUTES,
  DUMMY_ACCOUNT,
  ENVIRONMENT_NAMES,
  EnvironmentConfigError,
  resolveEnvironment,
  type EnvironmentInput,
} from '../../../lib/config';

const CONNECTION = 'arn:aws:codeconnections:us-east-1:123456789012:connection/abcd-1234';

const PROD = DEFAULT_ENVIRONMENTS.prod;
const US_SET = ['us-east-1', 'us-east-2', 'us-west-2'];

/** Resolves `input`, expecting it to be rejected, and returns the error. */
function rejection(input: unknown): EnvironmentConfigError {
  try {
    resolveEnvironment(input);
  } catch (error) {
    if (error instanceof EnvironmentConfigError) return error;
    throw error;
  }
  throw new Error('expected the configuration to be rejected');
}

/** The problems reported for `field` (`regions`, `dns.domainName`, `(root)`…). */
function problemsFor(input: unknown, field: string): string[] {
  return rejection(input).problems.filter((p) => p.startsWith(`${field}:`));
}

function prodWith(overrides: Partial<Record<keyof EnvironmentInput, unknown>>): Record<string, unknown> {
  return { ...PROD, ...overrides };
}

describe('default environments', () => {
  it.each(ENVIRONMENT_NAMES)('%s resolves without errors', (name) => {
    const env = resolveEnvironment(DEFAULT_ENVIRONMENTS[name]);

    expect(env.name).toBe(name);
    expect(env.prefix).toBe(`meridian-${name}`);
    expect(env.regions).toContain(env.primaryRegion);
  });

  it('prod spans us-east-1, eu-west-1 and ap-southeast-1 with us-east-1 first and the others in one wave', () => {
    const prod = resolveEnvironment(PROD);

    expect(prod.regions).toEqual(['us-east-1', 'eu-west-1', 'ap-southeast-1']);
    expect(prod.primaryRegion).toBe('us-east-1');
    expect(prod.waves).toEqual([['eu-west-1', 'ap-southeast-1']]);
    expect(prod.inventoryConsistency).toBe('single-writer');
  });

  it('staging has one region and no waves after the primary', () => {
    const staging = resolveEnvironment(DEFAULT_ENVIRONMENTS.staging);

    expect(staging.regions).toHaveLength(1);
    expect(staging.primaryRegion).toBe(staging.regions[0]);
    expect(staging.waves).toEqual([]);
  });

  it('local has two regions, the first one primary', () => {
    const local = resolveEnvironment(DEFAULT_ENVIRONMENTS.local);

    expect(local.regions).toEqual(['us-east-1', 'eu-west-1']);
    expect(local.primaryRegion).toBe('us-east-1');
    expect(local.waves).toEqual([['eu-west-1']]);
  });

  it('uses the dummy account when none is configured, so synth needs no credentials', () => {
    for (const name of ENVIRONMENT_NAMES) {
      expect(resolveEnvironment(DEFAULT_ENVIRONMENTS[name]).account).toBe(DUMMY_ACCOUNT);
    }
    expect(DUMMY_ACCOUNT).toMatch(/^\d{12}$/);
  });

  it('keeps a configured account, with a real connection', () => {
    const source = { ...DEFAULT_ENVIRONMENTS.prod.source, connectionArn: CONNECTION };
    expect(resolveEnvironment(prodWith({ account: '123456789012', source })).account).toBe('123456789012');
  });

  it('refuses the placeholder connection with a real account, naming the field', () => {
    expect(() => resolveEnvironment(prodWith({ account: '123456789012' }))).toThrow(
      /source\.connectionArn: set the CodeConnections ARN to use with account 123456789012/,
    );
  });

  it('protects data in staging and prod only', () => {
    const protectedEnvs = ENVIRONMENT_NAMES.filter(
      (name) => resolveEnvironment(DEFAULT_ENVIRONMENTS[name]).protectData,
    );

    expect(protectedEnvs.sort()).toEqual(['prod', 'staging']);
  });

  it('keeps configured waves in order', () => {
    const env = resolveEnvironment(prodWith({ waves: [['ap-southeast-1'], ['eu-west-1']] }));

    expect(env.waves).toEqual([['ap-southeast-1'], ['eu-west-1']]);
  });

  it('takes a configured primary region and waves the others', () => {
    const env = resolveEnvironment(prodWith({ primaryRegion: 'eu-west-1' }));

    expect(env.primaryRegion).toBe('eu-west-1');
    expect(env.waves).toEqual([['us-east-1', 'ap-southeast-1']]);
  });

  it('returns a deeply frozen object and leaves the input untouched', () => {
    const env = resolveEnvironment(PROD);

    expect(Object.isFrozen(env)).toBe(true);
    expect(Object.isFrozen(env.regions)).toBe(true);
    expect(Object.isFrozen(env.waves[0])).toBe(true);
    expect(Object.isFrozen(env.alarms)).toBe(true);
    expect(Object.isFrozen(PROD.source)).toBe(false);
  });

  it('accepts an API name equal to or inside its zone', () => {
    const zone = { hostedZoneId: 'Z0123456789ABC', zoneName: 'example.com' };

    expect(resolveEnvironment(prodWith({ dns: { ...zone, domainName: 'api.example.com' } })).dns).toEqual({
      ...zone,
      domainName: 'api.example.com',
    });
    expect(
      resolveEnvironment(prodWith({ dns: { ...zone, domainName: 'example.com' } })).dns?.domainName,
    ).toBe('example.com');
  });
});

describe('invalid configuration', () => {
  it('is an EnvironmentConfigError naming the environment and every offending field', () => {
    const error = rejection(prodWith({ account: 'abc', canary: { ...PROD.canary, percent: 0 } }));

    expect(error.name).toBe('EnvironmentConfigError');
    expect(error.environment).toBe('prod');
    expect(error.message).toContain('invalid configuration for environment "prod"');
    expect(error.message).toContain('account:');
    expect(error.message).toContain('canary.percent:');
  });

  it('reports cross-field problems together', () => {
    const error = rejection(prodWith({ primaryRegion: 'us-west-2', witnessRegion: 'us-east-2' }));

    expect(error.problems).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^primaryRegion: us-west-2 is not one of regions/),
        expect.stringMatching(/^witnessRegion: only meaningful/),
      ]),
    );
  });

  it('rejects input that is not an object, with an unnamed environment', () => {
    const error = rejection(null);

    expect(error.environment).toBe('(unnamed)');
    expect(error.problems[0]).toMatch(/^\(root\):/);
  });

  it('rejects an unknown environment name', () => {
    expect(problemsFor(prodWith({ name: 'qa' }), 'name')).toHaveLength(1);
  });

  it.each([['US-EAST-1'], ['us-east'], ['useast1'], ['']])('rejects the region string %p', (bad) => {
    expect(problemsFor(prodWith({ regions: ['us-east-1', bad] }), 'regions.1')).toEqual([
      expect.stringContaining('must be an AWS region'),
    ]);
  });

  it('rejects an empty region list', () => {
    expect(problemsFor(prodWith({ regions: [] }), 'regions')).toHaveLength(1);
  });

  it('rejects duplicate regions', () => {
    const problems = problemsFor(prodWith({ regions: ['us-east-1', 'eu-west-1', 'eu-west-1'] }), 'regions');

    expect(problems).toEqual(['regions: duplicated eu-west-1']);
  });

  it('rejects a primary region that is not one of the regions', () => {
    expect(problemsFor(prodWith({ primaryRegion: 'us-west-2' }), 'primaryRegion')).toEqual([
      'primaryRegion: us-west-2 is not one of regions',
    ]);
  });

  it('rejects a malformed primary region', () => {
    expect(problemsFor(prodWith({ primaryRegion: 'primary' }), 'primaryRegion')).toHaveLength(1);
  });

  it('rejects waves naming a region the environment does not have', () => {
    const input = prodWith({ waves: [['eu-west-1', 'ap-southeast-1', 'us-west-2']] });

    expect(problemsFor(input, 'waves')).toEqual(['waves: us-west-2 is not a non-primary region']);
  });

  it('rejects waves naming the primary region', () => {
    const input = prodWith({ waves: [['us-east-1'], ['eu-west-1', 'ap-southeast-1']] });

    expect(problemsFor(input, 'waves')).toEqual(['waves: us-east-1 is not a non-primary region']);
  });

  it('rejects waves that leave a region out', () => {
    expect(problemsFor(prodWith({ waves: [['eu-west-1']] }), 'waves')).toEqual([
      'waves: ap-southeast-1 is in no wave',
    ]);
  });

  it('rejects a region in more than one wave', () => {
    const input = prodWith({ waves: [['eu-west-1'], ['eu-west-1', 'ap-southeast-1']] });

    expect(problemsFor(input, 'waves')).toEqual(['waves: a region appears in more than one wave']);
  });

  it('rejects an empty wave', () => {
    expect(problemsFor(prodWith({ waves: [[], ['eu-west-1', 'ap-southeast-1']] }), 'waves.0')).toHaveLength(
      1,
    );
  });

  it.each([['12345'], ['1234567890123'], ['abcdefghijkl']])('rejects the account %p', (account) => {
    expect(problemsFor(prodWith({ account }), 'account')).toEqual([
      expect.stringContaining('12-digit AWS account id'),
    ]);
  });

  it.each([
    ['an S3 ARN', 'arn:aws:s3:::bucket'],
    ['a connection without an account', 'arn:aws:codeconnections:us-east-1::connection/abc'],
    ['not an ARN', 'my-connection'],
  ])('rejects %s as connection ARN', (_label, connectionArn) => {
    const input = prodWith({ source: { ...PROD.source, connectionArn } });

    expect(problemsFor(input, 'source.connectionArn')).toEqual([
      expect.stringContaining('CodeConnections connection ARN'),
    ]);
  });

  it('accepts a legacy CodeStar connection ARN', () => {
    const connectionArn = 'arn:aws:codestar-connections:eu-west-1:123456789012:connection/abc-123';

    expect(
      resolveEnvironment(prodWith({ source: { ...PROD.source, connectionArn } })).source.connectionArn,
    ).toBe(connectionArn);
  });

  it('rejects an API name outside its hosted zone', () => {
    const dns = { domainName: 'api.example.org', hostedZoneId: 'Z0123456789ABC', zoneName: 'example.com' };

    expect(problemsFor(prodWith({ dns }), 'dns.domainName')).toEqual([
      'dns.domainName: domainName must be inside zoneName',
    ]);
  });

  it('rejects a name that only ends like the zone', () => {
    const dns = { domainName: 'notexample.com', hostedZoneId: 'Z0123456789ABC', zoneName: 'example.com' };

    expect(problemsFor(prodWith({ dns }), 'dns.domainName')).toHaveLength(1);
  });

  it.each([['z123'], ['123ABC'], ['Z12-3']])('rejects the hosted zone id %p', (hostedZoneId) => {
    const dns = { domainName: 'api.example.com', hostedZoneId, zoneName: 'example.com' };

    expect(problemsFor(prodWith({ dns }), 'dns.hostedZoneId')).toEqual([
      expect.stringContaining('Route 53 hosted zone id'),
    ]);
  });

  it.each([[0], [100], [10.5]])('rejects a canary percent of %p', (percent) => {
    expect(problemsFor(prodWith({ canary: { ...PROD.canary, percent } }), 'canary.percent')).toHaveLength(1);
  });

  it('rejects an unknown canary type', () => {
    expect(
      problemsFor(prodWith({ canary: { ...PROD.canary, type: 'blue-green' } }), 'canary.type'),
    ).toHaveLength(1);
  });

  it.each([[20], [5], [60]])('rejects a health check interval of %p seconds', (intervalSeconds) => {
    const input = prodWith({ healthCheck: { ...PROD.healthCheck, intervalSeconds } });

    expect(problemsFor(input, 'healthCheck.intervalSeconds')).toHaveLength(1);
  });

  it('accepts the standard 30-second health check interval', () => {
    const env = resolveEnvironment(prodWith({ healthCheck: { ...PROD.healthCheck, intervalSeconds: 30 } }));

    expect(env.healthCheck.intervalSeconds).toBe(30);
  });

  it('rejects a health check failure threshold above 10', () => {
    const input = prodWith({ healthCheck: { ...PROD.healthCheck, failureThreshold: 11 } });

    expect(problemsFor(input, 'healthCheck.failureThreshold')).toHaveLength(1);
  });

  it('rejects a negative alarm threshold', () => {
    expect(
      problemsFor(prodWith({ alarms: { ...PROD.alarms, dlqDepth: -1 } }), 'alarms.dlqDepth'),
    ).toHaveLength(1);
  });

  it('rejects an unknown top-level key, naming it', () => {
    expect(problemsFor(prodWith({ regionz: ['us-east-1'] } as never), '(root)')).toEqual([
      expect.stringContaining('"regionz"'),
    ]);
  });

  it('rejects an unknown nested key, naming it', () => {
    const input = prodWith({ alarms: { ...PROD.alarms, dlqDepht: 5 } });

    expect(problemsFor(input, 'alarms')).toEqual([expect.stringContaining('"dlqDepht"')]);
  });

  it('rejects an unknown inventory consistency mode', () => {
    expect(problemsFor(prodWith({ inventoryConsistency: 'eventual' }), 'inventoryConsistency')).toHaveLength(
      1,
    );
  });
});

describe('inventory consistency "strong" (multi-Region strong consistency)', () => {
  it('rejects regions spread over several region sets', () => {
    const problems = problemsFor(prodWith({ inventoryConsistency: 'strong' }), 'inventoryConsistency');

    expect(problems).toEqual([expect.stringContaining('needs every region in one region set')]);
    expect(problems[0]).toContain('got us-east-1, eu-west-1, ap-southeast-1');
  });

  it('rejects regions outside every region set', () => {
    const input = prodWith({
      regions: ['ap-southeast-1', 'ap-southeast-2', 'ap-south-1'],
      primaryRegion: 'ap-southeast-1',
      inventoryConsistency: 'strong',
    });

    expect(problemsFor(input, 'inventoryConsistency')).toEqual([
      expect.stringContaining('needs every region in one region set'),
    ]);
  });

  it('rejects two regions without a witness', () => {
    const input = prodWith({ regions: ['us-east-1', 'us-east-2'], inventoryConsistency: 'strong' });

    expect(problemsFor(input, 'inventoryConsistency')).toEqual([
      'inventoryConsistency: "strong" needs exactly 3 regions, or 2 regions and a witnessRegion',
    ]);
  });

  it('rejects three regions with a witness', () => {
    const input = prodWith({
      regions: ['eu-west-1', 'eu-west-2', 'eu-west-3'],
      primaryRegion: 'eu-west-1',
      witnessRegion: 'eu-central-1',
      inventoryConsistency: 'strong',
    });

    expect(problemsFor(input, 'inventoryConsistency')).toEqual([
      expect.stringContaining('exactly 3 regions'),
    ]);
  });

  it('rejects a witness that is also a replica region', () => {
    const input = prodWith({
      regions: ['us-east-1', 'us-east-2'],
      witnessRegion: 'us-east-2',
      inventoryConsistency: 'strong',
    });

    expect(problemsFor(input, 'witnessRegion')).toEqual(['witnessRegion: must not also be a replica region']);
  });

  it('rejects a witness in another region set', () => {
    const input = prodWith({
      regions: ['us-east-1', 'us-east-2'],
      witnessRegion: 'eu-west-1',
      inventoryConsistency: 'strong',
    });

    expect(problemsFor(input, 'inventoryConsistency')).toEqual([
      expect.stringContaining('needs every region in one region set'),
    ]);
  });

  it('rejects a witness without strong consistency', () => {
    const input = prodWith({ regions: ['us-east-1', 'us-east-2'], witnessRegion: 'us-west-2' });

    expect(problemsFor(input, 'witnessRegion')).toEqual([
      'witnessRegion: only meaningful with inventoryConsistency "strong"',
    ]);
  });

  it('accepts the three US regions', () => {
    const env = resolveEnvironment(prodWith({ regions: US_SET, inventoryConsistency: 'strong' }));

    expect(env.inventoryConsistency).toBe('strong');
    expect(env.regions).toEqual(US_SET);
    expect(env.witnessRegion).toBeUndefined();
  });

  it('accepts two regions and a witness of the same set', () => {
    const env = resolveEnvironment(
      prodWith({
        regions: ['us-east-1', 'us-east-2'],
        witnessRegion: 'us-west-2',
        inventoryConsistency: 'strong',
      }),
    );

    expect(env.inventoryConsistency).toBe('strong');
    expect(env.witnessRegion).toBe('us-west-2');
    expect(env.waves).toEqual([['us-east-2']]);
  });

  it('accepts three regions of the EU set', () => {
    const regions = ['eu-west-1', 'eu-central-1', 'eu-west-3'];

    const env = resolveEnvironment(
      prodWith({ regions, primaryRegion: 'eu-west-1', inventoryConsistency: 'strong' }),
    );

    expect(env.regions).toEqual(regions);
  });
});

describe('takeover grace period (takeoverGraceMinutes, docs/decisions/007)', () => {
  it('defaults to 25 minutes in every environment: reservation TTL + authorization timeout + DNS failover', () => {
    expect(DEFAULT_TAKEOVER_GRACE_MINUTES).toBe(25);
    for (const name of ENVIRONMENT_NAMES) {
      expect({ name, grace: resolveEnvironment(DEFAULT_ENVIRONMENTS[name]).takeoverGraceMinutes }).toEqual({
        name,
        grace: 25,
      });
    }
  });

  it.each([1, 60, 1440])('takes a configured %i minutes', (minutes) => {
    expect(resolveEnvironment(prodWith({ takeoverGraceMinutes: minutes })).takeoverGraceMinutes).toBe(
      minutes,
    );
  });

  it.each([
    [0, /at least 1/],
    [-5, /at least 1/],
    [1441, /at most 1440/],
    [2.5, /whole number of minutes/],
    ['25', /expected number/],
    [null, /expected number/],
  ])('rejects %p, naming the field', (value, message) => {
    const problems = problemsFor(prodWith({ takeoverGraceMinutes: value }), 'takeoverGraceMinutes');

    expect(problems).toEqual([expect.stringMatching(message)]);
  });
});

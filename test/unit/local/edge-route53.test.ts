import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  GetHealthCheckCommand,
  GetHealthCheckCountCommand,
  GetHealthCheckLastFailureReasonCommand,
  GetHealthCheckStatusCommand,
  ChangeTagsForResourceCommand,
  ListHealthChecksCommand,
  ListTagsForResourceCommand,
  ListTagsForResourcesCommand,
  Route53Client,
  UpdateHealthCheckCommand,
  type HealthCheck,
} from '@aws-sdk/client-route-53';
import { healthCheckIdFor, startEdge, type Edge } from '../../../local/edge';
import { parseListTagsForResources } from '../../../local/edge/route53';
import { HEALTH_CHECK_TAGS, routingHealthy } from '../../../services/shared/route53-health';

/** A loopback "region" whose `/v1/health` answers `healthStatus` and counts the checks. */
class FakeRegion {
  healthStatus = 200;
  healthHits = 0;
  private server?: Server;
  port = 0;

  constructor(readonly name: string) {}

  async start(): Promise<this> {
    this.server = createServer((req, res) => {
      if (req.url === '/v1/health') this.healthHits += 1;
      res.writeHead(req.url === '/v1/health' ? this.healthStatus : 200, {
        'content-type': 'application/json',
      });
      res.end(JSON.stringify({ region: this.name }));
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', () => resolve()));
    this.port = (this.server.address() as AddressInfo).port;
    return this;
  }

  get baseUrl(): string {
    return `http://127.0.0.1:${this.port}/v1`;
  }

  async stop(): Promise<void> {
    await new Promise<void>((resolve) => {
      this.server!.close(() => resolve());
      this.server!.closeAllConnections();
    });
  }
}

function raw(url: string, method: string, body?: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () =>
        resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }),
      );
    });
    req.on('error', reject);
    req.end(body);
  });
}

describe('local edge: Route 53 health check API over the real SDK client', () => {
  const clock = { t: 1_700_000_000_000, now: () => clock.t };
  let east: FakeRegion;
  let eu: FakeRegion;
  let edge: Edge;
  let route53: Route53Client;

  beforeEach(async () => {
    east = await new FakeRegion('us-east-1').start();
    eu = await new FakeRegion('eu-west-1').start();
    edge = await startEdge({
      port: 0,
      regions: [
        { region: 'us-east-1', apiBaseUrl: east.baseUrl },
        { region: 'eu-west-1', apiBaseUrl: eu.baseUrl },
      ],
      ttlSeconds: 0,
      clock,
    });
    route53 = new Route53Client({
      region: 'us-east-1',
      endpoint: edge.endpoint,
      credentials: { accessKeyId: 'x', secretAccessKey: 'x' },
      maxAttempts: 1,
    });
  });

  afterEach(async () => {
    route53.destroy();
    await edge.close();
    await east.stop();
    await eu.stop();
  });

  const checkOf = async (region: string): Promise<HealthCheck> => {
    const { HealthChecks } = await route53.send(new ListHealthChecksCommand({}));
    return HealthChecks!.find((c) => c.CallerReference === region)!;
  };

  it('lists one check per region, linked by CallerReference, with stable ids and its configuration', async () => {
    const listed = await route53.send(new ListHealthChecksCommand({}));

    expect(listed.IsTruncated).toBe(false);
    expect(listed.MaxItems).toBe(100);
    expect(listed.HealthChecks!.map((c) => c.CallerReference)).toEqual(['us-east-1', 'eu-west-1']);
    expect(listed.HealthChecks![0]).toEqual({
      Id: healthCheckIdFor('us-east-1'),
      CallerReference: 'us-east-1',
      HealthCheckVersion: 1,
      HealthCheckConfig: {
        IPAddress: '127.0.0.1',
        Port: east.port,
        Type: 'HTTP',
        ResourcePath: '/v1/health',
        RequestInterval: 10,
        FailureThreshold: 3,
        MeasureLatency: true,
        Inverted: false,
        Disabled: false,
        EnableSNI: false,
      },
    });
    expect(healthCheckIdFor('us-east-1')).toMatch(
      /^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/,
    );
    expect(healthCheckIdFor('us-east-1')).not.toBe(healthCheckIdFor('eu-west-1'));
  });

  it('pages with MaxItems and Marker, and counts the checks', async () => {
    const first = await route53.send(new ListHealthChecksCommand({ MaxItems: 1 }));
    const second = await route53.send(new ListHealthChecksCommand({ MaxItems: 1, Marker: first.NextMarker }));
    const count = await route53.send(new GetHealthCheckCountCommand({}));

    expect(first.HealthChecks!.map((c) => c.CallerReference)).toEqual(['us-east-1']);
    expect(first.IsTruncated).toBe(true);
    expect(first.NextMarker).toBe(healthCheckIdFor('eu-west-1'));
    expect(second.HealthChecks!.map((c) => c.CallerReference)).toEqual(['eu-west-1']);
    expect(second.IsTruncated).toBe(false);
    expect(second.NextMarker).toBeUndefined();
    expect(count.HealthCheckCount).toBe(2);
    await expect(route53.send(new ListHealthChecksCommand({ Marker: 'nope' }))).rejects.toMatchObject({
      name: 'InvalidInput',
      $metadata: { httpStatusCode: 400 },
    });
  });

  it('reports the latest observation as GetHealthCheckStatus and the last failure', async () => {
    const id = healthCheckIdFor('us-east-1');
    const before = await route53.send(new GetHealthCheckStatusCommand({ HealthCheckId: id }));
    await edge.checkNow();
    const ok = await route53.send(new GetHealthCheckStatusCommand({ HealthCheckId: id }));
    east.healthStatus = 503;
    clock.t += 10_000;
    await edge.checkNow();
    const failing = await route53.send(new GetHealthCheckStatusCommand({ HealthCheckId: id }));
    east.healthStatus = 200;
    clock.t += 10_000;
    await edge.checkNow();
    const lastFailure = await route53.send(new GetHealthCheckLastFailureReasonCommand({ HealthCheckId: id }));

    expect(before.HealthCheckObservations).toEqual([]);
    expect(ok.HealthCheckObservations).toEqual([
      {
        Region: 'us-east-1',
        IPAddress: '127.0.0.1',
        StatusReport: {
          Status: 'Success: HTTP Status Code 200, OK',
          CheckedTime: new Date(clock.t - 20_000),
        },
      },
    ]);
    expect(failing.HealthCheckObservations![0]!.StatusReport!.Status).toBe(
      'Failure: HTTP Status Code 503, Service Unavailable',
    );
    expect(lastFailure.HealthCheckObservations![0]!.StatusReport).toEqual({
      Status: 'Failure: HTTP Status Code 503, Service Unavailable',
      CheckedTime: new Date(clock.t - 10_000),
    });
  });

  it('Inverted=true takes the region out of routing; Inverted=false brings it back', async () => {
    const id = healthCheckIdFor('us-east-1');
    const fromUs = async (): Promise<string | undefined> => {
      const res = await fetch(`${edge.endpoint}/orders`, {
        headers: { 'x-meridian-client-location': 'us-east-1' },
      });
      await res.arrayBuffer();
      return res.headers.get('x-meridian-region') ?? undefined;
    };
    expect(await fromUs()).toBe('us-east-1');

    const inverted = await route53.send(new UpdateHealthCheckCommand({ HealthCheckId: id, Inverted: true }));
    await edge.checkNow();
    const whileInverted = await fromUs();
    const restored = await route53.send(
      new UpdateHealthCheckCommand({ HealthCheckId: id, Inverted: false, HealthCheckVersion: 2 }),
    );
    await edge.checkNow();

    expect(inverted.HealthCheck).toMatchObject({
      Id: id,
      HealthCheckVersion: 2,
      HealthCheckConfig: { Inverted: true },
    });
    expect(whileInverted).toBe('eu-west-1');
    expect(restored.HealthCheck).toMatchObject({
      HealthCheckVersion: 3,
      HealthCheckConfig: { Inverted: false },
    });
    expect(await fromUs()).toBe('us-east-1');
    const flips = edge.status().regions[0]!.flips;
    expect(flips.map((f) => [f.to, f.cause])).toEqual([
      ['unhealthy', 'UpdateHealthCheck Inverted=true'],
      ['healthy', 'UpdateHealthCheck Inverted=false'],
    ]);
  });

  it('Disabled stops the checks and reports healthy; with Inverted it reports unhealthy', async () => {
    const id = healthCheckIdFor('us-east-1');
    east.healthStatus = 503;
    for (let i = 0; i < 3; i++) await edge.checkNow();
    expect(edge.resolve('us-east-1')).toBe('eu-west-1');
    const hits = east.healthHits;

    const disabled = await route53.send(new UpdateHealthCheckCommand({ HealthCheckId: id, Disabled: true }));
    await edge.checkNow();
    const whileDisabled = edge.resolve('us-east-1');
    await route53.send(new UpdateHealthCheckCommand({ HealthCheckId: id, Inverted: true }));
    const disabledAndInverted = edge.resolve('us-east-1');

    expect(disabled.HealthCheck!.HealthCheckConfig).toMatchObject({ Disabled: true });
    expect(whileDisabled).toBe('us-east-1');
    expect(east.healthHits).toBe(hits);
    expect(disabledAndInverted).toBe('eu-west-1');
    expect(edge.status().regions[0]).toMatchObject({
      disabled: true,
      inverted: true,
      measuredHealthy: false,
    });
  });

  it('changes FailureThreshold and checks HealthCheckVersion', async () => {
    const id = healthCheckIdFor('eu-west-1');
    const updated = await route53.send(
      new UpdateHealthCheckCommand({ HealthCheckId: id, FailureThreshold: 1, HealthCheckVersion: 1 }),
    );
    eu.healthStatus = 500;
    await edge.checkNow();

    expect(updated.HealthCheck!.HealthCheckConfig!.FailureThreshold).toBe(1);
    expect((await checkOf('eu-west-1')).HealthCheckVersion).toBe(2);
    expect(edge.resolve('eu-west-1')).toBe('us-east-1');
    await expect(
      route53.send(
        new UpdateHealthCheckCommand({ HealthCheckId: id, Inverted: true, HealthCheckVersion: 1 }),
      ),
    ).rejects.toMatchObject({ name: 'HealthCheckVersionMismatch', $metadata: { httpStatusCode: 409 } });
    await expect(
      route53.send(new UpdateHealthCheckCommand({ HealthCheckId: id, FailureThreshold: 11 })),
    ).rejects.toMatchObject({ name: 'InvalidInput', message: expect.stringContaining('FailureThreshold') });
    await expect(
      route53.send(new UpdateHealthCheckCommand({ HealthCheckId: id, ResourcePath: '/other' })),
    ).rejects.toMatchObject({ name: 'InvalidInput', message: expect.stringContaining('ResourcePath') });
    expect((await checkOf('eu-west-1')).HealthCheckVersion).toBe(2);
  });

  it('answers NoSuchHealthCheck (404) for an unknown id on every operation', async () => {
    const missing = '00000000-0000-5000-8000-000000000000';
    for (const command of [
      new GetHealthCheckCommand({ HealthCheckId: missing }),
      new GetHealthCheckStatusCommand({ HealthCheckId: missing }),
      new UpdateHealthCheckCommand({ HealthCheckId: missing, Inverted: true }),
    ]) {
      await expect(route53.send(command as GetHealthCheckCommand)).rejects.toMatchObject({
        name: 'NoSuchHealthCheck',
        message: expect.stringContaining(missing),
        $metadata: { httpStatusCode: 404 },
      });
    }
    const found = await route53.send(
      new GetHealthCheckCommand({ HealthCheckId: healthCheckIdFor('eu-west-1') }),
    );
    expect(found.HealthCheck!.CallerReference).toBe('eu-west-1');
  });

  it('answers malformed requests with a Route 53 XML error, not a crash', async () => {
    const url = `${edge.endpoint}/2013-04-01/healthcheck/${healthCheckIdFor('us-east-1')}`;
    const badXml = await raw(url, 'POST', '<UpdateHealthCheckRequest><Inverted>true</Disabled>');
    const doctype = await raw(url, 'POST', '<!DOCTYPE x [<!ENTITY a "b">]><UpdateHealthCheckRequest/>');
    const wrongRoot = await raw(url, 'POST', '<CreateHealthCheckRequest/>');
    const badBool = await raw(
      url,
      'POST',
      '<UpdateHealthCheckRequest><Inverted>yes</Inverted></UpdateHealthCheckRequest>',
    );
    const unknownOp = await raw(`${edge.endpoint}/2013-04-01/hostedzone`, 'GET');

    for (const reply of [badXml, doctype, wrongRoot, badBool]) {
      expect(reply.status).toBe(400);
      expect(reply.body).toMatch(
        /^<\?xml version="1.0" encoding="UTF-8"\?>\n<ErrorResponse xmlns="https:\/\/route53.amazonaws.com\/doc\/2013-04-01\/"><Error><Type>Sender<\/Type><Code>InvalidInput<\/Code><Message>[^<]+<\/Message><\/Error><RequestId>[0-9a-f-]{36}<\/RequestId><\/ErrorResponse>$/,
      );
    }
    expect(badBool.body).toContain('Inverted must be true or false');
    expect(unknownOp.status).toBe(404);
    expect(unknownOp.body).toContain('<Code>UnknownOperationException</Code>');
    expect(unknownOp.body).toContain('ListTagsForResource and ListTagsForResources');
    expect((await checkOf('us-east-1')).HealthCheckVersion).toBe(1);
  });

  it('tags each check with the local environment prefix and its region (ListTagsForResource)', async () => {
    const east1 = await route53.send(
      new ListTagsForResourceCommand({
        ResourceType: 'healthcheck',
        ResourceId: healthCheckIdFor('us-east-1'),
      }),
    );
    const eu1 = await route53.send(
      new ListTagsForResourceCommand({
        ResourceType: 'healthcheck',
        ResourceId: healthCheckIdFor('eu-west-1'),
      }),
    );

    expect(east1.ResourceTagSet).toEqual({
      ResourceType: 'healthcheck',
      ResourceId: healthCheckIdFor('us-east-1'),
      Tags: [
        { Key: 'meridian:environment', Value: 'meridian-local' },
        { Key: 'meridian:region', Value: 'us-east-1' },
      ],
    });
    expect(eu1.ResourceTagSet!.Tags).toEqual([
      { Key: HEALTH_CHECK_TAGS.environment, Value: 'meridian-local' },
      { Key: HEALTH_CHECK_TAGS.region, Value: 'eu-west-1' },
    ]);
    expect(edge.status().environment).toBe('meridian-local');
  });

  it('answers the documented ListTagsForResourceResponse document', async () => {
    const id = healthCheckIdFor('eu-west-1');
    const reply = await raw(`${edge.endpoint}/2013-04-01/tags/healthcheck/${id}`, 'GET');

    expect(reply.status).toBe(200);
    expect(reply.body).toBe(
      '<?xml version="1.0" encoding="UTF-8"?>\n<ListTagsForResourceResponse xmlns="https://route53.amazonaws.com/doc/2013-04-01/">' +
        `<ResourceTagSet><ResourceType>healthcheck</ResourceType><ResourceId>${id}</ResourceId><Tags>` +
        '<Tag><Key>meridian:environment</Key><Value>meridian-local</Value></Tag>' +
        '<Tag><Key>meridian:region</Key><Value>eu-west-1</Value></Tag>' +
        '</Tags></ResourceTagSet></ListTagsForResourceResponse>',
    );
  });

  it('lists the tags of several checks in request order (ListTagsForResources)', async () => {
    const ids = [healthCheckIdFor('eu-west-1'), healthCheckIdFor('us-east-1')];
    const out = await route53.send(
      new ListTagsForResourcesCommand({ ResourceType: 'healthcheck', ResourceIds: ids }),
    );

    expect(out.ResourceTagSets).toEqual([
      {
        ResourceType: 'healthcheck',
        ResourceId: ids[0],
        Tags: [
          { Key: 'meridian:environment', Value: 'meridian-local' },
          { Key: 'meridian:region', Value: 'eu-west-1' },
        ],
      },
      {
        ResourceType: 'healthcheck',
        ResourceId: ids[1],
        Tags: [
          { Key: 'meridian:environment', Value: 'meridian-local' },
          { Key: 'meridian:region', Value: 'us-east-1' },
        ],
      },
    ]);
  });

  it("lets a function find a peer region's check by its tags and judge it as Route 53 routes", async () => {
    // What the takeover of stranded orders does: ListHealthChecks, the tags of each, then the status.
    const healthOf = async (region: string): Promise<boolean> => {
      const { HealthChecks } = await route53.send(new ListHealthChecksCommand({}));
      for (const check of HealthChecks ?? []) {
        const { ResourceTagSet } = await route53.send(
          new ListTagsForResourceCommand({ ResourceType: 'healthcheck', ResourceId: check.Id }),
        );
        const tag = (key: string) => ResourceTagSet?.Tags?.find((t) => t.Key === key)?.Value;
        if (
          tag(HEALTH_CHECK_TAGS.environment) !== 'meridian-local' ||
          tag(HEALTH_CHECK_TAGS.region) !== region
        ) {
          continue;
        }
        const { HealthCheck: config } = await route53.send(
          new GetHealthCheckCommand({ HealthCheckId: check.Id }),
        );
        const status = await route53.send(new GetHealthCheckStatusCommand({ HealthCheckId: check.Id }));
        return routingHealthy(config?.HealthCheckConfig, status.HealthCheckObservations ?? []);
      }
      throw new Error(`no health check tagged for ${region}`);
    };
    eu.healthStatus = 503;
    for (let i = 0; i < 3; i++) await edge.checkNow();

    expect(await healthOf('us-east-1')).toBe(true);
    expect(await healthOf('eu-west-1')).toBe(false);
    await expect(healthOf('ap-southeast-1')).rejects.toThrow('no health check tagged for ap-southeast-1');
  });

  it('answers NoSuchHealthCheck for an unknown id and NoSuchHostedZone for hosted zones', async () => {
    const missing = '00000000-0000-5000-8000-000000000000';
    const known = healthCheckIdFor('us-east-1');

    await expect(
      route53.send(new ListTagsForResourceCommand({ ResourceType: 'healthcheck', ResourceId: missing })),
    ).rejects.toMatchObject({
      name: 'NoSuchHealthCheck',
      message: expect.stringContaining(missing),
      $metadata: { httpStatusCode: 404 },
    });
    await expect(
      route53.send(
        new ListTagsForResourcesCommand({ ResourceType: 'healthcheck', ResourceIds: [known, missing] }),
      ),
    ).rejects.toMatchObject({ name: 'NoSuchHealthCheck', message: expect.stringContaining(missing) });
    await expect(
      route53.send(new ListTagsForResourceCommand({ ResourceType: 'hostedzone', ResourceId: 'Z123' })),
    ).rejects.toMatchObject({
      name: 'NoSuchHostedZone',
      message: expect.stringContaining('serves no hosted zones'),
      $metadata: { httpStatusCode: 404 },
    });
    await expect(
      route53.send(new ListTagsForResourcesCommand({ ResourceType: 'hostedzone', ResourceIds: ['Z123'] })),
    ).rejects.toMatchObject({ name: 'NoSuchHostedZone', $metadata: { httpStatusCode: 404 } });
  });

  it('refuses more than 10 ids, bad bodies, unknown resource types and tag changes with InvalidInput', async () => {
    const url = `${edge.endpoint}/2013-04-01/tags/healthcheck`;
    const ids = (n: number) =>
      Array.from({ length: n }, () => `<ResourceId>${healthCheckIdFor('us-east-1')}</ResourceId>`).join('');
    const request = (inner: string) =>
      `<ListTagsForResourcesRequest xmlns="https://route53.amazonaws.com/doc/2013-04-01/">${inner}</ListTagsForResourcesRequest>`;
    const replies = {
      tooMany: await raw(url, 'POST', request(`<ResourceIds>${ids(11)}</ResourceIds>`)),
      none: await raw(url, 'POST', request('<ResourceIds></ResourceIds>')),
      missingList: await raw(url, 'POST', request('')),
      empty: await raw(url, 'POST', request('<ResourceIds><ResourceId> </ResourceId></ResourceIds>')),
      tooLong: await raw(
        url,
        'POST',
        request(`<ResourceIds><ResourceId>${'a'.repeat(65)}</ResourceId></ResourceIds>`),
      ),
      stray: await raw(
        url,
        'POST',
        request(`<ResourceIds>${ids(1)}</ResourceIds><ResourceType>healthcheck</ResourceType>`),
      ),
      wrongRoot: await raw(url, 'POST', '<ListTagsForResourceRequest/>'),
      badXml: await raw(url, 'POST', '<ListTagsForResourcesRequest><ResourceIds>'),
      noBody: await raw(url, 'POST'),
      badType: await raw(`${edge.endpoint}/2013-04-01/tags/trafficpolicy/x`, 'GET'),
    };

    for (const reply of Object.values(replies)) {
      expect(reply.status).toBe(400);
      expect(reply.body).toContain('<Code>InvalidInput</Code>');
    }
    expect(replies.tooMany.body).toContain('from 1 to 10 ResourceId elements (got 11)');
    expect(replies.none.body).toContain('(got 0)');
    expect(replies.missingList.body).toContain('ResourceIds is required');
    expect(replies.empty.body).toContain('ResourceId must not be empty');
    expect(replies.tooLong.body).toContain('at most 64 characters');
    expect(replies.stray.body).toContain('Unexpected element ResourceType');
    expect(replies.badType.body).toContain(
      // The message is XML text, so its quotes are escaped.
      'ResourceType must be healthcheck or hostedzone (got &apos;trafficpolicy&apos;)',
    );
    await expect(
      route53.send(
        new ListTagsForResourcesCommand({
          ResourceType: 'healthcheck',
          ResourceIds: Array.from({ length: 11 }, () => healthCheckIdFor('eu-west-1')),
        }),
      ),
    ).rejects.toMatchObject({ name: 'InvalidInput', $metadata: { httpStatusCode: 400 } });
    await expect(
      route53.send(
        new ChangeTagsForResourceCommand({
          ResourceType: 'healthcheck',
          ResourceId: healthCheckIdFor('eu-west-1'),
          AddTags: [{ Key: 'meridian:region', Value: 'us-east-1' }],
        }),
      ),
    ).rejects.toMatchObject({
      name: 'InvalidInput',
      message: expect.stringContaining('ChangeTagsForResource'),
    });
    const after = await route53.send(
      new ListTagsForResourceCommand({
        ResourceType: 'healthcheck',
        ResourceId: healthCheckIdFor('eu-west-1'),
      }),
    );
    expect(after.ResourceTagSet!.Tags).toContainEqual({ Key: 'meridian:region', Value: 'eu-west-1' });
  });
});

describe('local edge: health check tags follow the environment it is given', () => {
  it('reports the environment option as the meridian:environment tag', async () => {
    const region = await new FakeRegion('ap-southeast-1').start();
    const edge = await startEdge({
      port: 0,
      regions: [{ region: 'ap-southeast-1', apiBaseUrl: region.baseUrl }],
      environment: 'meridian-drill',
    });
    const route53 = new Route53Client({
      region: 'us-east-1',
      endpoint: edge.endpoint,
      credentials: { accessKeyId: 'x', secretAccessKey: 'x' },
      maxAttempts: 1,
    });
    try {
      const out = await route53.send(
        new ListTagsForResourcesCommand({
          ResourceType: 'healthcheck',
          ResourceIds: [healthCheckIdFor('ap-southeast-1')],
        }),
      );
      expect(out.ResourceTagSets).toEqual([
        {
          ResourceType: 'healthcheck',
          ResourceId: healthCheckIdFor('ap-southeast-1'),
          Tags: [
            { Key: 'meridian:environment', Value: 'meridian-drill' },
            { Key: 'meridian:region', Value: 'ap-southeast-1' },
          ],
        },
      ]);
    } finally {
      route53.destroy();
      await edge.close();
      await region.stop();
    }
  });

  it('refuses an environment that cannot be a tag value', async () => {
    const regions = [{ region: 'us-east-1', apiBaseUrl: 'http://127.0.0.1:1/v1' }];
    await expect(startEdge({ port: 0, regions, environment: '' })).rejects.toThrow(
      'edge: environment must be a non-empty string',
    );
    await expect(startEdge({ port: 0, regions, environment: 'x'.repeat(257) })).rejects.toThrow(
      'at most 256 characters',
    );
  });

  it('parses a ListTagsForResourcesRequest into its ids, whitespace and namespace prefixes allowed', () => {
    expect(
      parseListTagsForResources(
        '<?xml version="1.0"?>\n<r:ListTagsForResourcesRequest xmlns:r="https://route53.amazonaws.com/doc/2013-04-01/">\n' +
          '  <r:ResourceIds>\n    <r:ResourceId> a </r:ResourceId>\n    <r:ResourceId>b</r:ResourceId>\n  </r:ResourceIds>\n' +
          '</r:ListTagsForResourcesRequest>',
      ),
    ).toEqual(['a', 'b']);
    expect(() =>
      parseListTagsForResources(
        '<ListTagsForResourcesRequest><ResourceIds/><ResourceIds/></ListTagsForResourcesRequest>',
      ),
    ).toThrow('ResourceIds appears more than once');
  });
});

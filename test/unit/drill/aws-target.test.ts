import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { ExperimentTemplateModel } from '../../../local/assembly';
import { FIS_ACCOUNT as ACCOUNT, pauseTemplate } from '../../support/fis';
import { startEdge, type Edge } from '../../../local/edge';
import { Experiments, startFisServer, type FisServer } from '../../../local/fis';
import { awsTarget, DrillTargetError } from '../../../lib/drill';
import { ReplicationPause } from '../../../lib/drill/replication-pause';

const REGIONS = ['us-east-1', 'eu-west-1'];
const credentials = { accessKeyId: 'x', secretAccessKey: 'x' };

/** An account's FIS in every region; `templates` per region; records what the experiments pause. */
async function fisWith(templates: Record<string, ExperimentTemplateModel[]>) {
  const calls: string[] = [];
  const server = await startFisServer(
    new Experiments({
      templates,
      tables: Object.fromEntries(
        REGIONS.map((r) => [r, ['meridian-staging-orders', 'meridian-dev-orders', 'meridian-broken-orders']]),
      ),
      accountId: ACCOUNT,
      control: {
        pause: (region) => void calls.push(`pause ${region}`),
        resume: (region) => void calls.push(`resume ${region}`),
      },
    }),
  );
  return { server, calls };
}

const fisEndpoints = (server: FisServer) =>
  Object.fromEntries(REGIONS.map((r) => [r, { fis: server.endpoint }]));

describe('awsTarget finds the environment’s health checks and FIS templates by their tags', () => {
  let edge: Edge;
  let fis: { server: FisServer; calls: string[] } | undefined;

  beforeEach(async () => {
    // The account holds staging's checks (the edge tags its checks meridian:environment=meridian-staging).
    edge = await startEdge({
      port: 0,
      regions: REGIONS.map((region, i) => ({ region, apiBaseUrl: `http://127.0.0.1:${9100 + i}/v1` })),
      environment: 'meridian-staging',
      deferHealthChecks: true,
    });
  });

  afterEach(async () => {
    await edge.close();
    await fis?.server.close();
    fis = undefined;
  });

  it("drills the environment whose tags the checks carry, with each region's API from its check", async () => {
    fis = await fisWith({ 'us-east-1': [], 'eu-west-1': [] });
    const target = await awsTarget({
      env: 'staging',
      regions: REGIONS,
      endpoints: { route53: edge.endpoint, credentials, regions: fisEndpoints(fis.server) },
    });
    try {
      expect(target.apiUrls).toEqual({
        'us-east-1': 'http://127.0.0.1:9100/v1',
        'eu-west-1': 'http://127.0.0.1:9101/v1',
      });
    } finally {
      await target.close();
    }
  });

  it('refuses an environment none of whose checks are in the account, naming the tag it looked for', async () => {
    fis = await fisWith({ 'us-east-1': [], 'eu-west-1': [] });
    const attempt = awsTarget({
      env: 'dev',
      regions: REGIONS,
      endpoints: { route53: edge.endpoint, credentials, regions: fisEndpoints(fis.server) },
    });

    await expect(attempt).rejects.toThrow(DrillTargetError);
    await expect(attempt).rejects.toThrow(
      'no Route 53 health check tagged meridian:environment=meridian-dev found for us-east-1, eu-west-1: is dev deployed?',
    );
  });

  it("offers the replication partition only when every region has the environment's template", async () => {
    // us-east-1 has staging's template; eu-west-1 has only dev's: staging cannot be partitioned.
    fis = await fisWith({
      'us-east-1': [pauseTemplate('us-east-1', 'meridian-staging')],
      'eu-west-1': [pauseTemplate('eu-west-1', 'meridian-dev')],
    });
    const target = await awsTarget({
      env: 'staging',
      regions: REGIONS,
      endpoints: { route53: edge.endpoint, credentials, regions: fisEndpoints(fis.server) },
    });
    try {
      expect(target.faults.partition).toBeUndefined();
      expect(target.faults.heal).toBeUndefined();
    } finally {
      await target.close();
    }
  });

  it("partitions through the faulted region's experiment and heals by stopping it", async () => {
    fis = await fisWith(
      Object.fromEntries(
        REGIONS.map((r) => [
          r,
          [pauseTemplate(r, 'meridian-dev', { logicalId: 'Other' }), pauseTemplate(r, 'meridian-staging')],
        ]),
      ),
    );
    const target = await awsTarget({
      env: 'staging',
      regions: REGIONS,
      timeScale: 100,
      endpoints: { route53: edge.endpoint, credentials, regions: fisEndpoints(fis.server) },
    });
    try {
      await target.faults.partition!('eu-west-1', 'us-east-1');
      expect(fis.calls).toEqual(['pause eu-west-1']);

      await target.faults.heal!('eu-west-1', 'us-east-1');
      expect(fis.calls).toEqual(['pause eu-west-1', 'resume eu-west-1']);
    } finally {
      await target.close();
    }
  });
});

describe('ReplicationPause', () => {
  let fis: { server: FisServer; calls: string[] } | undefined;
  let pause: ReplicationPause | undefined;
  afterEach(async () => {
    pause?.destroy();
    await fis?.server.close();
  });

  const pauser = (server: FisServer) =>
    (pause = new ReplicationPause({
      environment: 'meridian-staging',
      regions: REGIONS,
      endpoints: Object.fromEntries(REGIONS.map((r) => [r, server.endpoint])),
      credentials,
      pollMs: 20,
    }));

  it('names the tags it looked for when the region has no template', async () => {
    fis = await fisWith({ 'us-east-1': [pauseTemplate('us-east-1', 'meridian-dev')], 'eu-west-1': [] });

    await expect(pauser(fis.server).pause('us-east-1')).rejects.toThrow(
      'no FIS experiment template tagged meridian:environment=meridian-staging, meridian:region=us-east-1, meridian:drill=replication-partition',
    );
    expect(fis.calls).toEqual([]);
  });

  it("reports FIS's reason when the experiment fails instead of running", async () => {
    const broken = pauseTemplate('us-east-1', 'meridian-staging');
    fis = await fisWith({
      'us-east-1': [
        { ...broken, actions: { X: { actionId: 'aws:ec2:reboot-instances', parameters: {}, targets: {} } } },
      ],
      'eu-west-1': [],
    });

    await expect(pauser(fis.server).pause('us-east-1')).rejects.toThrow(
      /FIS experiment EXP\w+ in us-east-1 is failed: Action X: aws:ec2:reboot-instances is not emulated/,
    );
  });

  it('refuses a second pause of the same region, and a resume without a pause does nothing', async () => {
    fis = await fisWith({ 'us-east-1': [pauseTemplate('us-east-1', 'meridian-staging')], 'eu-west-1': [] });
    const p = pauser(fis.server);

    await p.resume('us-east-1');
    await p.pause('us-east-1');
    await expect(p.pause('us-east-1')).rejects.toThrow(
      'the replication of us-east-1 is already paused by this drill',
    );
    await p.resume('us-east-1');

    expect(fis.calls).toEqual(['pause us-east-1', 'resume us-east-1']);
  });

  it('resumes quietly when the experiment ended by itself, even if FIS refuses the stop', async () => {
    // A FIS that started EXP1, reports it completed, and refuses to stop a completed experiment.
    const calls: string[] = [];
    const server = createServer((req, res) => {
      calls.push(`${req.method} ${req.url}`);
      req.resume();
      const experiment = (status: string) => ({
        experiment: { id: 'EXP1', state: { status, reason: status } },
      });
      const send = (code: number, body: unknown, type?: string) => {
        res.writeHead(code, {
          'content-type': 'application/json',
          ...(type && { 'x-amzn-errortype': type }),
        });
        res.end(JSON.stringify(body));
      };
      if (req.method === 'GET' && req.url?.startsWith('/experimentTemplates')) {
        send(200, {
          experimentTemplates: [{ id: 'EXT1', tags: pauseTemplate('us-east-1', 'meridian-staging').tags }],
        });
      } else if (req.method === 'POST') send(200, experiment('initiating'));
      else if (req.method === 'DELETE')
        send(400, { message: 'Experiment is not running' }, 'ValidationException');
      else
        send(
          200,
          experiment(
            calls.filter((c) => c.startsWith('GET /experiments/')).length === 1 ? 'running' : 'completed',
          ),
        );
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    const endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const lines: string[] = [];
    pause = new ReplicationPause({
      environment: 'meridian-staging',
      regions: ['us-east-1'],
      endpoints: { 'us-east-1': endpoint },
      credentials,
      pollMs: 10,
      log: (line) => lines.push(line),
    });
    try {
      await pause.pause('us-east-1');
      await pause.resume('us-east-1');
    } finally {
      server.close();
    }

    expect(calls.filter((c) => c.startsWith('DELETE'))).toEqual(['DELETE /experiments/EXP1']);
    expect(lines).toContain('FIS experiment EXP1 in us-east-1: completed (completed)');
  });
});

import {
  FisClient,
  GetExperimentCommand,
  GetExperimentTemplateCommand,
  ListExperimentTemplatesCommand,
  ListExperimentsCommand,
  StartExperimentCommand,
  StopExperimentCommand,
} from '@aws-sdk/client-fis';
import type { ExperimentTemplateModel } from '../../../local/assembly';
import { FIS_ACCOUNT as ACCOUNT, pauseTemplate } from '../../support/fis';
import { Experiments, parseIsoDuration, startFisServer, type FisServer } from '../../../local/fis';
import { FIS_TEMPLATE_TAGS, REPLICATION_PAUSE_ACTION } from '../../../services/shared/fault-injection';

const REGIONS = ['us-east-1', 'eu-west-1'] as const;

const pause = (region: string, overrides: Parameters<typeof pauseTemplate>[2] = {}) =>
  pauseTemplate(region, 'meridian-local', { duration: 'PT1M', ...overrides });

/** Records what the experiments pause and resume, as the supervisor's links would. */
class Links {
  readonly calls: string[] = [];
  pause(region: string, holder: string) {
    this.calls.push(`pause ${region} ${holder}`);
  }
  resume(region: string, holder: string) {
    this.calls.push(`resume ${region} ${holder}`);
  }
}

describe('local AWS FIS endpoint', () => {
  let server: FisServer;
  let links: Links;
  const clients: FisClient[] = [];
  const client = (region: string) => {
    const c = new FisClient({
      region,
      endpoint: server.endpoint,
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
      maxAttempts: 1,
    });
    clients.push(c);
    return c;
  };

  /** At time scale 1 a PT1M pause outlives any test that stops it; only the completion test scales it down. */
  async function start(templates: Record<string, ExperimentTemplateModel[]>, timeScale = 1) {
    links = new Links();
    server = await startFisServer(
      new Experiments({
        templates,
        tables: Object.fromEntries(REGIONS.map((r) => [r, ['meridian-local-orders']])),
        accountId: ACCOUNT,
        timeScale,
        control: links,
      }),
    );
  }

  afterEach(async () => {
    clients.splice(0).forEach((c) => c.destroy());
    await server?.close();
  });

  const templateId = async (region: string) =>
    (await client(region).send(new ListExperimentTemplatesCommand({}))).experimentTemplates![0]!.id!;

  it('lists each region its own templates, with their tags, and describes one in full', async () => {
    await start(Object.fromEntries(REGIONS.map((r) => [r, [pause(r)]])));

    const us = await client('us-east-1').send(new ListExperimentTemplatesCommand({}));
    const eu = await client('eu-west-1').send(new ListExperimentTemplatesCommand({}));
    const full = await client('us-east-1').send(
      new GetExperimentTemplateCommand({ id: us.experimentTemplates![0]!.id! }),
    );

    expect(us.experimentTemplates).toHaveLength(1);
    expect(us.experimentTemplates![0]!.tags).toEqual({
      [FIS_TEMPLATE_TAGS.environment]: 'meridian-local',
      [FIS_TEMPLATE_TAGS.region]: 'us-east-1',
      [FIS_TEMPLATE_TAGS.drill]: 'replication-partition',
    });
    expect(us.experimentTemplates![0]!.id).toMatch(/^EXT[0-9a-f]{14}$/);
    expect(eu.experimentTemplates![0]!.id).not.toBe(us.experimentTemplates![0]!.id);
    expect(us.experimentTemplates![0]!.creationTime).toBeInstanceOf(Date);
    expect(full.experimentTemplate!.actions!.PauseReplication!.actionId).toBe(REPLICATION_PAUSE_ACTION);
    expect(full.experimentTemplate!.targets!.Tables!.resourceArns).toEqual([
      `arn:aws:dynamodb:us-east-1:${ACCOUNT}:table/meridian-local-orders`,
    ]);
  });

  it('pauses the region while the experiment runs and lifts the pause when it is stopped', async () => {
    await start({ 'us-east-1': [pause('us-east-1')], 'eu-west-1': [] });
    const fis = client('us-east-1');

    const started = await fis.send(
      new StartExperimentCommand({
        clientToken: 'drill-1',
        experimentTemplateId: await templateId('us-east-1'),
      }),
    );
    const id = started.experiment!.id!;
    const running = await fis.send(new GetExperimentCommand({ id }));
    expect(running.experiment!.state!.status).toBe('running');
    expect(running.experiment!.actions!.PauseReplication!.state!.status).toBe('running');
    expect(links.calls).toEqual([`pause us-east-1 ${id}`]);

    const stopped = await fis.send(new StopExperimentCommand({ id }));

    expect(stopped.experiment!.state!.status).toBe('stopped');
    expect(stopped.experiment!.actions!.PauseReplication!.state!.status).toBe('stopped');
    expect(stopped.experiment!.endTime).toBeInstanceOf(Date);
    expect(links.calls).toEqual([`pause us-east-1 ${id}`, `resume us-east-1 ${id}`]);
    // Stopping again changes nothing.
    expect((await fis.send(new StopExperimentCommand({ id }))).experiment!.state!.status).toBe('stopped');
    expect(links.calls).toHaveLength(2);
  });

  it('completes by itself after the action duration divided by the time scale', async () => {
    // PT1M at 600x: 100 ms.
    await start({ 'us-east-1': [pause('us-east-1')], 'eu-west-1': [] }, 600);
    const fis = client('us-east-1');
    const { experiment } = await fis.send(
      new StartExperimentCommand({
        clientToken: 'drill-2',
        experimentTemplateId: await templateId('us-east-1'),
      }),
    );

    let status: string | undefined;
    for (let i = 0; i < 100 && status !== 'completed'; i++) {
      await new Promise((r) => setTimeout(r, 50));
      status = (await fis.send(new GetExperimentCommand({ id: experiment!.id! }))).experiment!.state!.status;
    }

    expect(status).toBe('completed');
    expect(links.calls).toEqual([`pause us-east-1 ${experiment!.id}`, `resume us-east-1 ${experiment!.id}`]);
  });

  it('returns the same experiment for a repeated client token, and lists it once', async () => {
    await start({ 'us-east-1': [pause('us-east-1')], 'eu-west-1': [] });
    const fis = client('us-east-1');
    const experimentTemplateId = await templateId('us-east-1');

    const first = await fis.send(new StartExperimentCommand({ clientToken: 'same', experimentTemplateId }));
    const again = await fis.send(new StartExperimentCommand({ clientToken: 'same', experimentTemplateId }));
    const listed = await fis.send(new ListExperimentsCommand({}));

    expect(again.experiment!.id).toBe(first.experiment!.id);
    expect(listed.experiments!.map((e) => e.id)).toEqual([first.experiment!.id]);
    expect(links.calls.filter((c) => c.startsWith('pause'))).toHaveLength(1);
    await fis.send(new StopExperimentCommand({ id: first.experiment!.id! }));
  });

  it('fails an experiment it cannot run before touching anything, and says why', async () => {
    const elsewhere = pause('us-east-1', {
      targets: {
        Tables: {
          resourceType: 'aws:dynamodb:global-table',
          resourceArns: [`arn:aws:dynamodb:eu-west-1:${ACCOUNT}:table/meridian-local-orders`],
          selectionMode: 'ALL',
        },
      },
    });
    const unknownAction = pause('eu-west-1', {
      actions: {
        Stop: { actionId: 'aws:ec2:stop-instances', parameters: {}, targets: { Instances: 'Instances' } },
      },
    });
    await start({ 'us-east-1': [elsewhere], 'eu-west-1': [unknownAction] });

    const a = await client('us-east-1').send(
      new StartExperimentCommand({ clientToken: 't', experimentTemplateId: await templateId('us-east-1') }),
    );
    const b = await client('eu-west-1').send(
      new StartExperimentCommand({ clientToken: 't', experimentTemplateId: await templateId('eu-west-1') }),
    );

    expect(a.experiment!.state).toEqual({
      status: 'failed',
      reason: `Target arn:aws:dynamodb:eu-west-1:${ACCOUNT}:table/meridian-local-orders is not in the experiment's region us-east-1.`,
    });
    expect(b.experiment!.state!.status).toBe('failed');
    expect(b.experiment!.state!.reason).toMatch(/aws:ec2:stop-instances is not emulated/);
    expect(b.experiment!.actions!.Stop!.state!.status).toBe('cancelled');
    expect(links.calls).toEqual([]);
  });

  it("answers unknown ids, another region's experiment and malformed requests with typed 4xx errors", async () => {
    await start({ 'us-east-1': [pause('us-east-1')], 'eu-west-1': [] });
    const { experiment } = await client('us-east-1').send(
      new StartExperimentCommand({ clientToken: 'x', experimentTemplateId: await templateId('us-east-1') }),
    );

    await expect(
      client('us-east-1').send(new GetExperimentTemplateCommand({ id: 'EXTnope' })),
    ).rejects.toMatchObject({
      name: 'ResourceNotFoundException',
      $metadata: { httpStatusCode: 404 },
    });
    await expect(
      client('eu-west-1').send(new GetExperimentCommand({ id: experiment!.id! })),
    ).rejects.toMatchObject({ name: 'ResourceNotFoundException' });
    await expect(
      client('us-east-1').send(
        new StartExperimentCommand({ clientToken: 'y', experimentTemplateId: 'EXTnope' }),
      ),
    ).rejects.toMatchObject({ name: 'ResourceNotFoundException' });
    await expect(client('ap-south-1').send(new ListExperimentTemplatesCommand({}))).rejects.toMatchObject({
      name: 'ValidationException',
      message: expect.stringMatching(/ap-south-1/),
    });

    const signed = { authorization: 'AWS4-HMAC-SHA256 Credential=local/20261207/us-east-1/fis/aws4_request' };
    const post = (body: string) =>
      fetch(`${server.endpoint}/experiments`, { method: 'POST', headers: signed, body });
    const badJson = await post('{"clientToken":');
    const missing = await post('{"clientToken":"z"}');
    const unsigned = await fetch(`${server.endpoint}/experimentTemplates`);
    const unknown = await fetch(`${server.endpoint}/actions`, { headers: signed });
    const badPath = await fetch(`${server.endpoint}/experiments/%E0%A4%A`, { headers: signed });

    expect([badJson.status, badJson.headers.get('x-amzn-errortype')]).toEqual([
      400,
      'SerializationException',
    ]);
    expect([missing.status, await missing.json()]).toEqual([
      400,
      { message: 'experimentTemplateId is required and must be a non-empty string.' },
    ]);
    expect(unsigned.status).toBe(403);
    expect(unknown.status).toBe(404);
    expect([badPath.status, badPath.headers.get('x-amzn-errortype')]).toEqual([400, 'ValidationException']);
    await client('us-east-1').send(new StopExperimentCommand({ id: experiment!.id! }));
  });

  it('stops what still runs when it closes, lifting the pause', async () => {
    await start({ 'us-east-1': [pause('us-east-1')], 'eu-west-1': [] });
    const { experiment } = await client('us-east-1').send(
      new StartExperimentCommand({ clientToken: 'c', experimentTemplateId: await templateId('us-east-1') }),
    );

    await server.close();

    expect(links.calls).toEqual([`pause us-east-1 ${experiment!.id}`, `resume us-east-1 ${experiment!.id}`]);
  });
});

describe('parseIsoDuration', () => {
  it.each([
    ['PT1M', 60_000],
    ['PT30M', 1_800_000],
    ['PT1H30M', 5_400_000],
    ['PT90S', 90_000],
    ['PT12H', 43_200_000],
  ])('%s is %d ms', (text, ms) => {
    expect(parseIsoDuration(text)).toBe(ms);
  });

  it.each(['', 'PT', '30M', 'P1D', 'PT-1M', 'PT1M ', 'pt1m'])('refuses %j', (text) => {
    expect(parseIsoDuration(text)).toBeUndefined();
  });
});

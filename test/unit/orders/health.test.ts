import { DynamoTableProbe } from '../../../services/orders/adapters/health-probes';
import { CheckHealth } from '../../../services/orders/domain/check-health';
import { createTables, testDocumentClient } from '../../support/dynamo';
import { apiEvent, bodyOf, buildApp, type TestTables } from './support/app';
import { FakeProbe } from './support/fakes';

describe('GET /health', () => {
  const client = testDocumentClient();
  let tables: TestTables;

  beforeAll(async () => {
    const t = await createTables(['orders', 'processed-events']);
    tables = { orders: t.orders, processed: t['processed-events'] };
  });

  const health = (probes: FakeProbe[], healthTimeoutMs = 1500) =>
    buildApp(client, tables, { probes, healthTimeoutMs }).api(apiEvent('GET', '/health'));

  it('answers 200 ok with every check when all dependencies answer', async () => {
    const res = await health([
      new FakeProbe('table', 'ok'),
      new FakeProbe('bus', 'ok'),
      new FakeProbe('stateMachine', 'ok'),
    ]);

    expect(res.statusCode).toBe(200);
    expect(bodyOf(res)).toEqual({
      status: 'ok',
      region: 'us-east-1',
      checks: {
        table: { ok: true, latencyMs: expect.any(Number) },
        bus: { ok: true, latencyMs: expect.any(Number) },
        stateMachine: { ok: true, latencyMs: expect.any(Number) },
      },
    });
  });

  it('answers 503 naming the failing dependency, without its error message', async () => {
    const res = await health([
      new FakeProbe('table', 'ok'),
      new FakeProbe('bus', 'fail'),
      new FakeProbe('stateMachine', 'ok'),
    ]);

    expect(res.statusCode).toBe(503);
    expect(bodyOf(res)).toMatchObject({
      status: 'unhealthy',
      checks: {
        table: { ok: true },
        bus: { ok: false, error: 'ResourceNotFoundException' },
        stateMachine: { ok: true },
      },
    });
    expect(res.body).not.toContain('secret-looking-detail');
  });

  it('times out a hanging dependency, aborts it and answers 503', async () => {
    const hanging = new FakeProbe('stateMachine', 'hang');

    const res = await health([new FakeProbe('table', 'ok'), new FakeProbe('bus', 'ok'), hanging], 50);

    expect(res.statusCode).toBe(503);
    expect(bodyOf(res)).toMatchObject({ checks: { stateMachine: { ok: false, error: 'timeout' } } });
    expect(hanging.aborted).toBe(true);
  });

  it('reports every failing dependency at once', async () => {
    const report = await new CheckHealth({
      probes: [
        new FakeProbe('table', 'fail'),
        new FakeProbe('bus', 'hang'),
        new FakeProbe('stateMachine', 'ok'),
      ],
      region: 'eu-west-1',
      timeoutMs: 30,
    }).execute();

    expect(report.status).toBe('unhealthy');
    expect(
      Object.entries(report.checks)
        .filter(([, c]) => !c.ok)
        .map(([n]) => n),
    ).toEqual(['table', 'bus']);
  });

  it('counts a probe that throws a non-Error as failed', async () => {
    const report = await new CheckHealth({
      probes: [{ name: 'table', probe: () => Promise.reject('boom') }],
      region: 'eu-west-1',
      timeoutMs: 1000,
    }).execute();

    expect(report.checks.table).toMatchObject({ ok: false, error: 'Error' });
  });

  describe('DynamoDB table probe (dynalite)', () => {
    it('succeeds against an existing table', async () => {
      await expect(
        new DynamoTableProbe(client, tables.orders).probe(new AbortController().signal),
      ).resolves.toBeUndefined();
    });

    it('fails with ResourceNotFoundException for a missing table', async () => {
      await expect(
        new DynamoTableProbe(client, 'no-such-table').probe(new AbortController().signal),
      ).rejects.toMatchObject({
        name: 'ResourceNotFoundException',
      });
    });

    it('drives a real 200 through the use case', async () => {
      const report = await new CheckHealth({
        probes: [new DynamoTableProbe(client, tables.orders)],
        region: 'us-east-1',
        timeoutMs: 5000,
      }).execute();

      expect(report).toMatchObject({ status: 'ok', checks: { table: { ok: true } } });
    });
  });
});

import { instrumented, lambdaContext } from '../../../services/shared/lambda';
import { observability } from '../../../services/shared/observability';

describe('instrumented handler wrapper', () => {
  it('passes the result through and keeps the correlation id for the call only', async () => {
    const obs = observability('test');
    obs.logger.setLogLevel('INFO');
    const lines: string[] = [];
    const write = jest.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
      lines.push(String(chunk));
      return true;
    });
    const handler = instrumented(
      obs,
      (e: { cid: string }) => e.cid,
      async (e) => {
        obs.logger.info('inside');
        return { ok: e.cid };
      },
    );
    try {
      await expect(handler({ cid: 'abc' }, lambdaContext('fn-1'))).resolves.toEqual({ ok: 'abc' });
      obs.logger.info('after');
    } finally {
      write.mockRestore();
    }
    const logs = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(logs.find((l) => l.message === 'inside')).toMatchObject({
      correlationId: 'abc',
      function_name: 'fn-1',
    });
    expect(logs.find((l) => l.message === 'after')?.correlationId).toBeUndefined();
  });

  it('rethrows errors from the wrapped function', async () => {
    const handler = instrumented(
      observability('test'),
      () => undefined,
      async () => {
        throw new Error('nope');
      },
    );
    await expect(handler({}, lambdaContext())).rejects.toThrow('nope');
  });
});

import { spawn } from 'node:child_process';
import { appendFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { SendTaskSuccessCommand, SFNClient } from '@aws-sdk/client-sfn';
import type { StateMachineModel } from '../../../local/assembly/model';
import {
  LocalStepFunctions,
  stepFunctionsServer,
  type JsonValue,
  type StepFunctionsError,
} from '../../../local/stepfunctions';

const REGION = 'us-east-1';
const ACCOUNT = '111111111111';
const FN = (name: string) => `arn:aws:lambda:${REGION}:${ACCOUNT}:function:${name}`;
const SM = (name: string) => `arn:aws:states:${REGION}:${ACCOUNT}:stateMachine:${name}`;

const step = (fn: string, resultPath: string, next?: string) => ({
  Type: 'Task',
  Resource: FN(fn),
  ResultPath: resultPath,
  ...(next ? { Next: next } : { End: true }),
});

/** One → Two → Three, each a Lambda step. */
const stepsDefinition = {
  StartAt: 'One',
  States: {
    One: step('one', '$.one', 'Two'),
    Two: step('two', '$.two', 'Three'),
    Three: step('three', '$.three'),
  },
};

/** One → Pay (waits for its token) → After. */
const tokenDefinition = {
  StartAt: 'One',
  States: {
    One: step('one', '$.one', 'Pay'),
    Pay: {
      Type: 'Task',
      Resource: 'arn:aws:states:::lambda:invoke.waitForTaskToken',
      Parameters: { FunctionName: FN('pay'), Payload: { 'taskToken.$': '$$.Task.Token' } },
      ResultPath: '$.payment',
      TimeoutSeconds: 600,
      Next: 'After',
    },
    After: step('three', '$.three'),
  },
};

/** One → Fan (Parallel: A | Two) → Three. */
const fanDefinition = {
  StartAt: 'One',
  States: {
    One: step('one', '$.one', 'Fan'),
    Fan: {
      Type: 'Parallel',
      ResultPath: '$.fan',
      Branches: [
        { StartAt: 'A', States: { A: { Type: 'Task', Resource: FN('a'), End: true } } },
        { StartAt: 'B', States: { B: { Type: 'Task', Resource: FN('two'), End: true } } },
      ],
      Next: 'Three',
    },
    Three: step('three', '$.three'),
  },
};

const model = (name: string, definition: object): StateMachineModel => ({
  logicalId: name,
  name,
  arn: SM(name),
  type: 'STANDARD',
  definition: definition as Record<string, unknown>,
});

const machines = [
  model('steps', stepsDefinition),
  model('token', tokenDefinition),
  model('fan', fanDefinition),
  model('timed', { ...stepsDefinition, TimeoutSeconds: 30 }),
];

interface Call {
  readonly fn: string;
  readonly payload: JsonValue;
}

type Behaviour = Record<string, (payload: JsonValue) => JsonValue | Promise<JsonValue>>;

const defaults: Behaviour = {
  one: () => ({ n: 1 }),
  two: () => ({ n: 2 }),
  three: () => ({ n: 3 }),
  a: () => 'a',
  pay: () => null,
};

/** A function that never returns: the step is in flight when the "crash" comes. */
const forever = (): Promise<JsonValue> => new Promise(() => undefined);

const registries: LocalStepFunctions[] = [];
const dirs: string[] = [];
afterAll(() => {
  for (const r of registries) r.close();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

function tempDir(): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'meridian-sfn-persist-'));
  dirs.push(dir);
  return dir;
}

/** A registry on `dir` whose functions are `behaviour` (over the defaults); calls and tokens recorded. */
function region(dir: string, behaviour: Behaviour = {}, timeScale = 1000) {
  const calls: Call[] = [];
  const tokens: string[] = [];
  const fns = { ...defaults, ...behaviour };
  const registry = new LocalStepFunctions({
    region: REGION,
    accountId: ACCOUNT,
    machines,
    dir,
    timeScale,
    invokeFunction: (fn, payload) => {
      calls.push({ fn, payload });
      const name = fn.split(':').pop()!;
      if (name === 'pay') tokens.push((payload as { taskToken: string }).taskToken);
      const impl = fns[name];
      if (!impl) throw new Error(`unexpected function ${fn}`);
      return impl(payload);
    },
    sendMessage: () => ({}),
    updateItem: () => ({}),
  });
  registries.push(registry);
  return { registry, calls, tokens, called: (name: string) => calls.filter((c) => c.fn === FN(name)) };
}

async function until(condition: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

function errorName(fn: () => unknown): string {
  try {
    fn();
  } catch (error) {
    return (error as StepFunctionsError).name;
  }
  throw new Error('expected an error');
}

describe('LocalStepFunctions persistence: a killed region resumes its executions', () => {
  jest.setTimeout(30_000);

  it('resumes at the interrupted state with its input: same ARN and start date, earlier steps not re-run', async () => {
    const dir = tempDir();
    const first = region(dir, { two: forever });
    const started = first.registry.startExecution(SM('steps'), { name: 'crash-1', input: '{"order":"o-1"}' });
    await until(() => first.called('two').length === 1);

    // The crash: `first` is abandoned as is (nothing closed, nothing flushed); a new process reads the dir.
    let releaseThree!: () => void;
    const second = region(dir, {
      three: () => new Promise((resolve) => (releaseThree = () => resolve({ n: 3 }))),
    });
    await until(() => second.called('three').length === 1);
    expect(second.registry.describeExecution(started.executionArn)).toMatchObject({
      status: 'RUNNING',
      redriveCount: 1,
    });
    // Idempotent by name across the restart: the same name and input is the same execution.
    expect(
      second.registry.startExecution(SM('steps'), { name: 'crash-1', input: '{"order":"o-1"}' }),
    ).toEqual(started);
    expect(
      errorName(() => second.registry.startExecution(SM('steps'), { name: 'crash-1', input: '{}' })),
    ).toBe('ExecutionAlreadyExists');
    releaseThree();

    const done = await second.registry.waitForExecution(started.executionArn);
    expect(done).toMatchObject({
      executionArn: started.executionArn,
      status: 'SUCCEEDED',
      startDate: started.startDate,
    });
    expect(JSON.parse(done.output!)).toEqual({ order: 'o-1', one: { n: 1 }, two: { n: 2 }, three: { n: 3 } });
    // One ran once, before the crash; Two ran again with the input it was entered with.
    expect(second.calls.map((c) => c.fn)).toEqual([FN('two'), FN('three')]);
    expect(second.calls[0]!.payload).toEqual(first.called('two')[0]!.payload);

    const history = second.registry.getExecutionHistory(started.executionArn).events;
    const types = history.map((e) => e.type);
    expect(types.filter((t) => t === 'ExecutionStarted')).toHaveLength(1);
    const redriven = types.indexOf('ExecutionRedriven');
    expect(redriven).toBeGreaterThan(types.indexOf('LambdaFunctionSucceeded'));
    expect(history[redriven]!.executionRedrivenEventDetails).toEqual({ redriveCount: 1 });
    expect(history[redriven + 1]!.stateEnteredEventDetails).toMatchObject({ name: 'Two' });
    expect(types[types.length - 1]).toBe('ExecutionSucceeded');
  });

  it('a second kill right after a resume resumes at the same state again', async () => {
    const dir = tempDir();
    const first = region(dir, { two: forever });
    const { executionArn: arn } = first.registry.startExecution(SM('steps'), {
      name: 'twice',
      input: '{"k":1}',
    });
    await until(() => first.called('two').length === 1);
    const second = region(dir, { two: forever });
    await until(() => second.called('two').length === 1);

    // Killed just after the resume was journaled, before the resumed run re-entered Two.
    const file = path.join(dir, 'steps', 'executions', 'twice.jsonl');
    const lines = readFileSync(file, 'utf8').split('\n');
    const resumed = lines.findIndex((l) => l.includes('"type":"ExecutionResumed"'));
    writeFileSync(file, `${lines.slice(0, resumed + 1).join('\n')}\n`);

    const third = region(dir);
    const done = await third.registry.waitForExecution(arn);
    expect(done).toMatchObject({ status: 'SUCCEEDED', redriveCount: 2 });
    expect(third.calls.map((c) => c.fn)).toEqual([FN('two'), FN('three')]);
    expect(third.calls[0]!.payload).toEqual({ k: 1, one: { n: 1 } });
  });

  it('re-runs an interrupted token task with a new token; the old token answers TaskTimedOut', async () => {
    const dir = tempDir();
    const first = region(dir);
    const { executionArn: arn } = first.registry.startExecution(SM('token'), { name: 'tok-1' });
    await until(() => first.tokens.length === 1);

    const second = region(dir);
    const server = await stepFunctionsServer(second.registry);
    const sfn = new SFNClient({
      region: REGION,
      endpoint: server.endpoint,
      credentials: { accessKeyId: 'x', secretAccessKey: 'x' },
      maxAttempts: 1,
    });
    try {
      await until(() => second.tokens.length === 1);
      const [oldToken, newToken] = [first.tokens[0]!, second.tokens[0]!];
      expect(newToken).not.toBe(oldToken);
      const stale = await sfn.send(new SendTaskSuccessCommand({ taskToken: oldToken, output: '{}' })).then(
        () => undefined,
        (error: Error) => error.name,
      );
      expect(stale).toBe('TaskTimedOut');
      await sfn.send(new SendTaskSuccessCommand({ taskToken: newToken, output: '{"approved":true}' }));
      const done = await second.registry.waitForExecution(arn);
      expect(done.status).toBe('SUCCEEDED');
      expect(JSON.parse(done.output!)).toMatchObject({ payment: { approved: true }, three: { n: 3 } });
      expect(second.called('one')).toHaveLength(0);
    } finally {
      sfn.destroy();
      await server.close();
    }
  });

  it('replays a journaled SendTaskSuccess when the kill came before the state exited', async () => {
    const dir = tempDir();
    const first = region(dir, { three: forever });
    const { executionArn: arn } = first.registry.startExecution(SM('token'), { name: 'replay-1' });
    await until(() => first.tokens.length === 1);
    first.registry.sendTaskSuccess(first.tokens[0]!, '{"approved":true}');
    await until(() => first.called('three').length === 1);

    // A kill right after the TaskSucceeded line was written: cut the journal there.
    const file = path.join(dir, 'token', 'executions', 'replay-1.jsonl');
    const lines = readFileSync(file, 'utf8').split('\n');
    const succeeded = lines.findIndex((l) => l.includes('"type":"TaskSucceeded"'));
    expect(succeeded).toBeGreaterThan(0);
    writeFileSync(file, `${lines.slice(0, succeeded + 1).join('\n')}\n`);

    const second = region(dir);
    const done = await second.registry.waitForExecution(arn);
    expect(done.status).toBe('SUCCEEDED');
    expect(JSON.parse(done.output!)).toMatchObject({
      one: { n: 1 },
      payment: { approved: true },
      three: { n: 3 },
    });
    // The payment was not asked for again: its outcome came from the journal.
    expect(second.calls.map((c) => c.fn)).toEqual([FN('three')]);
  });

  it('serves finished executions after a restart exactly as before, and keeps their names taken', async () => {
    const dir = tempDir();
    const first = region(dir, {
      two: (payload) => {
        if ((payload as { fail?: boolean }).fail)
          throw Object.assign(new Error('kaput'), { name: 'BoomError' });
        return { n: 2 };
      },
    });
    const ok = first.registry.startExecution(SM('steps'), { name: 'fin-ok', input: '{"x":1}' });
    const failed = first.registry.startExecution(SM('steps'), { name: 'fin-fail', input: '{"fail":true}' });
    const stopped = first.registry.startExecution(SM('token'), { name: 'fin-stop' });
    await until(() => first.tokens.length === 1);
    first.registry.stopExecution(stopped.executionArn, { error: 'Operator', cause: 'drill' });
    await first.registry.waitForExecution(ok.executionArn);
    await first.registry.waitForExecution(failed.executionArn);
    const before = [ok, failed, stopped].map((e) => ({
      describe: first.registry.describeExecution(e.executionArn),
      history: first.registry.getExecutionHistory(e.executionArn),
    }));
    first.registry.close();
    // A torn line at the end of one file (a kill mid-write) and a file that never got its start line.
    appendFileSync(path.join(dir, 'steps', 'executions', 'fin-ok.jsonl'), '{"t":"event","id":99,"ts"');
    writeFileSync(path.join(dir, 'steps', 'executions', 'half.jsonl'), '{"t":"sta');

    const second = region(dir);
    const after = [ok, failed, stopped].map((e) => ({
      describe: second.registry.describeExecution(e.executionArn),
      history: second.registry.getExecutionHistory(e.executionArn),
    }));
    expect(after).toEqual(before);
    expect(after.map((a) => a.describe.status)).toEqual(['SUCCEEDED', 'FAILED', 'ABORTED']);
    expect(after[1]!.describe).toMatchObject({ error: 'BoomError', cause: 'kaput' });
    expect(after[2]!.describe).toMatchObject({ error: 'Operator', cause: 'drill' });
    expect(second.calls).toEqual([]);
    expect(
      errorName(() => second.registry.startExecution(SM('steps'), { name: 'fin-ok', input: '{"x":1}' })),
    ).toBe('ExecutionAlreadyExists');
    expect(errorName(() => second.registry.sendTaskSuccess(first.tokens[0]!, '{}'))).toBe('TaskTimedOut');
    expect(
      second.registry
        .listExecutions(SM('steps'))
        .executions.map((e) => e.name)
        .sort(),
    ).toEqual(['fin-fail', 'fin-ok']);
    expect(second.registry.stats()).toContainEqual({
      stateMachine: 'steps',
      running: 0,
      succeeded: 1,
      failed: 1,
      timedOut: 0,
      aborted: 0,
    });
    // The torn tail was cut off, so the file ends on a whole line again.
    expect(readFileSync(path.join(dir, 'steps', 'executions', 'fin-ok.jsonl'), 'utf8').endsWith('}\n')).toBe(
      true,
    );
  });

  it("counts the machine's TimeoutSeconds from the original start across a restart", async () => {
    const dir = tempDir();
    // TimeoutSeconds 30: 30 s at time scale 1 before the restart, 30 ms at time scale 1000 after it.
    const first = region(dir, { two: forever }, 1);
    const { executionArn: arn } = first.registry.startExecution(SM('timed'), { name: 'late' });
    await until(() => first.called('two').length === 1);
    first.registry.close();
    expect(first.registry.describeExecution(arn).status).toBe('RUNNING');
    await new Promise((resolve) => setTimeout(resolve, 60));

    const second = region(dir);
    const done = await second.registry.waitForExecution(arn);
    expect(done.status).toBe('TIMED_OUT');
    expect(second.calls).toEqual([]);
    const types = second.registry.getExecutionHistory(arn).events.map((e) => e.type);
    expect(types[types.length - 1]).toBe('ExecutionTimedOut');
  });

  it('resumes a state inside a Parallel at its top-level Parallel state', async () => {
    const dir = tempDir();
    const first = region(dir, { two: forever });
    const { executionArn: arn } = first.registry.startExecution(SM('fan'), { name: 'fan-1' });
    await until(() => first.called('two').length === 1 && first.called('a').length === 1);

    const second = region(dir);
    const done = await second.registry.waitForExecution(arn);
    expect(done.status).toBe('SUCCEEDED');
    expect(JSON.parse(done.output!)).toEqual({ one: { n: 1 }, fan: ['a', { n: 2 }], three: { n: 3 } });
    // The whole Parallel ran again (both branches), the state before it did not.
    expect(second.calls.map((c) => c.fn).sort()).toEqual([FN('a'), FN('three'), FN('two')]);
    const events = second.registry.getExecutionHistory(arn).events;
    const redriven = events.findIndex((e) => e.type === 'ExecutionRedriven');
    expect(events[redriven + 1]).toMatchObject({
      type: 'ParallelStateEntered',
      stateEnteredEventDetails: { name: 'Fan' },
    });
  });

  it('survives a real SIGKILL at an arbitrary moment: every acknowledged execution completes', async () => {
    const dir = tempDir();
    // A child process starts an execution every 1 ms, printing each acknowledged ARN. Each step takes 25 ms,
    // longer than the parent takes to see an ACK and kill, so the kill always finds executions mid-flight.
    const child = spawn(
      process.execPath,
      [
        '--require',
        'tsx/cjs',
        '-e',
        `
        const { LocalStepFunctions } = require(${JSON.stringify(path.resolve(__dirname, '../../../local/stepfunctions'))});
        const registry = new LocalStepFunctions({
          region: ${JSON.stringify(REGION)},
          accountId: ${JSON.stringify(ACCOUNT)},
          machines: JSON.parse(process.env.SFN_MACHINES),
          dir: process.env.SFN_DIR,
          timeScale: 1000,
          invokeFunction: (fn) => new Promise((resolve) => setTimeout(() => resolve({ n: fn.split(':').pop() }), 25)),
          sendMessage: () => ({}),
          updateItem: () => ({}),
        });
        let i = 0;
        const tick = () => {
          const { executionArn } = registry.startExecution(${JSON.stringify(SM('steps'))}, { name: 'k-' + i++ });
          process.stdout.write('ACK ' + executionArn + '\\n');
          setTimeout(tick, 1);
        };
        tick();
        `,
      ],
      {
        cwd: path.resolve(__dirname, '../../..'),
        env: { ...process.env, SFN_DIR: dir, SFN_MACHINES: JSON.stringify(machines) },
        stdio: ['ignore', 'pipe', 'inherit'],
      },
    );
    const acked: string[] = [];
    let buffered = '';
    child.stdout.on('data', (chunk: Buffer) => {
      buffered += chunk.toString('utf8');
      const lines = buffered.split('\n');
      buffered = lines.pop()!;
      for (const line of lines) if (line.startsWith('ACK ')) acked.push(line.slice(4));
    });
    const exited = new Promise<NodeJS.Signals | null>((resolve) =>
      child.on('exit', (_code, signal) => resolve(signal)),
    );
    await until(() => acked.length >= 40, 20_000);
    child.kill('SIGKILL');
    expect(await exited).toBe('SIGKILL');

    const second = region(dir, {
      one: () => ({ n: 'one' }),
      two: () => ({ n: 'two' }),
      three: () => ({ n: 'three' }),
    });
    for (const arn of acked) {
      const done = await second.registry.waitForExecution(arn);
      expect({ arn, status: done.status }).toEqual({ arn, status: 'SUCCEEDED' });
      expect(JSON.parse(done.output!)).toEqual({
        one: { n: 'one' },
        two: { n: 'two' },
        three: { n: 'three' },
      });
    }
    // The kill caught executions mid-flight: they were resumed, not merely read back.
    const resumed = acked.filter((arn) => second.registry.describeExecution(arn).redriveCount === 1);
    expect(resumed.length).toBeGreaterThan(0);
    // Nothing acknowledged was lost, and every execution on disk (acknowledged or not) reached an end.
    const listed = second.registry.listExecutions(SM('steps'), { maxResults: 1000 }).executions;
    expect(listed.map((e) => e.executionArn)).toEqual(expect.arrayContaining(acked));
    await Promise.all(listed.map((e) => second.registry.waitForExecution(e.executionArn)));
    expect(second.registry.stats().find((s) => s.stateMachine === 'steps')).toMatchObject({
      running: 0,
      failed: 0,
      succeeded: listed.length,
    });
  });
});

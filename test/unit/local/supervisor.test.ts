import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import {
  runtimeFilePath,
  startRuntime,
  supervisorControl,
  type Runtime,
  type RuntimeFile,
} from '../../../local/supervisor';

describe('the supervisor: takeover grace override', () => {
  let dir: string;

  beforeEach(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'meridian-supervisor-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('refuses a grace that is not whole seconds from 1 to 86400 before touching anything', async () => {
    const stateDir = path.join(dir, 'state');
    for (const bad of [0, -1, 1.5, 86_401, Number.NaN]) {
      await expect(startRuntime({ stateDir, takeoverGraceSeconds: bad })).rejects.toThrow(
        `takeoverGraceSeconds must be a whole number of seconds from 1 to 86400 (AWS time, before the time scale); got ${bad}`,
      );
    }
    expect(existsSync(stateDir)).toBe(false);
  });

  /** The parts of a runtime that its control endpoint and runtime.json read. */
  const fakeRuntime = (extra: Partial<Runtime>): Runtime =>
    ({
      regions: ['us-east-1', 'eu-west-1'],
      stateDir: dir,
      environment: 'meridian-local',
      timeScale: 20,
      edge: { endpoint: 'http://127.0.0.1:8080' },
      endpoints: {},
      ...extra,
    }) as unknown as Runtime;

  it('records the override, the time scale and the environment in runtime.json', async () => {
    const control = await supervisorControl(fakeRuntime({ takeoverGraceSeconds: 120 }));
    try {
      const file = JSON.parse(readFileSync(runtimeFilePath(dir), 'utf8')) as RuntimeFile;

      expect(file).toMatchObject({
        controlUrl: control.url,
        edgeUrl: 'http://127.0.0.1:8080',
        timeScale: 20,
        environment: 'meridian-local',
        takeoverGraceSeconds: 120,
      });
    } finally {
      await control.close();
    }
    expect(existsSync(runtimeFilePath(dir))).toBe(false);
  });

  it('leaves the override out of runtime.json when the template value applies', async () => {
    const control = await supervisorControl(fakeRuntime({}));
    try {
      const file = JSON.parse(readFileSync(runtimeFilePath(dir), 'utf8')) as RuntimeFile;

      expect(file.timeScale).toBe(20);
      expect('takeoverGraceSeconds' in file).toBe(false);
    } finally {
      await control.close();
    }
  });
});

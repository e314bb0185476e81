import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';

const REPO = path.resolve(__dirname, '..', '..', '..');

/** Runs the `meridian` CLI as a user would (through tsx), with a state dir of the test's own. */
function meridian(args: string[]): { status: number | null; stdout: string; stderr: string } {
  const out = spawnSync(
    process.execPath,
    ['--import', 'tsx', path.join(REPO, 'bin', 'meridian.ts'), ...args],
    {
      cwd: REPO,
      encoding: 'utf8',
      timeout: 30_000,
    },
  );
  return { status: out.status, stdout: out.stdout, stderr: out.stderr };
}

describe('the meridian CLI', () => {
  let stateDir: string;

  beforeAll(() => {
    stateDir = mkdtempSync(path.join(tmpdir(), 'meridian-cli-'));
  });

  afterAll(() => rmSync(stateDir, { recursive: true, force: true }));

  it('rejects an unknown command with usage and exit code 2', () => {
    const out = meridian(['fly']);

    expect(out.status).toBe(2);
    expect(out.stderr).toContain('unknown command "fly"');
    expect(out.stderr).toContain('region kill <region>');
  });

  it('rejects a malformed link command without touching anything', () => {
    const out = meridian(['link', 'lag', 'us-east-1', '--state-dir', stateDir]);

    expect(out.status).toBe(2);
    expect(out.stderr).toContain('usage: meridian link');
  });

  it('says plainly when no runtime is running', () => {
    const out = meridian(['status', '--state-dir', stateDir]);

    expect(out.status).toBe(2);
    expect(out.stderr).toContain('no running `meridian up` found');
  });

  it('says so when the recorded runtime no longer answers', () => {
    writeFileSync(
      path.join(stateDir, 'runtime.json'),
      JSON.stringify({
        pid: 1,
        controlUrl: 'http://127.0.0.1:9',
        edgeUrl: 'http://127.0.0.1:9',
        regions: [],
      }),
    );

    const out = meridian(['region', 'kill', 'us-east-1', '--state-dir', stateDir]);

    expect(out.status).toBe(2);
    expect(out.stderr).toContain('does not answer');
  });

  it('rejects an unknown drill scenario with the list of scenarios', () => {
    const out = meridian(['drill', 'meteor-strike', '--state-dir', stateDir]);

    expect(out.status).toBe(2);
    expect(out.stderr).toContain(
      'usage: meridian drill <region-outage|health-check-inversion|replication-partition|latency>',
    );
  });

  it('rejects malformed drill options before starting anything', () => {
    expect(meridian(['drill', 'latency', '--rate', 'fast', '--state-dir', stateDir]).stderr).toContain(
      '--rate must be a number >= 0, got "fast"',
    );
    expect(meridian(['drill', 'latency', '--concurrency', '0', '--state-dir', stateDir]).stderr).toContain(
      '--concurrency must be > 0',
    );
    expect(meridian(['drill', 'latency', '--target', 'mars', '--state-dir', stateDir]).stderr).toContain(
      '--target must be local or aws, got "mars"',
    );
  });

  it('asks for an environment when the drill targets AWS, and refuses a one-region environment', () => {
    const noEnv = meridian(['drill', 'health-check-inversion', '--target', 'aws']);
    const oneRegion = meridian(['drill', 'health-check-inversion', '--target', 'aws', '--env', 'dev']);
    const unknown = meridian(['drill', 'health-check-inversion', '--target', 'aws', '--env', 'qa']);

    expect(noEnv.status).toBe(2);
    expect(noEnv.stderr).toContain('--target aws needs --env <name>');
    expect(oneRegion.status).toBe(2);
    expect(oneRegion.stderr).toContain('environment dev has one region (us-east-1)');
    expect(unknown.status).toBe(2);
    expect(unknown.stderr).toContain('--env must be one of local, dev, staging, prod; got "qa"');
  });
});

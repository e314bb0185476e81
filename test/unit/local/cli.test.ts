import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
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

/** The same, without blocking this process: for tests that serve something the CLI calls. */
function meridianAsync(args: string[]): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', path.join(REPO, 'bin', 'meridian.ts'), ...args],
      {
        cwd: REPO,
        timeout: 30_000,
      },
    );
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('close', (status) => resolve({ status, stdout, stderr }));
  });
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
    // No runtime runs in stateDir, and none is started for a region it would not have.
    const mars = meridian(['drill', 'latency', '--region', 'mars-1', '--state-dir', stateDir]);
    expect([mars.status, mars.stderr]).toEqual([
      2,
      expect.stringContaining("--region mars-1 is not one of the target's regions (us-east-1, eu-west-1)"),
    ]);
    expect(mars.stderr).not.toContain('starting a local runtime');
  });

  it('rejects malformed bench options with exit code 2 before starting a runtime', () => {
    const zero = meridian(['bench', '--orders', '0']);
    const fraction = meridian(['bench', '--concurrency', '2.5']);
    const none = meridian(['bench', '--ceiling-seconds', '0']);

    expect([zero.status, zero.stderr.trim()]).toEqual([
      2,
      'meridian: --orders must be an integer >= 1, got 0',
    ]);
    expect(fraction.stderr).toContain('--concurrency must be an integer >= 1, got 2.5');
    expect(none.stderr).toContain('--ceiling-seconds must be a number > 0, got 0');
    // Nothing was started: no runtime's progress lines.
    expect(zero.stderr).not.toContain('[bench]');
  });

  it('lists --takeover-grace for up and for drill in its usage', () => {
    const out = meridian(['help']);

    expect(out.status).toBe(0);
    expect(out.stdout).toMatch(/up \[[^\n]*\n\s+\[--takeover-grace <seconds>\]/);
    expect(out.stdout).toMatch(/\[--time-scale 20\] \[--takeover-grace <seconds>\]/);
  });

  it.each([
    ['up', '0'],
    ['drill', '2.5'],
    ['up', '86401'],
    ['drill', 'soon'],
  ])('%s rejects --takeover-grace=%s, naming the flag, before starting anything', (command, value) => {
    const args = command === 'up' ? ['up'] : ['drill', 'region-outage'];
    const out = meridian([...args, `--takeover-grace=${value}`, '--state-dir', stateDir]);

    expect(out.status).toBe(2);
    expect(out.stderr).toContain(
      `--takeover-grace must be a positive whole number of seconds (1–86400), got "${value}"`,
    );
  });

  it('treats an option value that looks like an option as a usage error naming the flag', () => {
    const out = meridian(['up', '--takeover-grace', '-5', '--state-dir', stateDir]);

    expect(out.status).toBe(2);
    expect(out.stderr).toContain("'--takeover-grace=-XYZ'");
  });

  it('refuses --takeover-grace for a drill against AWS, whose grace is set when it is deployed', () => {
    const out = meridian([
      'drill',
      'health-check-inversion',
      '--target',
      'aws',
      '--env',
      'staging',
      '--takeover-grace',
      '300',
    ]);

    expect(out.status).toBe(2);
    expect(out.stderr).toContain('--takeover-grace is for the local runtime only');
    expect(out.stderr).toContain('takeoverGraceMinutes');
  });

  describe('with a running `meridian up`', () => {
    let server: Server;
    let runningDir: string;

    beforeAll(async () => {
      runningDir = mkdtempSync(path.join(tmpdir(), 'meridian-cli-running-'));
      // Stands in for the control endpoint: the drill only asks whether it answers before refusing.
      server = createServer((_req, res) => {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ regions: [], links: {}, edge: {} }));
      });
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
      writeFileSync(
        path.join(runningDir, 'runtime.json'),
        JSON.stringify({
          pid: process.pid,
          controlUrl: url,
          edgeUrl: url,
          regions: ['us-east-1', 'eu-west-1'],
          timeScale: 20,
          endpoints: {},
        }),
      );
    });

    afterAll(async () => {
      await new Promise<void>((resolve) => server.close(() => resolve()));
      rmSync(runningDir, { recursive: true, force: true });
    });

    it('refuses --takeover-grace for a drill: the running grace is fixed', async () => {
      const out = await meridianAsync([
        'drill',
        'region-outage',
        '--takeover-grace',
        '300',
        '--state-dir',
        runningDir,
      ]);

      expect(out.status).toBe(2);
      expect(out.stderr).toContain('--takeover-grace cannot change the running `meridian up`');
      expect(out.stderr).toContain('meridian up --takeover-grace <seconds>');
    });
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

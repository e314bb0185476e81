import { spawn } from 'node:child_process';
import { appendFileSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  LINK_PATH,
  LinkReceiver,
  linkRequestListener,
  PeerLinks,
  type ReceivedEntry,
} from '../../../local/link';

class ManualClock {
  constructor(public t = 1_700_000_000_000) {}
  now(): number {
    return this.t;
  }
}

async function waitFor(cond: () => boolean, what: string, timeoutMs = 8000): Promise<void> {
  const start = Date.now();
  while (!cond()) {
    if (Date.now() - start > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** A receiving region: a LinkReceiver mounted on a loopback server, recording what it applied. */
class Peer {
  readonly applied: ReceivedEntry[] = [];
  receiver: LinkReceiver;
  server?: Server;
  port = 0;
  failNext = 0;

  constructor(readonly dir?: string) {
    this.receiver = this.makeReceiver();
  }

  makeReceiver(): LinkReceiver {
    return new LinkReceiver({
      dir: this.dir,
      handlers: {
        test: async (e) => {
          if (this.failNext > 0) {
            this.failNext--;
            throw new Error('handler down');
          }
          this.applied.push(e);
        },
      },
    });
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  seqs(): number[] {
    return this.applied.map((e) => e.seq);
  }

  async start(port = 0): Promise<this> {
    const listener = linkRequestListener(this.receiver, { maxBodyBytes: 64 * 1024 });
    this.server = createServer((req, res) => {
      if (req.url === LINK_PATH) listener(req, res);
      else {
        res.writeHead(404).end();
      }
    });
    await new Promise<void>((r) => this.server!.listen(port, '127.0.0.1', () => r()));
    this.port = (this.server.address() as AddressInfo).port;
    return this;
  }

  async stop(): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.server = undefined;
    await new Promise<void>((r) => {
      server.close(() => r());
      server.closeAllConnections();
    });
  }
}

function post(url: string, body: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(`${url}${LINK_PATH}`, { method: 'POST', agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString() }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

describe('PeerLinks → LinkReceiver', () => {
  const cleanups: (() => Promise<void> | void)[] = [];
  const tmp = (): string => {
    const d = mkdtempSync(join(tmpdir(), 'meridian-link-'));
    cleanups.push(() => rmSync(d, { recursive: true, force: true }));
    return d;
  };
  const links = (opts: ConstructorParameters<typeof PeerLinks>[0]): PeerLinks => {
    const l = new PeerLinks({ retryMinMs: 20, retryMaxMs: 50, ...opts });
    cleanups.push(() => l.close());
    return l;
  };
  const peer = async (dir?: string): Promise<Peer> => {
    const p = await new Peer(dir).start();
    cleanups.push(() => p.stop());
    return p;
  };

  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
  });

  it('delivers every entry once, in order, across several batches', async () => {
    const b = await peer();
    const a = links({
      self: 'eu-west-1',
      peers: [{ region: 'us-east-1', url: b.url }],
      lagMs: 0,
      batchSize: 7,
    });

    for (let i = 1; i <= 50; i++) expect(a.append('test', { i })).toBe(i);

    await waitFor(() => b.applied.length === 50, '50 entries');
    expect(b.seqs()).toEqual(Array.from({ length: 50 }, (_, i) => i + 1));
    expect(b.applied.map((e) => (e.payload as { i: number }).i)).toEqual(b.seqs());
    expect(b.applied[0]).toMatchObject({ from: 'eu-west-1', channel: 'test' });
    await waitFor(() => a.stats()[0]!.pending === 0, 'cursor to catch up');
    expect(a.stats()[0]).toMatchObject({
      peer: 'us-east-1',
      pending: 0,
      lastDeliveredSeq: 50,
      partitioned: false,
    });
  });

  it('holds each entry until appendedAt + lag on the injected clock', async () => {
    const clock = new ManualClock();
    const b = await peer();
    const a = links({ self: 'eu-west-1', peers: [{ region: 'us-east-1', url: b.url }], lagMs: 500, clock });

    a.append('test', 'first');
    clock.t += 300;
    a.append('test', 'second');
    await sleep(400);
    expect(b.applied).toHaveLength(0);
    expect(a.stats()[0]).toMatchObject({ pending: 2, oldestPendingAgeMs: 300, lagMs: 500 });

    clock.t += 200; // the first is due, the second is not
    await waitFor(() => b.applied.length === 1, 'the first entry');
    await sleep(300);
    expect(b.applied.map((e) => e.payload)).toEqual(['first']);

    a.setLag('us-east-1', 0); // a shorter lag releases the second at once
    await waitFor(() => b.applied.length === 2, 'the second entry');
    expect(b.applied.map((e) => e.payload)).toEqual(['first', 'second']);
  });

  it('holds each entry exactly the raised lag under continuous appends; pending counts what is not yet due', async () => {
    const clock = new ManualClock();
    const b = await peer();
    const a = links({ self: 'eu-west-1', peers: [{ region: 'us-east-1', url: b.url }], lagMs: 100, clock });
    for (let i = 0; i < 5; i++) a.append('test', `a${i}`);
    clock.t += 100;
    await waitFor(() => b.applied.length === 5, 'the entries under the short lag');

    // The lag rises while entries keep arriving, one every 200 ms of the clock, for 2 s.
    a.setLag('us-east-1', 2000);
    for (let i = 0; i < 10; i++) {
      a.append('test', `b${i}`);
      clock.t += 200;
    }
    await waitFor(() => b.applied.length === 6, 'the first entry 2 s old');
    await waitFor(() => a.stats()[0]!.lastDeliveredSeq === 6, 'its ack');
    await sleep(300);
    const afterTwoSeconds = { applied: b.applied.length, pending: a.stats()[0]!.pending };
    clock.t += 1000;
    await waitFor(() => b.applied.length === 11, 'the entries 2 s old one second later');
    await waitFor(() => a.stats()[0]!.lastDeliveredSeq === 11, 'their acks');
    await sleep(300);
    const afterThreeSeconds = { applied: b.applied.length, pending: a.stats()[0]!.pending };
    a.setLag('us-east-1', 100);
    await waitFor(() => b.applied.length === 15, 'the rest under the short lag again');
    await waitFor(() => a.stats()[0]!.lastDeliveredSeq === 15, 'the last acks');

    expect(afterTwoSeconds).toEqual({ applied: 6, pending: 9 });
    expect(afterThreeSeconds).toEqual({ applied: 11, pending: 4 });
    expect(b.applied.map((e) => e.payload)).toEqual([
      ...[0, 1, 2, 3, 4].map((i) => `a${i}`),
      ...[0, 1, 2, 3, 4, 5, 6, 7, 8, 9].map((i) => `b${i}`),
    ]);
    expect(a.stats()[0]).toMatchObject({ pending: 0, oldestPendingAgeMs: 0 });
  });

  it('holds everything while partitioned and delivers it in order after heal', async () => {
    const b = await peer();
    const a = links({ self: 'eu-west-1', peers: [{ region: 'us-east-1', url: b.url }], lagMs: 0 });
    a.append('test', 1);
    // The ack, not the apply: a partition abandons a delivery whose response is still on the wire.
    await waitFor(() => a.stats()[0]!.lastDeliveredSeq === 1, 'the first ack');

    a.partition('us-east-1');
    for (let i = 2; i <= 20; i++) a.append('test', i);
    await sleep(300);
    expect(b.applied).toHaveLength(1);
    expect(a.stats()[0]).toMatchObject({ partitioned: true, pending: 19 });

    a.heal('us-east-1');
    await waitFor(() => b.applied.length === 20, 'the held entries');
    expect(b.applied.map((e) => e.payload)).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
  });

  it('retries while the receiver is down and catches up when it comes back', async () => {
    const b = await peer();
    const port = b.port;
    await b.stop();
    const a = links({ self: 'eu-west-1', peers: [{ region: 'us-east-1', url: b.url }], lagMs: 0 });
    for (let i = 1; i <= 5; i++) a.append('test', i);

    await waitFor(() => a.stats()[0]!.lastError !== undefined, 'a delivery failure');
    expect(a.stats()[0]).toMatchObject({ pending: 5, lastDeliveredSeq: 0 });

    await b.start(port);
    await waitFor(() => b.applied.length === 5, 'the entries after restart');
    expect(b.seqs()).toEqual([1, 2, 3, 4, 5]);
    await waitFor(() => a.stats()[0]!.lastError === undefined, 'the error to clear');
  });

  it('follows a peer that restarted on a new URL', async () => {
    const old = await peer();
    const a = links({ self: 'eu-west-1', peers: [{ region: 'us-east-1', url: old.url }], lagMs: 0 });
    await old.stop();
    a.append('test', 'x');
    await waitFor(() => a.stats()[0]!.lastError !== undefined, 'a delivery failure');

    const moved = await peer();
    a.setPeerUrl('us-east-1', `${moved.url}/`);
    await waitFor(() => moved.applied.length === 1, 'delivery to the new URL');
  });

  it('resumes from the persisted cursor after the sender restarts, without loss or repeats', async () => {
    const dir = tmp();
    const b = await peer();
    const first = new PeerLinks({
      self: 'eu-west-1',
      dir,
      peers: [{ region: 'us-east-1', url: b.url }],
      lagMs: 0,
    });
    first.append('test', 1);
    first.append('test', 2);
    await waitFor(() => first.stats()[0]!.lastDeliveredSeq === 2, 'the first two acks');
    first.partition('us-east-1');
    first.append('test', 3);
    first.append('test', 4);
    first.close(); // what a kill leaves: entries 3 and 4 on disk, cursor at 2

    const second = links({ self: 'eu-west-1', dir, peers: [{ region: 'us-east-1', url: b.url }], lagMs: 0 });
    expect(second.stats()[0]).toMatchObject({ pending: 2, lastDeliveredSeq: 2 });
    await waitFor(() => b.applied.length === 4, 'the held entries');
    expect(b.applied.map((e) => e.payload)).toEqual([1, 2, 3, 4]);
    expect(second.append('test', 5)).toBe(5); // seqs continue, they never restart
    await waitFor(() => b.applied.length === 5, 'the new entry');
  });

  it('keeps every appended entry when the sending process is killed with SIGKILL', async () => {
    const dir = tmp();
    const script = `
      const { PeerLinks } = require(${JSON.stringify(join(__dirname, '../../../local/link'))});
      const links = new PeerLinks({ self: 'eu-west-1', dir: ${JSON.stringify(dir)},
        peers: [{ region: 'us-east-1', url: 'http://127.0.0.1:9' }] });
      links.partition('us-east-1');
      for (let i = 1; i <= 25; i++) links.append('test', i);
      process.stdout.write('appended');
      setInterval(() => undefined, 1000);
    `;
    const child = spawn(process.execPath, ['-r', 'tsx/cjs', '-e', script], {
      cwd: join(__dirname, '../../..'),
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    await waitFor(() => out.includes('appended'), 'the child to append', 15_000);
    const exited = new Promise<NodeJS.Signals | null>((r) => child.on('exit', (_code, signal) => r(signal)));
    child.kill('SIGKILL');
    expect(await exited).toBe('SIGKILL');

    const b = await peer();
    links({ self: 'eu-west-1', dir, peers: [{ region: 'us-east-1', url: b.url }], lagMs: 0 });
    await waitFor(() => b.applied.length === 25, 'the entries of the killed process');
    expect(b.applied.map((e) => e.payload)).toEqual(Array.from({ length: 25 }, (_, i) => i + 1));
  });

  it('ignores a partial last line left by a crash in the middle of a write', async () => {
    const dir = tmp();
    const a = new PeerLinks({
      self: 'eu-west-1',
      dir,
      peers: [{ region: 'us-east-1', url: 'http://127.0.0.1:9' }],
    });
    a.partition('us-east-1');
    a.append('test', 'whole');
    a.close();
    const file = join(dir, 'outbox.jsonl');
    appendFileSync(file, '{"seq":2,"chan');

    const b = await peer();
    const again = links({ self: 'eu-west-1', dir, peers: [{ region: 'us-east-1', url: b.url }], lagMs: 0 });
    expect(again.append('test', 'next')).toBe(2);
    await waitFor(() => b.applied.length === 2, 'both entries');
    expect(b.applied.map((e) => e.payload)).toEqual(['whole', 'next']);
  });

  it('compacts the outbox but keeps the entries a partitioned peer has not acknowledged', async () => {
    const dir = tmp();
    const b = await peer();
    const c = await peer();
    const peers = [
      { region: 'us-east-1', url: b.url },
      { region: 'ap-south-1', url: c.url },
    ];
    const a = new PeerLinks({ self: 'eu-west-1', dir, peers, lagMs: 0, compactBytes: 1 });
    for (let i = 1; i <= 60; i++) a.append('test', { i, pad: 'x'.repeat(100) });
    // The acks, not the applies: a partition abandons a delivery whose response is still on the wire.
    await waitFor(() => a.stats().every((s) => s.lastDeliveredSeq === 60), 'the first 60 acks from both');
    a.partition('ap-south-1');
    for (let i = 61; i <= 100; i++) a.append('test', { i, pad: 'x'.repeat(100) });
    await waitFor(() => a.stats()[0]!.lastDeliveredSeq === 100, 'the last 40 on the open link');

    const lines = readFileSync(join(dir, 'outbox.jsonl'), 'utf8').trim().split('\n');
    expect(JSON.parse(lines[0]!)).toEqual({ base: 60 });
    expect(lines.slice(1).map((l) => (JSON.parse(l) as { seq: number }).seq)).toEqual(
      Array.from({ length: 40 }, (_, i) => i + 61),
    );
    a.close();

    const again = links({ self: 'eu-west-1', dir, peers, lagMs: 0 });
    await waitFor(() => c.applied.length === 100, 'the held 40 after restart');
    expect(c.seqs()).toEqual(Array.from({ length: 100 }, (_, i) => i + 1));
    expect(b.applied).toHaveLength(100);
    expect(again.append('test', 'after')).toBe(101);
  });

  it('redelivers a batch whose handler failed, applying each entry once', async () => {
    const b = await peer();
    b.failNext = 2;
    const a = links({ self: 'eu-west-1', peers: [{ region: 'us-east-1', url: b.url }], lagMs: 0 });
    for (let i = 1; i <= 3; i++) a.append('test', i);

    await waitFor(() => b.applied.length === 3, 'all entries');
    expect(b.seqs()).toEqual([1, 2, 3]);
    await waitFor(() => a.stats()[0]!.pending === 0, 'acks');
  });

  it('validates its constructor arguments and controls', () => {
    expect(() => new PeerLinks({ self: 'a/b', peers: [] })).toThrow(/invalid region name/);
    expect(() => new PeerLinks({ self: 'a', peers: [{ region: 'a', url: 'http://x' }] })).toThrow(/own peer/);
    const a = links({ self: 'a', peers: [{ region: 'b', url: 'http://127.0.0.1:9' }] });
    expect(() => a.setLag('b', -1)).toThrow(RangeError);
    expect(() => a.partition('c')).toThrow(/unknown peer 'c'/);
    expect(() => a.append('', 1)).toThrow(TypeError);
    expect(() => a.append('test', undefined)).toThrow(TypeError);
  });
});

describe('LinkReceiver', () => {
  const batch = (from: string, seqs: number[], epoch = 'e1'): unknown => ({
    from,
    epoch,
    entries: seqs.map((seq) => ({ seq, channel: 'test', payload: { seq }, appendedAt: 1000 + seq })),
  });

  const make = (dir?: string, now = 1_100): { receiver: LinkReceiver; applied: ReceivedEntry[] } => {
    const applied: ReceivedEntry[] = [];
    const receiver = new LinkReceiver({
      dir,
      clock: { now: () => now },
      handlers: { test: async (e) => void applied.push(e) },
    });
    return { receiver, applied };
  };

  it('applies a redelivered batch once, also after a restart on the same dir', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'meridian-hwm-'));
    try {
      const first = make(dir);
      expect(await first.receiver.handle(batch('eu-west-1', [1, 2, 3]))).toEqual({
        status: 200,
        body: { appliedThrough: 3, applied: 3, duplicates: 0 },
      });
      expect((await first.receiver.handle(batch('eu-west-1', [2, 3, 4]))).body).toEqual({
        appliedThrough: 4,
        applied: 1,
        duplicates: 2,
      });

      const restarted = make(dir);
      await restarted.receiver.handle(batch('eu-west-1', [3, 4, 5]));
      expect(restarted.applied.map((e) => e.seq)).toEqual([5]);
      expect(JSON.parse(readFileSync(join(dir, 'hwm-eu-west-1.json'), 'utf8'))).toEqual({
        seq: 5,
        epoch: 'e1',
      });

      // A sender whose state was wiped starts a new epoch: its seqs restart and are applied.
      await restarted.receiver.handle(batch('eu-west-1', [1], 'e2'));
      expect(restarted.applied.map((e) => e.seq)).toEqual([5, 1]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('serializes concurrent deliveries from one source', async () => {
    const { receiver, applied } = make();
    await Promise.all([
      receiver.handle(batch('eu-west-1', [1, 2])),
      receiver.handle(batch('eu-west-1', [1, 2])),
    ]);
    expect(applied.map((e) => e.seq)).toEqual([1, 2]);
  });

  it('records per-source delivery lag', async () => {
    const { receiver } = make(undefined, 2_000);
    await receiver.handle(batch('eu-west-1', [1, 2, 3, 4]));
    await receiver.handle(batch('us-east-1', [1]));
    const stats = receiver.stats();
    expect(stats).toEqual([
      {
        from: 'eu-west-1',
        lastSeq: 4,
        lastLagMs: 996,
        p50LagMs: 997,
        p99LagMs: 999,
        maxLagMs: 999,
        applied: 4,
      },
      {
        from: 'us-east-1',
        lastSeq: 1,
        lastLagMs: 999,
        p50LagMs: 999,
        p99LagMs: 999,
        maxLagMs: 999,
        applied: 1,
      },
    ]);
  });

  it.each([
    [null, /JSON object/],
    [[], /JSON object/],
    [{ epoch: 'e', entries: [] }, /from must be/],
    [{ from: '../etc', epoch: 'e', entries: [] }, /from must be/],
    [{ from: 'a', entries: [] }, /epoch/],
    [{ from: 'a', epoch: 'e', entries: {} }, /entries must be an array/],
    [{ from: 'a', epoch: 'e', entries: [1] }, /entries\[0\] must be an object/],
    [{ from: 'a', epoch: 'e', entries: [{ seq: 0, channel: 'test', payload: 1, appendedAt: 1 }] }, /seq/],
    [{ from: 'a', epoch: 'e', entries: [{ seq: 1, channel: 'nope', payload: 1, appendedAt: 1 }] }, /'nope'/],
    [{ from: 'a', epoch: 'e', entries: [{ seq: 1, channel: 'test', payload: 1 }] }, /appendedAt/],
    [{ from: 'a', epoch: 'e', entries: [{ seq: 1, channel: 'test', appendedAt: 1 }] }, /payload/],
    [
      {
        from: 'a',
        epoch: 'e',
        entries: [
          { seq: 2, channel: 'test', payload: 1, appendedAt: 1 },
          { seq: 2, channel: 'test', payload: 1, appendedAt: 1 },
        ],
      },
      /entries\[1\].seq must increase/,
    ],
  ])('rejects the malformed body %j with 400', async (body, message) => {
    const { receiver, applied } = make();
    const reply = await receiver.handle(body);
    expect(reply.status).toBe(400);
    expect((reply.body as { message: string }).message).toMatch(message);
    expect(applied).toHaveLength(0);
  });

  it('answers 400 to non-JSON, 413 to an oversized body and 405 to other methods over HTTP', async () => {
    const p = await new Peer().start();
    try {
      expect((await post(p.url, '{not json')).status).toBe(400);
      expect((await post(p.url, JSON.stringify({ pad: 'x'.repeat(100 * 1024) }))).status).toBe(413);
      const get = await new Promise<number>((resolve, reject) => {
        request(`${p.url}${LINK_PATH}`, { agent: false }, (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        })
          .on('error', reject)
          .end();
      });
      expect(get).toBe(405);
      const ok = await post(p.url, JSON.stringify(batch('eu-west-1', [1])));
      expect(ok.status).toBe(200);
      expect(p.applied).toHaveLength(1);
    } finally {
      await p.stop();
    }
  });
});

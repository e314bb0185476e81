import { appendFileSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { IntentJournal, type IntendedItem } from '../../../local/dynamodb/intents';

const item = (pk: string, ts: number): IntendedItem => ({
  table: 'orders',
  key: { pk: { S: pk } },
  lockKey: `orders#${pk}`,
  ts,
});

describe('IntentJournal (write-ahead record of captured writes)', () => {
  let dir: string;
  let file: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'meridian-intents-'));
    file = join(dir, 'write-intents.jsonl');
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('hands the next process exactly the writes that began and never ended, in order', () => {
    const first = new IntentJournal(file);
    const a = first.begin([item('A', 10)]);
    first.begin([item('B', 11), item('C', 12)]);
    first.end(a);
    first.begin([item('D', 13)]);
    first.close();

    const next = new IntentJournal(file);
    expect(next.pending().map((i) => i.items.map((x) => x.key.pk))).toEqual([
      [{ S: 'B' }, { S: 'C' }],
      [{ S: 'D' }],
    ]);
    expect(next.highestPendingTs()).toBe(13);
    // Ids keep growing across processes, so a new write never ends an old one.
    const e = next.begin([item('E', 14)]);
    expect(next.pending().map((i) => i.id)).not.toContain(e);
    next.close();
  });

  it('ignores a line torn by a kill in the middle of its append', () => {
    const first = new IntentJournal(file);
    first.begin([item('A', 10)]);
    first.close();
    appendFileSync(file, '{"i":2,"w":[{"table":"ord');

    const next = new IntentJournal(file);
    expect(next.pending().map((i) => i.id)).toEqual([1]);
    next.close();
  });

  it('compacts itself to the writes still open once it grows past its limit', () => {
    const journal = new IntentJournal(file, 2_000);
    const stuck = journal.begin([item('STUCK', 1)]);
    for (let n = 0; n < 100; n++) journal.end(journal.begin([item(`K${n}`, n + 2)]));
    journal.close();

    expect(readFileSync(file, 'utf8').length).toBeLessThan(2_500);
    const next = new IntentJournal(file);
    expect(next.pending().map((i) => i.id)).toEqual([stuck]);
    next.close();
  });
});

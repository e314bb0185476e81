import {
  closeSync,
  existsSync,
  ftruncateSync,
  mkdirSync,
  openSync,
  readFileSync,
  renameSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomic } from '../durable-file';

/** One entry of the outbox, as shipped on the wire. */
export interface LinkEntry {
  readonly seq: number;
  readonly channel: string;
  readonly payload: unknown;
  readonly appendedAt: number;
}

/** An entry held in memory: its JSON line (what is written to disk and shipped) and its ordering fields. */
export interface HeldEntry {
  readonly seq: number;
  readonly appendedAt: number;
  readonly line: string;
}

/** Names that may become part of a file name (region names, peer names). */
export const SAFE_NAME = /^[A-Za-z0-9_.-]{1,64}$/;

const OUTBOX = 'outbox.jsonl';

/** Writes a small JSON file atomically (temp + rename), so a crash leaves the old or the new version. */
export function writeJsonAtomic(file: string, value: unknown): void {
  const tmp = `${file}.tmp`;
  writeFileSync(tmp, JSON.stringify(value));
  renameSync(tmp, file);
}

/** Reads a `{ seq }` file written by writeJsonAtomic; 0 when absent. */
export function readSeqFile(file: string): number {
  if (!existsSync(file)) return 0;
  const parsed = JSON.parse(readFileSync(file, 'utf8')) as { seq?: unknown };
  if (typeof parsed.seq !== 'number' || !Number.isSafeInteger(parsed.seq) || parsed.seq < 0) {
    throw new Error(`${file}: expected {"seq": <non-negative integer>}`);
  }
  return parsed.seq;
}

/**
 * The append-only outbox of one source region. Every entry is written with writeSync before append()
 * returns, so an entry survives a SIGKILL of the process. Entries acknowledged by every peer are dropped
 * from memory at once and from the file by compaction: the unacknowledged tail is written to a temp file
 * headed by a `{"base":N}` line (the highest seq compacted away), fsynced, and renamed over the outbox, so
 * a crash at any point leaves either the old or the new file, both complete.
 */
export class Outbox {
  /** Unacknowledged (by at least one peer) entries; seqs are contiguous. */
  private held: HeldEntry[] = [];
  private fd: number | undefined;
  private lastSeqValue = 0;
  private fileBytes = 0;
  /** Bytes in the file belonging to entries every peer has acknowledged. */
  private ackedBytes = 0;

  constructor(
    private readonly dir: string | undefined,
    private readonly compactBytes: number,
  ) {
    if (dir) {
      mkdirSync(dir, { recursive: true });
      this.load();
    }
  }

  /** The highest seq ever appended (0 when none). */
  get lastSeq(): number {
    return this.lastSeqValue;
  }

  /** Raises the last seq (cursors may know of seqs a compacted file no longer shows). */
  raiseLastSeq(seq: number): void {
    if (seq > this.lastSeqValue && this.held.length === 0) this.lastSeqValue = seq;
  }

  append(channel: string, payload: unknown, appendedAt: number): number {
    const seq = this.lastSeqValue + 1;
    const line = JSON.stringify({ seq, channel, payload, appendedAt });
    if (this.fd !== undefined) {
      const bytes = Buffer.from(`${line}\n`, 'utf8');
      writeSync(this.fd, bytes);
      this.fileBytes += bytes.length;
    }
    this.lastSeqValue = seq;
    this.held.push({ seq, appendedAt, line });
    return seq;
  }

  /** The held entries with a seq greater than `after`, at most `limit` of them, in order. */
  after(after: number, limit: number): HeldEntry[] {
    const first = this.held[0];
    if (!first) return [];
    const start = Math.max(0, after + 1 - first.seq);
    return this.held.slice(start, start + limit);
  }

  /** The first held entry with a seq greater than `after`. */
  firstAfter(after: number): HeldEntry | undefined {
    const first = this.held[0];
    if (!first) return undefined;
    return this.held[Math.max(0, after + 1 - first.seq)];
  }

  /** Forgets every entry up to `ackedByAll` and compacts the file when enough of it is dead. */
  release(ackedByAll: number): void {
    let drop = 0;
    while (drop < this.held.length && this.held[drop]!.seq <= ackedByAll) {
      this.ackedBytes += Buffer.byteLength(this.held[drop]!.line, 'utf8') + 1;
      drop++;
    }
    if (drop > 0) this.held = this.held.slice(drop);
    if (
      this.fd !== undefined &&
      this.ackedBytes >= this.compactBytes &&
      this.ackedBytes * 2 >= this.fileBytes
    ) {
      this.compact(Math.min(ackedByAll, this.lastSeqValue));
    }
  }

  /** Bytes currently in the outbox file (0 in memory). */
  get sizeBytes(): number {
    return this.fileBytes;
  }

  close(): void {
    if (this.fd !== undefined) closeSync(this.fd);
    this.fd = undefined;
  }

  private get file(): string {
    return join(this.dir!, OUTBOX);
  }

  private compact(base: number): void {
    const text = [JSON.stringify({ base }), ...this.held.map((e) => e.line)].join('\n') + '\n';
    writeFileAtomic(this.dir!, OUTBOX, text);
    closeSync(this.fd!);
    this.fd = openSync(this.file, 'a');
    this.fileBytes = Buffer.byteLength(text, 'utf8');
    this.ackedBytes = 0;
  }

  private load(): void {
    const file = this.file;
    if (existsSync(file)) {
      let text = readFileSync(file, 'utf8');
      const end = text.lastIndexOf('\n') + 1;
      if (end < text.length) {
        // A crash in the middle of a write left a partial last line: that entry was never acknowledged.
        const fd = openSync(file, 'r+');
        ftruncateSync(fd, Buffer.byteLength(text.slice(0, end), 'utf8'));
        closeSync(fd);
        text = text.slice(0, end);
      }
      const lines = text.split('\n').filter((l) => l.length > 0);
      for (const [i, line] of lines.entries()) {
        let parsed: { base?: unknown; seq?: unknown; appendedAt?: unknown };
        try {
          parsed = JSON.parse(line) as typeof parsed;
        } catch {
          throw new Error(`${file}: line ${i + 1} is not JSON`);
        }
        if (typeof parsed.base === 'number') {
          this.lastSeqValue = Math.max(this.lastSeqValue, parsed.base);
          continue;
        }
        if (typeof parsed.seq !== 'number' || typeof parsed.appendedAt !== 'number') {
          throw new Error(`${file}: line ${i + 1} is not an outbox entry`);
        }
        if (parsed.seq <= this.lastSeqValue) continue;
        this.lastSeqValue = parsed.seq;
        this.held.push({ seq: parsed.seq, appendedAt: parsed.appendedAt, line });
      }
      this.fileBytes = Buffer.byteLength(text, 'utf8');
    }
    this.fd = openSync(file, 'a');
  }
}

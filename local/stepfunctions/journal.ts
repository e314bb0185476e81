import {
  appendFileSync,
  closeSync,
  fstatSync,
  ftruncateSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
} from 'node:fs';
import { join } from 'node:path';
import type { JsonValue } from './definition';

/**
 * The durable record of a state machine's executions: one append-only JSON Lines file per execution,
 * `<dir>/<execution name>.jsonl`. Every line is one fact:
 *
 * - `start`: name, input, start date — written (synchronously) before StartExecution answers;
 * - `event`: one history event (StateEntered carries the state's input, StateExited its output);
 * - `token`: a task token issued, written before the message carrying it leaves;
 * - `close`: the terminal status, output or error.
 *
 * Lines are staged and written in one `appendFileSync` per batch (a single write(2): a SIGKILL lands before
 * or after it, not inside), at the next macrotask or at once when a caller needs durability before
 * answering. Nothing is fsynced: the page cache survives a killed process, not a power cut. A torn last line
 * (a kill mid-write of a large batch) is cut off when the file is loaded.
 */

export interface JournalStart {
  readonly t: 'start';
  readonly name: string;
  readonly input: string;
  readonly startDate: number;
}

export interface JournalEvent {
  readonly t: 'event';
  readonly id: number;
  readonly ts: number;
  readonly type: string;
  readonly stateName?: string;
  readonly details?: Record<string, unknown>;
}

export interface JournalToken {
  readonly t: 'token';
  readonly token: string;
  readonly stateName: string;
}

export interface JournalClose {
  readonly t: 'close';
  readonly status: 'SUCCEEDED' | 'FAILED' | 'TIMED_OUT' | 'ABORTED';
  readonly stopDate: number;
  readonly output?: string;
  readonly error?: string;
  readonly cause?: string;
}

export type JournalLine = JournalStart | JournalEvent | JournalToken | JournalClose;

/** One execution as read back from its file. */
export interface LoadedExecution {
  readonly start: JournalStart;
  readonly events: readonly JournalEvent[];
  readonly tokens: readonly string[];
  readonly close?: JournalClose;
}

/** The output of a task, or its error, as a journal keeps it. */
export type TaskOutcome = { readonly output: JsonValue } | { readonly error: string; readonly cause: string };

export class ExecutionJournal {
  private readonly staged = new Map<string, string[]>();
  private scheduled?: NodeJS.Immediate;
  private closed = false;

  constructor(
    readonly dir: string,
    private readonly log: (line: string) => void = () => undefined,
  ) {
    mkdirSync(dir, { recursive: true });
  }

  /** Stages a line for an execution; it is written at the next macrotask, or by `flush`. */
  append(name: string, line: JournalLine): void {
    if (this.closed) return;
    const lines = this.staged.get(name);
    const text = `${JSON.stringify(line)}\n`;
    if (lines) lines.push(text);
    else this.staged.set(name, [text]);
    if (!this.scheduled) {
      this.scheduled = setImmediate(() => {
        this.scheduled = undefined;
        this.flushAll();
      });
    }
  }

  /** Writes an execution's staged lines now (one write). */
  flush(name: string): void {
    const lines = this.staged.get(name);
    if (!lines || lines.length === 0) return;
    this.staged.delete(name);
    appendFileSync(this.fileOf(name), lines.join(''));
  }

  flushAll(): void {
    for (const name of [...this.staged.keys()]) {
      try {
        this.flush(name);
      } catch (error) {
        this.log(`journal write failed for execution ${name}: ${(error as Error).message}`);
      }
    }
  }

  /** Writes what is staged, then accepts nothing more (a clean shutdown; a crash just skips the flush). */
  close(): void {
    if (this.scheduled) clearImmediate(this.scheduled);
    this.scheduled = undefined;
    this.flushAll();
    this.closed = true;
  }

  /** Every execution on disk; a file whose first line is not a complete `start` is skipped (never acknowledged). */
  load(): LoadedExecution[] {
    const out: LoadedExecution[] = [];
    for (const file of readdirSync(this.dir).sort()) {
      if (!file.endsWith('.jsonl')) continue;
      const path = join(this.dir, file);
      const lines = this.readLines(path);
      const [first, ...rest] = lines;
      if (first?.t !== 'start') {
        this.log(`skipping ${file}: no start record`);
        continue;
      }
      const events: JournalEvent[] = [];
      const tokens: string[] = [];
      let close: JournalClose | undefined;
      for (const line of rest) {
        if (line.t === 'event') events.push(line);
        else if (line.t === 'token') tokens.push(line.token);
        else if (line.t === 'close') close ??= line;
      }
      out.push({ start: first, events, tokens, ...(close ? { close } : {}) });
    }
    return out;
  }

  private fileOf(name: string): string {
    return join(this.dir, `${name}.jsonl`);
  }

  /** Parses a file's lines, cutting a torn tail off so later appends start on a fresh line. */
  private readLines(path: string): JournalLine[] {
    const text = readFileSync(path, 'utf8');
    const end = text.lastIndexOf('\n') + 1;
    if (end < text.length) {
      const fd = openSync(path, 'r+');
      try {
        if (fstatSync(fd).size === Buffer.byteLength(text))
          ftruncateSync(fd, Buffer.byteLength(text.slice(0, end)));
      } finally {
        closeSync(fd);
      }
      this.log(`${path}: dropped a torn last line`);
    }
    const out: JournalLine[] = [];
    for (const raw of text.slice(0, end).split('\n')) {
      if (raw.length === 0) continue;
      try {
        out.push(JSON.parse(raw) as JournalLine);
      } catch {
        this.log(`${path}: skipped an unreadable line`);
      }
    }
    return out;
  }
}

import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** Where SqsQueues keeps its state between restarts. `load` returns undefined when nothing is stored. */
export interface SqsStore {
  load(): unknown;
  save(state: unknown): void;
}

/** State as JSON in `<dir>/<file>`, written to a temporary file and renamed over, so a kill never tears it. */
export class FileSqsStore implements SqsStore {
  private readonly path: string;

  constructor(
    private readonly dir: string,
    file = 'sqs.json',
  ) {
    this.path = join(dir, file);
  }

  load(): unknown {
    let text: string;
    try {
      text = readFileSync(this.path, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw err;
    }
    return JSON.parse(text) as unknown;
  }

  save(state: unknown): void {
    mkdirSync(this.dir, { recursive: true });
    const tmp = `${this.path}.${process.pid}.tmp`;
    writeFileSync(tmp, JSON.stringify(state));
    renameSync(tmp, this.path);
  }
}

import { randomBytes } from 'node:crypto';
import { closeSync, fsyncSync, mkdirSync, openSync, renameSync, writeSync } from 'node:fs';
import * as path from 'node:path';

/**
 * Writes `content` to `dir/name` atomically: a temp file, fsync, then rename — a reader (or a SIGKILL)
 * never sees half a file, only the old one or the new one. The temp name is a dotfile unique to the call.
 */
export function writeFileAtomic(dir: string, name: string, content: string | Buffer): string {
  mkdirSync(dir, { recursive: true });
  const target = path.join(dir, name);
  const temp = path.join(dir, `.${name}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
  const fd = openSync(temp, 'w');
  try {
    writeSync(fd, typeof content === 'string' ? Buffer.from(content, 'utf8') : content);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(temp, target);
  return target;
}

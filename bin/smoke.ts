#!/usr/bin/env node
/**
 * `npm run smoke -- --url <base URL>`: places a test order in one region and waits for FULFILLED.
 * Exit codes: 0 passed, 1 failed, 2 usage error (see lib/smoke).
 */
import { smokeCli } from '../lib/smoke';

smokeCli(process.argv.slice(2), {
  out: (line) => process.stdout.write(`${line}\n`),
  err: (line) => process.stderr.write(`${line}\n`),
}).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(`smoke: ${String(error)}\n`);
    process.exitCode = 1;
  },
);

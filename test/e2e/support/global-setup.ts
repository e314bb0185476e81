import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { synthLocal } from '../../../local/assembly';

/**
 * Synthesizes the local environment once for the whole e2e run (templates + esbuild bundles, as
 * `meridian up` does); every test file starts its own runtime from it, with its own state.
 */
export default async function globalSetup(): Promise<void> {
  const dir = mkdtempSync(path.join(tmpdir(), 'meridian-e2e-assembly-'));
  synthLocal({ outdir: dir });
  process.env.MERIDIAN_E2E_ASSEMBLY = dir;
}

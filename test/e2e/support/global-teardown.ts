import { rmSync } from 'node:fs';

/** Removes the assembly global-setup synthesized. */
export default async function globalTeardown(): Promise<void> {
  const dir = process.env.MERIDIAN_E2E_ASSEMBLY;
  if (dir) rmSync(dir, { recursive: true, force: true });
}

/**
 * Synthesizes the `local` environment in-process — the GlobalData stage and one RegionalStage per region,
 * the same constructs the pipeline deploys (bin/app.ts, `-c target=direct -c env=local`) — and reads the
 * cloud assembly into the local runtime's model.
 */
import { existsSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { App } from 'aws-cdk-lib';
import { buildApp } from '../../bin/app';
import type { LocalAssembly } from './model';
import { readAssembly, type ReadAssemblyOptions } from './read';

const REPO_ROOT = path.resolve(__dirname, '..', '..');

/** Options of {@link synthLocal}. */
export interface SynthLocalOptions extends ReadAssemblyOptions {
  /** Where the cloud assembly is written (or read from, with `reuse`). */
  readonly outdir: string;
  /**
   * The regions, the first one primary (2–5 for the local runtime).
   * @default lib/config's local regions
   */
  readonly regions?: readonly string[];
  /**
   * Bundle the functions with esbuild: the runtime runs the real bundles. Without it the assets are the
   * unbundled placeholders CDK stages when bundling is skipped (structure only).
   * @default true
   */
  readonly bundling?: boolean;
  /**
   * Read the cloud assembly already in `outdir` (its manifest.json) instead of synthesizing again.
   * @default false
   */
  readonly reuse?: boolean;
}

/** The CDK app context of cdk.json (feature flags), so the in-process synth matches `npx cdk synth`. */
function cdkJsonContext(): Record<string, unknown> {
  const file = path.join(REPO_ROOT, 'cdk.json');
  if (!existsSync(file)) return {};
  return (JSON.parse(readFileSync(file, 'utf8')) as { context?: Record<string, unknown> }).context ?? {};
}

/** Synthesizes the local environment into `outdir` (or reuses it) and returns its model. */
export function synthLocal(options: SynthLocalOptions): LocalAssembly {
  const outdir = path.resolve(options.outdir);
  if (options.reuse && existsSync(path.join(outdir, 'manifest.json'))) return readAssembly(outdir, options);
  if (options.regions !== undefined && options.regions.length === 0) {
    throw new Error('synthLocal: regions must name at least one region');
  }
  const app = new App({
    outdir,
    context: {
      ...cdkJsonContext(),
      target: 'direct',
      env: 'local',
      ...(options.regions && { regions: options.regions.join(',') }),
      // What the CDK CLI sets: asset paths and construct paths in the resources' metadata.
      'aws:cdk:enable-asset-metadata': true,
      'aws:cdk:enable-path-metadata': true,
      ...(options.bundling === false && { 'aws:cdk:bundling-stacks': [] }),
    },
  });
  buildApp(app);
  app.synth();
  return readAssembly(outdir, options);
}

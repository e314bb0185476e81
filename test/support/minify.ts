import { buildSync } from 'esbuild';
import { Module } from 'node:module';

/** Any error class, whatever its constructor takes. */
export type ErrorClass = abstract new (...args: never[]) => Error;

/**
 * Loads a module the way Lambda runs it: bundled and minified by esbuild, which renames classes.
 * Error names are what Step Functions' Catch and our routing match on, so they must survive that.
 */
export function loadMinified(entry: string): Record<string, unknown> {
  const out = buildSync({
    entryPoints: [entry],
    bundle: true,
    minify: true,
    format: 'cjs',
    platform: 'node',
    target: 'node20',
    write: false,
    logLevel: 'silent',
  });
  const mod = new Module(entry);
  (mod as unknown as { _compile(code: string, file: string): void })._compile(
    out.outputFiles[0]!.text,
    entry,
  );
  return mod.exports as Record<string, unknown>;
}

/**
 * Runs `act` while the given classes carry the short names a minifying bundler gives them, which is
 * what `new.target.name` would then read.
 */
export async function withRenamedClasses<T>(
  classes: readonly ErrorClass[],
  act: () => T | Promise<T>,
): Promise<T> {
  const saved = classes.map((c) => Object.getOwnPropertyDescriptor(c, 'name'));
  classes.forEach((c, i) => Object.defineProperty(c, 'name', { value: `e${i}`, configurable: true }));
  try {
    return await act();
  } finally {
    classes.forEach((c, i) => Object.defineProperty(c, 'name', saved[i] as PropertyDescriptor));
  }
}

import { buildSync } from 'esbuild';
import { Module } from 'node:module';
import { join } from 'node:path';
import { SAGA_ERRORS } from '../../../services/shared/saga';

/** Loads a module as Lambda runs it: bundled and minified by esbuild, which renames classes. */
function loadMinified(entry: string): Record<string, unknown> {
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

describe('notifications error names', () => {
  it('keeps the saga routing name of OrderHomedElsewhereError in a minified bundle', () => {
    const errors = loadMinified(join(__dirname, '../../../services/notifications/domain/errors.ts'));
    const ErrorClass = errors.OrderHomedElsewhereError as new (o: string, h: string, r: string) => Error;

    const err = new ErrorClass('ord_1', 'eu-west-1', 'us-east-1');

    expect(err.name).toBe(SAGA_ERRORS.orderHomedElsewhere);
    expect(Object.keys(errors).filter((k) => k.endsWith('Error'))).toEqual(['OrderHomedElsewhereError']);
  });
});

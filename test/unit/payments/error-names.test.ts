import { buildSync } from 'esbuild';
import path from 'node:path';

const PAYMENTS = path.resolve(__dirname, '../../../services/payments');

/** Every error class the payments service raises, and the name Step Functions and the logs must see. */
const ERROR_CLASSES = [
  'PaymentDeclinedError',
  'PaymentOwnershipError',
  'PaymentNotFoundError',
  'PaymentNotCapturableError',
  'MissingTaskTokenError',
  'SignatureMissingError',
  'SignatureInvalidError',
  'SignatureExpiredError',
  'IdempotencyKeyMismatchError',
  'ChargeNotFoundError',
  'ChargeNotCapturableError',
  'ChargeNotRefundableError',
  'ChargeOwnershipError',
  'WebhookDeliveryError',
] as const;

type ErrorClass = new (...args: string[]) => Error;

/**
 * Bundles the error modules the way a Lambda bundle may be built — minified, names not kept — and loads
 * the result. `ControlError` sets no name of its own: it shows what minification does to a class name.
 */
function minifiedErrors(): Record<string, ErrorClass> {
  const result = buildSync({
    stdin: {
      contents: [
        "export * from './domain/errors';",
        "export * from './provider/domain/errors';",
        "import { MeridianError } from '../shared/errors';",
        "export class ControlError extends MeridianError { readonly kind = 'conflict'; readonly code = 'C'; }",
      ].join('\n'),
      resolveDir: PAYMENTS,
      loader: 'ts',
    },
    bundle: true,
    minify: true,
    keepNames: false,
    format: 'cjs',
    platform: 'node',
    target: 'node20',
    write: false,
    logLevel: 'silent',
  });
  const code = result.outputFiles[0]?.text ?? '';
  const module = { exports: {} as Record<string, ErrorClass> };
  // Evaluated as CommonJS, the way the Lambda runtime loads a bundle.
  new Function('module', 'exports', 'require', code)(module, module.exports, require);
  return module.exports;
}

describe('error names the saga routes on', () => {
  const bundled = minifiedErrors();

  it('minification really renames classes (the control loses its name)', () => {
    const Control = bundled.ControlError as ErrorClass;
    expect(new Control('x').name).not.toBe('ControlError');
  });

  it.each(ERROR_CLASSES)('%s keeps its name in a minified bundle', (name) => {
    const ErrorType = bundled[name];
    expect(ErrorType).toBeDefined();
    const error = new (ErrorType as ErrorClass)('ord_1', 'a', 'b');
    expect(error.name).toBe(name);
    expect(String(error)).toMatch(new RegExp(`^${name}: `));
  });
});

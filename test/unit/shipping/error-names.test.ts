import { join } from 'node:path';
import { loadMinified } from '../../support/minify';

describe('shipping error names', () => {
  const errors = loadMinified(join(__dirname, '../../../services/shipping/domain/errors.ts'));
  const make: Record<string, (E: new (...args: never[]) => Error) => Error> = {
    MalformedShippingMessageError: (E) => new (E as new (m: string) => Error)('bad'),
    InjectedShippingFailureError: (E) => new (E as new (m: string) => Error)('drill'),
    NotOwnerRegionError: (E) => new (E as new (w: string, o: string, r: string) => Error)('x', 'a', 'b'),
    ShipmentCancelledError: (E) => new (E as new (id: string) => Error)('ord_1'),
  };

  it.each(Object.keys(make))('%s keeps its name in a minified bundle', (name) => {
    const ErrorClass = errors[name] as new (...args: never[]) => Error;

    const err = make[name]!(ErrorClass);

    expect(err.name).toBe(name);
    expect(err).toBeInstanceOf(ErrorClass);
  });

  it('exports no error class the table above forgets', () => {
    const exported = Object.keys(errors).filter((k) => k.endsWith('Error'));
    expect(exported.sort()).toEqual(Object.keys(make).sort());
  });
});

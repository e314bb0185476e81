import { join } from 'node:path';
import { loadMinified } from '../../support/minify';
import { SAGA_ERRORS } from '../../../services/shared/saga';

describe('notifications error names', () => {
  it('keeps the saga routing name of OrderHomedElsewhereError in a minified bundle', () => {
    const errors = loadMinified(join(__dirname, '../../../services/notifications/domain/errors.ts'));
    const ErrorClass = errors.OrderHomedElsewhereError as new (o: string, h: string, r: string) => Error;

    const err = new ErrorClass('ord_1', 'eu-west-1', 'us-east-1');

    expect(err.name).toBe(SAGA_ERRORS.orderHomedElsewhere);
    expect(Object.keys(errors).filter((k) => k.endsWith('Error'))).toEqual(['OrderHomedElsewhereError']);
  });
});

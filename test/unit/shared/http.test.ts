import { z } from 'zod';
import {
  MeridianError,
  MissingHeaderError,
  PayloadTooLargeError,
  UnsupportedMediaTypeError,
  ValidationError,
} from '../../../services/shared/errors';
import {
  errorResponse,
  header,
  json,
  MAX_BODY_BYTES,
  REGION_HEADER,
  parseJsonBody,
  toFieldErrors,
  validate,
} from '../../../services/shared/http';

const event = (
  body: string | null,
  headers: Record<string, string> = { 'Content-Type': 'application/json' },
  isBase64Encoded = false,
) => ({
  body,
  headers,
  isBase64Encoded,
});

describe('parseJsonBody', () => {
  it('parses a JSON object with a case-insensitive content type and charset', () => {
    expect(parseJsonBody(event('{"a":1}', { 'CONTENT-TYPE': 'application/json; charset=utf-8' }))).toEqual({
      a: 1,
    });
  });

  it('accepts a +json media type and a base64-encoded body', () => {
    const body = Buffer.from('{"b":2}').toString('base64');
    expect(parseJsonBody(event(body, { 'content-type': 'application/vnd.meridian+json' }, true))).toEqual({
      b: 2,
    });
  });

  it('rejects a body over 64 KiB with 413 before looking at anything else', () => {
    const huge = 'x'.repeat(MAX_BODY_BYTES + 1);
    expect(() => parseJsonBody(event(huge, {}))).toThrow(PayloadTooLargeError);
  });

  it('measures the limit in bytes, not characters', () => {
    const multiByte = '"' + 'é'.repeat(MAX_BODY_BYTES / 2) + '"';
    expect(() => parseJsonBody(event(multiByte))).toThrow(PayloadTooLargeError);
  });

  it.each([[{}], [{ 'content-type': 'text/plain' }], [{ 'content-type': 'application/jsonp' }]])(
    'rejects a missing or non-JSON content type (%j) with 415',
    (headers) => {
      expect(() => parseJsonBody(event('{}', headers))).toThrow(UnsupportedMediaTypeError);
    },
  );

  it.each(['', '   ', '{', 'nope', '{"a":}'])('rejects %j as malformed JSON', (body) => {
    const err = (() => {
      try {
        parseJsonBody(event(body));
      } catch (e) {
        return e as MeridianError;
      }
    })();
    expect(err?.code).toBe('MALFORMED_JSON');
  });
});

describe('json', () => {
  it('names the serving region on every response, so a client sees where it was answered', () => {
    const res = json(200, { ok: true }, { 'x-extra': '1' });
    expect(res.headers).toEqual({
      'content-type': 'application/json',
      [REGION_HEADER]: process.env.AWS_REGION,
      'x-extra': '1',
    });
    expect(errorResponse(new Error('x')).headers?.[REGION_HEADER]).toBe(process.env.AWS_REGION);
  });
});

describe('errorResponse', () => {
  it.each([
    [new ValidationError('bad', [{ path: 'a', message: 'm' }]), 400, 'VALIDATION_FAILED'],
    [new MissingHeaderError('Idempotency-Key'), 400, 'MISSING_HEADER'],
    [new PayloadTooLargeError('big'), 413, 'PAYLOAD_TOO_LARGE'],
    [new UnsupportedMediaTypeError('xml'), 415, 'UNSUPPORTED_MEDIA_TYPE'],
  ])('maps %p to its status and the error shape', (err, status, code) => {
    const res = errorResponse(err);
    expect(res.statusCode).toBe(status);
    const body = JSON.parse(res.body) as { error: { code: string; message: string; fields: unknown[] } };
    expect(body.error.code).toBe(code);
    expect(Array.isArray(body.error.fields)).toBe(true);
  });

  it('hides the internals of unexpected errors behind a 500', () => {
    const res = errorResponse(new Error('secret connection string'));
    expect(res.statusCode).toBe(500);
    expect(res.body).not.toContain('secret');
  });
});

describe('validate', () => {
  it('returns parsed data or throws field errors with dotted paths', () => {
    const schema = z.object({ lines: z.array(z.object({ q: z.number().int() })) });
    expect(validate(schema, { lines: [{ q: 1 }] })).toEqual({ lines: [{ q: 1 }] });
    try {
      validate(schema, { lines: [{ q: 1.5 }] });
      throw new Error('expected a ValidationError');
    } catch (e) {
      expect((e as ValidationError).fields).toEqual([{ path: 'lines.0.q', message: expect.any(String) }]);
    }
  });
});

describe('toFieldErrors', () => {
  it('reports each unknown key as its own field, prefixed, and drops repeats', () => {
    const schema = z
      .object({ a: z.object({ b: z.string().max(2).regex(/^x+$/, 'too long') }).strict() })
      .strict();
    const result = schema.safeParse({ a: { b: 'yyy', c: 1, d: 2 }, e: 3 });
    expect(result.success).toBe(false);
    const fields = toFieldErrors(result.error!, 'body');
    expect(fields.map((f) => f.path).sort()).toEqual([
      'body.a.b',
      'body.a.b',
      'body.a.c',
      'body.a.d',
      'body.e',
    ]);
    expect(fields.filter((f) => f.message === 'unknown field')).toHaveLength(3);
  });
});

describe('header', () => {
  it('reads multiValueHeaders when only they carry the header', () => {
    expect(
      header({ headers: {}, multiValueHeaders: { 'X-Correlation-Id': ['abc'] } }, 'x-correlation-id'),
    ).toBe('abc');
  });

  it('rejects a header repeated with different values, naming it', () => {
    const ev = { headers: { 'Idempotency-Key': 'a', 'idempotency-key': 'b' } };
    expect(() => header(ev, 'Idempotency-Key')).toThrow(ValidationError);
    expect(header({ headers: { A: 'same' }, multiValueHeaders: { a: ['same', 'same'] } }, 'a')).toBe('same');
  });

  it('finds headers case-insensitively and tolerates null headers', () => {
    expect(header({ headers: { 'Idempotency-Key': 'k' } }, 'idempotency-key')).toBe('k');
    expect(header({ headers: null as unknown as Record<string, string> }, 'x')).toBeUndefined();
  });
});

import {
  SignatureExpiredError,
  SignatureInvalidError,
  SignatureMissingError,
} from '../../../services/payments/domain/errors';
import { verifyWebhookSignature } from '../../../services/payments/domain/webhook-signature';
import { computeSignature, signatureHeader } from '../../../services/payments/provider/domain/signature';

const SECRET = 'whsec_signature_unit_secret';
const NOW = Date.UTC(2026, 0, 1, 12);
const T = Math.floor(NOW / 1000);
const BODY = '{"id":"evt_1"}';

const verify = (header: string | undefined, body = BODY, nowMs = NOW) =>
  verifyWebhookSignature({
    header,
    rawBody: Buffer.from(body, 'utf8'),
    secret: SECRET,
    nowMs,
    toleranceSeconds: 300,
  });

describe('webhook signature verification', () => {
  it('accepts an authentic signature', () => {
    expect(() => verify(signatureHeader(SECRET, T, BODY))).not.toThrow();
  });

  it('accepts when any of several v1 signatures matches (secret rotation)', () => {
    const header = `t=${T},v1=${computeSignature('whsec_old_secret_value', T, BODY)},v1=${computeSignature(SECRET, T, BODY)}`;
    expect(() => verify(header)).not.toThrow();
  });

  it('accepts exactly at the tolerance edge in both directions', () => {
    expect(() => verify(signatureHeader(SECRET, T - 300, BODY))).not.toThrow();
    expect(() => verify(signatureHeader(SECRET, T + 300, BODY))).not.toThrow();
  });

  it.each([
    ['6 minutes old', T - 360],
    ['6 minutes ahead', T + 360],
  ])('rejects a signature %s as expired', (_what, t) => {
    expect(() => verify(signatureHeader(SECRET, t, BODY))).toThrow(SignatureExpiredError);
  });

  it('rejects a tampered body, a wrong secret and a forged stale signature as invalid', () => {
    expect(() => verify(signatureHeader(SECRET, T, BODY), BODY.replace('1', '2'))).toThrow(
      SignatureInvalidError,
    );
    expect(() => verify(signatureHeader('whsec_some_other_secret', T, BODY))).toThrow(SignatureInvalidError);
    expect(() => verify(signatureHeader('whsec_some_other_secret', T - 3600, BODY))).toThrow(
      SignatureInvalidError,
    );
  });

  it.each([undefined, '', '   '])('rejects a missing header %p', (header) => {
    expect(() => verify(header)).toThrow(SignatureMissingError);
  });

  it.each([
    'garbage',
    `t=${T}`,
    `v1=${computeSignature(SECRET, T, BODY)}`,
    `t=abc,v1=${computeSignature(SECRET, T, BODY)}`,
    `t=${T},v1=xyz`,
    `t=${T},v1=${computeSignature(SECRET, T, BODY).slice(0, 62)}`,
    `t=${T},v0=${computeSignature(SECRET, T, BODY)}`,
  ])('rejects a garbled header %p as invalid', (header) => {
    expect(() => verify(header)).toThrow(SignatureInvalidError);
  });

  it('uses the codes the API reports', () => {
    expect(new SignatureMissingError('x')).toMatchObject({ kind: 'unauthorized', code: 'SIGNATURE_MISSING' });
    expect(new SignatureInvalidError('x')).toMatchObject({ kind: 'unauthorized', code: 'SIGNATURE_INVALID' });
    expect(new SignatureExpiredError('x')).toMatchObject({ kind: 'unauthorized', code: 'SIGNATURE_EXPIRED' });
  });
});

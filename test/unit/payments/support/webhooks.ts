import type { APIGatewayProxyEvent } from 'aws-lambda';
import { signatureHeader } from '../../../../services/payments/provider/domain/signature';
import type { ReceivedRequest } from './http';
import { toApiGatewayEvent } from './http';

/** A webhook POST as API Gateway delivers it, signed with `secret` at `timestampSeconds`. */
export function signedWebhook(
  body: string,
  opts: { secret: string; timestampSeconds: number; headers?: Record<string, string> },
): APIGatewayProxyEvent {
  const req: ReceivedRequest = {
    method: 'POST',
    url: '/payments/webhook',
    headers: {
      'Content-Type': 'application/json',
      'Meridian-Signature': signatureHeader(opts.secret, opts.timestampSeconds, body),
      ...opts.headers,
    },
    body,
  };
  return toApiGatewayEvent(req);
}

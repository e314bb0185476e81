import type { APIGatewayProxyEvent, APIGatewayProxyResult, EventBridgeEvent, SQSRecord } from 'aws-lambda';
import type { EventEnvelope } from '../../../../services/shared/events';

/** The region every service of the walk-through runs in (the orders' home region). */
export const REGION = 'us-east-1';
const ACCOUNT = '000000000000';

export interface RestRequest {
  readonly method: string;
  /** The API Gateway resource template, e.g. `/orders/{id}`. */
  readonly resource: string;
  /** The concrete path, e.g. `/orders/ord_…`. */
  readonly path: string;
  readonly pathParameters?: Record<string, string>;
  readonly query?: Record<string, string>;
  readonly headers?: Record<string, string>;
  /** Sent as JSON with `Content-Type: application/json`. */
  readonly body?: unknown;
}

/** An API Gateway REST proxy event as API Gateway builds it for a resource integration. */
export function restEvent(req: RestRequest): APIGatewayProxyEvent {
  const hasBody = req.body !== undefined;
  return {
    resource: req.resource,
    path: req.path,
    httpMethod: req.method,
    headers: { ...(hasBody ? { 'Content-Type': 'application/json' } : {}), ...req.headers },
    multiValueHeaders: {},
    queryStringParameters: req.query ?? null,
    multiValueQueryStringParameters: null,
    pathParameters: req.pathParameters ?? null,
    stageVariables: null,
    requestContext: {} as APIGatewayProxyEvent['requestContext'],
    body: hasBody ? JSON.stringify(req.body) : null,
    isBase64Encoded: false,
  };
}

/** Parses a JSON response body. */
export function bodyOf<T>(res: APIGatewayProxyResult): T {
  return JSON.parse(res.body) as T;
}

/** An envelope as an EventBridge rule delivers it to a Lambda target: the envelope is the `detail`. */
export function eventBridgeEvent(envelope: EventEnvelope): EventBridgeEvent<string, EventEnvelope> {
  return {
    version: '0',
    id: `eb-${envelope.id}`,
    'detail-type': envelope.type,
    source: envelope.source,
    account: ACCOUNT,
    time: envelope.time,
    region: envelope.region,
    resources: [],
    detail: envelope,
  };
}

/** One SQS record as the event source mapping delivers it. */
export function sqsRecord(messageId: string, body: string, receiveCount: number): SQSRecord {
  return {
    messageId,
    receiptHandle: `rh-${messageId}-${receiveCount}`,
    body,
    attributes: {
      ApproximateReceiveCount: String(receiveCount),
      SentTimestamp: '1767268800000',
      SenderId: 'AROA000000000000000:saga',
      ApproximateFirstReceiveTimestamp: '1767268800000',
    },
    messageAttributes: {},
    md5OfBody: '',
    eventSource: 'aws:sqs',
    eventSourceARN: `arn:aws:sqs:${REGION}:${ACCOUNT}:meridian-shipping`,
    awsRegion: REGION,
  };
}

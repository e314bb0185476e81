import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { Route53Client } from '@aws-sdk/client-route-53';
import { SFNClient } from '@aws-sdk/client-sfn';
import { SNSClient } from '@aws-sdk/client-sns';
import { SESv2Client } from '@aws-sdk/client-sesv2';
import { SQSClient } from '@aws-sdk/client-sqs';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { Tracer } from '@aws-lambda-powertools/tracer';

/**
 * SDK v3 client factories. Endpoints come from the standard `AWS_ENDPOINT_URL_*` variables, so the
 * same code talks to AWS or to the local runtime with no branch. Pass a tracer to capture X-Ray subsegments.
 */
export interface ClientOptions {
  readonly region?: string;
  readonly tracer?: Tracer;
}

function traced<T extends object>(client: T, tracer?: Tracer): T {
  return tracer ? tracer.captureAWSv3Client(client) : client;
}

/** A DynamoDB document client that drops `undefined` attributes. */
export function dynamoDocumentClient(opts: ClientOptions = {}): DynamoDBDocumentClient {
  const base = traced(new DynamoDBClient({ region: opts.region }), opts.tracer);
  return DynamoDBDocumentClient.from(base, {
    marshallOptions: { removeUndefinedValues: true, convertClassInstanceToMap: false },
  });
}

export const eventBridgeClient = (opts: ClientOptions = {}): EventBridgeClient =>
  traced(new EventBridgeClient({ region: opts.region }), opts.tracer);
export const sfnClient = (opts: ClientOptions = {}): SFNClient =>
  traced(new SFNClient({ region: opts.region }), opts.tracer);
export const sqsClient = (opts: ClientOptions = {}): SQSClient =>
  traced(new SQSClient({ region: opts.region }), opts.tracer);
export const snsClient = (opts: ClientOptions = {}): SNSClient =>
  traced(new SNSClient({ region: opts.region }), opts.tracer);
export const sesClient = (opts: ClientOptions = {}): SESv2Client =>
  traced(new SESv2Client({ region: opts.region }), opts.tracer);
/**
 * Route 53 is a global service whose API lives in us-east-1 (`AWS_ENDPOINT_URL_ROUTE_53` points it at the
 * local edge): the region is fixed whatever the function's own region is.
 */
export const route53Client = (opts: Pick<ClientOptions, 'tracer'> = {}): Route53Client =>
  traced(new Route53Client({ region: 'us-east-1' }), opts.tracer);

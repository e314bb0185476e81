import { SFNClient } from '@aws-sdk/client-sfn';
import { SQSClient } from '@aws-sdk/client-sqs';
import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SfnTaskCallbacks } from '../../../services/shipping/adapters/sfn-task-callbacks';
import { SqsShippingQueue } from '../../../services/shipping/adapters/sqs-shipping-queue';

/** A loopback server speaking the AWS JSON 1.0 protocol: records requests, answers with `reply`. */
class JsonProtocolServer {
  readonly requests: { target: string; body: Record<string, unknown> }[] = [];
  reply: (target: string, body: Record<string, unknown>) => { status: number; body: unknown } = () => ({
    status: 200,
    body: {},
  });
  private server?: Server;

  async start(): Promise<string> {
    this.server = createServer((req: IncomingMessage, res: ServerResponse) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const target = String(req.headers['x-amz-target'] ?? '');
        const body = JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}') as Record<string, unknown>;
        this.requests.push({ target, body });
        const out = this.reply(target, body);
        res.writeHead(out.status, { 'content-type': 'application/x-amz-json-1.0' });
        res.end(JSON.stringify(out.body));
      });
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', () => resolve()));
    return `http://127.0.0.1:${(this.server!.address() as AddressInfo).port}`;
  }

  async stop(): Promise<void> {
    await new Promise<void>((resolve) => this.server?.close(() => resolve()));
  }
}

const credentials = { accessKeyId: 'test', secretAccessKey: 'test' };

describe('Step Functions task callbacks adapter', () => {
  const server = new JsonProtocolServer();
  let callbacks: SfnTaskCallbacks;

  beforeAll(async () => {
    const endpoint = await server.start();
    callbacks = new SfnTaskCallbacks(
      new SFNClient({ region: 'us-east-1', endpoint, credentials, maxAttempts: 1 }),
    );
  });
  afterAll(() => server.stop());

  it('sends SendTaskSuccess with the JSON output', async () => {
    server.reply = () => ({ status: 200, body: {} });

    const outcome = await callbacks.succeed('tok-1', { shipmentId: 'shp_1', carrier: 'UPS' });

    expect(outcome).toEqual({ outcome: 'sent' });
    expect(server.requests.at(-1)).toEqual({
      target: 'AWSStepFunctions.SendTaskSuccess',
      body: { taskToken: 'tok-1', output: JSON.stringify({ shipmentId: 'shp_1', carrier: 'UPS' }) },
    });
  });

  it.each(['TaskTimedOut', 'InvalidToken', 'TaskDoesNotExist'])(
    'reports a %s token as stale',
    async (type) => {
      server.reply = () => ({
        status: 400,
        body: { __type: `com.amazonaws.swf.service.v2.model#${type}`, message: 'gone' },
      });

      const outcome = await callbacks.succeed('tok-2', {});

      expect(outcome).toEqual({ outcome: 'stale', reason: expect.stringContaining(type) });
    },
  );

  it('sends SendTaskFailure with the error name and cause', async () => {
    server.reply = () => ({ status: 200, body: {} });

    const outcome = await callbacks.fail('tok-4', 'ShipmentCancelledError', 'the shipment was cancelled');

    expect(outcome).toEqual({ outcome: 'sent' });
    expect(server.requests.at(-1)).toEqual({
      target: 'AWSStepFunctions.SendTaskFailure',
      body: { taskToken: 'tok-4', error: 'ShipmentCancelledError', cause: 'the shipment was cancelled' },
    });
  });

  it('reports a failure sent to a task that is gone as stale', async () => {
    server.reply = () => ({
      status: 400,
      body: { __type: 'com.amazonaws.swf.service.v2.model#TaskTimedOut', message: 'gone' },
    });

    const outcome = await callbacks.fail('tok-5', 'ShipmentCancelledError', 'cancelled');

    expect(outcome).toEqual({ outcome: 'stale', reason: expect.stringContaining('TaskTimedOut') });
  });

  it('throws other errors so the record is retried', async () => {
    server.reply = () => ({ status: 400, body: { __type: 'ThrottlingException', message: 'slow down' } });

    await expect(callbacks.succeed('tok-3', {})).rejects.toMatchObject({ name: 'ThrottlingException' });
  });
});

describe('SQS shipping queue adapter', () => {
  const server = new JsonProtocolServer();
  let queue: SqsShippingQueue;
  let endpoint: string;

  beforeAll(async () => {
    endpoint = await server.start();
    queue = new SqsShippingQueue(
      new SQSClient({ region: 'us-east-1', endpoint, credentials, maxAttempts: 1 }),
      `${endpoint}/000000000000/shipping`,
    );
  });
  afterAll(() => server.stop());

  it('sends the body unchanged to the queue and returns the message id', async () => {
    server.reply = (_t, body) => ({
      status: 200,
      body: {
        MessageId: 'msg-42',
        MD5OfMessageBody: createHash('md5').update(String(body.MessageBody)).digest('hex'),
      },
    });
    const body = JSON.stringify({ order: { orderId: 'ord_1' }, taskToken: 't' });

    const out = await queue.send({ body, orderId: 'ord_1' });

    expect(out).toEqual({ messageId: 'msg-42' });
    expect(server.requests.at(-1)).toMatchObject({
      target: 'AmazonSQS.SendMessage',
      body: {
        QueueUrl: `${endpoint}/000000000000/shipping`,
        MessageBody: body,
        MessageAttributes: { redrivenOrderId: { DataType: 'String', StringValue: 'ord_1' } },
      },
    });
  });
});

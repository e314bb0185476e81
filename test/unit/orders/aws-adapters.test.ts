import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { SFNClient } from '@aws-sdk/client-sfn';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { EventBusProbe, StateMachineProbe } from '../../../services/orders/adapters/health-probes';
import { SfnSagaStarter } from '../../../services/orders/adapters/sfn-saga-starter';
import type { SagaInput } from '../../../services/shared/saga';

interface Call {
  target: string;
  headers: IncomingHttpHeaders;
  body: Record<string, unknown>;
}

type Reply = { status: number; body: unknown };

/** A loopback server speaking the AWS JSON protocol (X-Amz-Target dispatch) with scripted replies. */
class FakeAwsJsonServer {
  readonly calls: Call[] = [];
  private readonly server: Server;
  reply: (call: Call) => Reply = () => ({ status: 200, body: {} });

  constructor() {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const call: Call = {
          target: String(req.headers['x-amz-target'] ?? ''),
          headers: req.headers,
          body: JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}') as Record<string, unknown>,
        };
        this.calls.push(call);
        const { status, body } = this.reply(call);
        res.writeHead(status, { 'content-type': 'application/x-amz-json-1.0' });
        res.end(JSON.stringify(body));
      });
    });
  }

  async start(): Promise<string> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  stop(): Promise<void> {
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

const credentials = { accessKeyId: 'test', secretAccessKey: 'test' };
const ARN = 'arn:aws:states:us-east-1:000000000000:stateMachine:order-saga';

const input: SagaInput = {
  order: {
    orderId: 'ord_0123456789ABCDEFGHJKMNPQRS',
    customerId: 'CUST-1',
    correlationId: 'corr-1',
    homeRegion: 'us-east-1',
    currency: 'EUR',
    totalMinor: 1999,
    lines: [{ productId: 'PROD-1', quantity: 1, unitPriceMinor: 1999 }],
    paymentToken: 'tok_visa',
  },
};

describe('AWS adapters against a loopback JSON-protocol server', () => {
  const server = new FakeAwsJsonServer();
  let sfn: SFNClient;
  let events: EventBridgeClient;

  beforeAll(async () => {
    const endpoint = await server.start();
    sfn = new SFNClient({ region: 'us-east-1', endpoint, credentials, maxAttempts: 1 });
    events = new EventBridgeClient({ region: 'us-east-1', endpoint, credentials, maxAttempts: 1 });
  });

  afterAll(async () => {
    sfn.destroy();
    events.destroy();
    await server.stop();
  });

  beforeEach(() => {
    server.calls.length = 0;
  });

  describe('SfnSagaStarter', () => {
    it('starts an execution named after the order with the saga input', async () => {
      server.reply = () => ({ status: 200, body: { executionArn: `${ARN}:exec`, startDate: 1767225600 } });

      const result = await new SfnSagaStarter(sfn, ARN).start(input);

      expect(result).toBe('started');
      expect(server.calls).toHaveLength(1);
      expect(server.calls[0]?.target).toBe('AWSStepFunctions.StartExecution');
      expect(server.calls[0]?.body).toEqual({
        stateMachineArn: ARN,
        name: input.order.orderId,
        input: JSON.stringify(input),
      });
    });

    it('treats ExecutionAlreadyExists as already started', async () => {
      server.reply = () => ({
        status: 400,
        body: {
          __type: 'com.amazonaws.swf.service.v2.model#ExecutionAlreadyExists',
          message: 'Execution Already Exists',
        },
      });

      await expect(new SfnSagaStarter(sfn, ARN).start(input)).resolves.toBe('already-started');
    });

    it('propagates any other error', async () => {
      server.reply = () => ({
        status: 400,
        body: { __type: 'StateMachineDoesNotExist', message: 'no such machine' },
      });

      await expect(new SfnSagaStarter(sfn, ARN).start(input)).rejects.toMatchObject({
        name: 'StateMachineDoesNotExist',
      });
    });
  });

  describe('health probes', () => {
    it('describes the state machine', async () => {
      server.reply = () => ({
        status: 200,
        body: {
          stateMachineArn: ARN,
          name: 'order-saga',
          definition: '{}',
          roleArn: 'r',
          type: 'STANDARD',
          creationDate: 1,
        },
      });

      await new StateMachineProbe(sfn, ARN).probe(new AbortController().signal);

      expect(server.calls[0]).toMatchObject({
        target: 'AWSStepFunctions.DescribeStateMachine',
        body: { stateMachineArn: ARN },
      });
    });

    it('describes the event bus', async () => {
      server.reply = () => ({
        status: 200,
        body: { Name: 'meridian', Arn: 'arn:aws:events:us-east-1:0:event-bus/meridian' },
      });

      await new EventBusProbe(events, 'meridian').probe(new AbortController().signal);

      expect(server.calls[0]).toMatchObject({
        target: 'AWSEvents.DescribeEventBus',
        body: { Name: 'meridian' },
      });
    });

    it('fails with the service error name for a missing bus', async () => {
      server.reply = () => ({
        status: 400,
        body: { __type: 'ResourceNotFoundException', message: 'Event bus meridian does not exist.' },
      });

      await expect(
        new EventBusProbe(events, 'meridian').probe(new AbortController().signal),
      ).rejects.toMatchObject({
        name: 'ResourceNotFoundException',
      });
    });
  });
});

import { SESv2Client } from '@aws-sdk/client-sesv2';
import { SNSClient } from '@aws-sdk/client-sns';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  AwsCustomerNotifier,
  SnsOpsAlerter,
  snsSubject,
} from '../../../services/notifications/adapters/aws-notifiers';
import type { CustomerMessage } from '../../../services/notifications/domain/ports';

/** A loopback server answering SES v2 (REST JSON) SendEmail and SNS (query protocol) Publish. */
class FakeAwsServer {
  readonly ses: Record<string, unknown>[] = [];
  readonly sns: Record<string, string>[] = [];
  private server?: Server;

  async start(): Promise<string> {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        if (req.url === '/v2/email/outbound-emails') {
          this.ses.push(JSON.parse(text) as Record<string, unknown>);
          res.writeHead(200, { 'content-type': 'application/json' });
          res.end(JSON.stringify({ MessageId: `ses-${this.ses.length}` }));
          return;
        }
        this.sns.push(Object.fromEntries(new URLSearchParams(text)));
        res.writeHead(200, { 'content-type': 'text/xml' });
        res.end(
          `<PublishResponse xmlns="http://sns.amazonaws.com/doc/2010-03-31/"><PublishResult>` +
            `<MessageId>sns-${this.sns.length}</MessageId></PublishResult>` +
            `<ResponseMetadata><RequestId>r-1</RequestId></ResponseMetadata></PublishResponse>`,
        );
      });
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', () => resolve()));
    return `http://127.0.0.1:${(this.server!.address() as AddressInfo).port}`;
  }

  stop(): Promise<void> {
    return new Promise((resolve) => this.server?.close(() => resolve()));
  }
}

const credentials = { accessKeyId: 'test', secretAccessKey: 'test' };
const message: CustomerMessage = {
  subject: 'Your order ord_1 — confirmed',
  text: 'plain',
  html: '<p>html</p>',
  orderId: 'ord_1',
  customerId: 'CUST-1',
  template: 'order-fulfilled',
  correlationId: 'corr-1',
};

describe('AWS notification adapters', () => {
  const server = new FakeAwsServer();
  let notifier: AwsCustomerNotifier;
  let alerter: SnsOpsAlerter;

  beforeAll(async () => {
    const endpoint = await server.start();
    const opts = { region: 'us-east-1', endpoint, credentials, maxAttempts: 1 };
    const sns = new SNSClient(opts);
    notifier = new AwsCustomerNotifier({
      ses: new SESv2Client(opts),
      sns,
      fromAddress: 'orders@meridian.example',
      customerTopicArn: 'arn:aws:sns:us-east-1:000000000000:customers',
    });
    alerter = new SnsOpsAlerter(sns, 'arn:aws:sns:us-east-1:000000000000:ops');
  });
  afterAll(() => server.stop());

  it('sends an e-mail with subject, text and HTML through SES v2', async () => {
    const receipt = await notifier.sendEmail('ada@example.com', message);

    expect(receipt).toEqual({ messageId: 'ses-1' });
    expect(server.ses[0]).toMatchObject({
      FromEmailAddress: 'orders@meridian.example',
      Destination: { ToAddresses: ['ada@example.com'] },
      Content: {
        Simple: {
          Subject: { Data: message.subject },
          Body: { Text: { Data: 'plain' }, Html: { Data: '<p>html</p>' } },
        },
      },
    });
  });

  it('publishes customer messages with customerId and template attributes', async () => {
    const receipt = await notifier.publishToTopic(message);

    expect(receipt.messageId).toMatch(/^sns-/);
    const sent = server.sns.at(-1)!;
    expect(sent).toMatchObject({
      Action: 'Publish',
      TopicArn: 'arn:aws:sns:us-east-1:000000000000:customers',
      Message: 'plain',
      Subject: 'Your order ord_1 ? confirmed',
    });
    const attributes = Object.fromEntries(
      [1, 2, 3, 4].map((i) => [
        sent[`MessageAttributes.entry.${i}.Name`],
        sent[`MessageAttributes.entry.${i}.Value.StringValue`],
      ]),
    );
    expect(attributes).toMatchObject({ customerId: 'CUST-1', template: 'order-fulfilled' });
  });

  it('publishes ops alerts with a severity attribute', async () => {
    await alerter.alert({
      severity: 'critical',
      subject: 'Shipment failed',
      message: 'm',
      eventType: 'ShipmentFailed',
      orderId: 'ord_1',
      correlationId: 'c',
    });

    const sent = server.sns.at(-1)!;
    expect(sent.TopicArn).toBe('arn:aws:sns:us-east-1:000000000000:ops');
    expect(Object.entries(sent)).toEqual(
      expect.arrayContaining([[expect.stringMatching(/Value\.StringValue$/), 'critical']]),
    );
  });

  it('keeps SNS subjects within the service limits', () => {
    expect(snsSubject('a\nb')).toBe('a?b');
    expect(snsSubject('x'.repeat(150))).toHaveLength(99);
  });
});

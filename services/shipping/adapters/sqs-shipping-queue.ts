import { SendMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import type { ShippingQueue } from '../domain/ports';

/** Sends (re-driven) shipping messages to the shipping queue with SQS SendMessage. */
export class SqsShippingQueue implements ShippingQueue {
  constructor(
    private readonly client: SQSClient,
    private readonly queueUrl: string,
  ) {}

  async send(message: { body: string; orderId: string }): Promise<{ messageId: string }> {
    const out = await this.client.send(
      new SendMessageCommand({
        QueueUrl: this.queueUrl,
        MessageBody: message.body,
        // Marks the message as a re-drive in logs and traces; consumers do not depend on it.
        MessageAttributes: {
          redrivenOrderId: { DataType: 'String', StringValue: message.orderId },
        },
      }),
    );
    if (!out.MessageId) throw new Error(`SendMessage returned no MessageId for order ${message.orderId}`);
    return { messageId: out.MessageId };
  }
}

import { SendEmailCommand, type SESv2Client } from '@aws-sdk/client-sesv2';
import { PublishCommand, type MessageAttributeValue, type SNSClient } from '@aws-sdk/client-sns';
import type {
  CustomerMessage,
  CustomerNotifier,
  OpsAlerter,
  OpsAlertMessage,
  SentReceipt,
} from '../domain/ports';

/** SNS subjects: ASCII printable, no line breaks, under 100 characters. */
export function snsSubject(subject: string): string {
  const ascii = subject.replace(/[^\x20-\x7e]/g, '?').trim();
  return ascii.length > 99 ? `${ascii.slice(0, 96)}...` : ascii || '(no subject)';
}

function attribute(value: string): MessageAttributeValue {
  return { DataType: 'String', StringValue: value };
}

export interface AwsCustomerNotifierProps {
  readonly ses: SESv2Client;
  readonly sns: SNSClient;
  /** The verified SES sender; without one, no e-mail is sent and customers get the topic. */
  readonly fromAddress?: string;
  readonly customerTopicArn: string;
}

/** Customer notifications: e-mail through SES v2 SendEmail, everything else through the SNS customer topic. */
export class AwsCustomerNotifier implements CustomerNotifier {
  readonly canEmail: boolean;

  constructor(private readonly props: AwsCustomerNotifierProps) {
    this.canEmail = props.fromAddress !== undefined;
  }

  async sendEmail(to: string, message: CustomerMessage): Promise<SentReceipt> {
    if (!this.props.fromAddress) throw new Error('no SES sender is configured (SES_FROM_ADDRESS)');
    const out = await this.props.ses.send(
      new SendEmailCommand({
        FromEmailAddress: this.props.fromAddress,
        Destination: { ToAddresses: [to] },
        Content: {
          Simple: {
            Subject: { Data: message.subject, Charset: 'UTF-8' },
            Body: {
              Text: { Data: message.text, Charset: 'UTF-8' },
              Html: { Data: message.html, Charset: 'UTF-8' },
            },
          },
        },
        // Tag values allow only [A-Za-z0-9_-]; the template names already fit.
        EmailTags: [{ Name: 'template', Value: message.template }],
      }),
    );
    if (!out.MessageId) throw new Error(`SES returned no MessageId for order ${message.orderId}`);
    return { messageId: out.MessageId };
  }

  async publishToTopic(message: CustomerMessage): Promise<SentReceipt> {
    const attributes: Record<string, MessageAttributeValue> = {
      template: attribute(message.template),
      orderId: attribute(message.orderId),
      correlationId: attribute(message.correlationId),
    };
    if (message.customerId) attributes.customerId = attribute(message.customerId);
    const out = await this.props.sns.send(
      new PublishCommand({
        TopicArn: this.props.customerTopicArn,
        Subject: snsSubject(message.subject),
        Message: message.text,
        MessageAttributes: attributes,
      }),
    );
    if (!out.MessageId) throw new Error(`SNS returned no MessageId for order ${message.orderId}`);
    return { messageId: out.MessageId };
  }
}

/** Ops alerts through the SNS ops topic; severity is an attribute so subscriptions can filter on it. */
export class SnsOpsAlerter implements OpsAlerter {
  constructor(
    private readonly sns: SNSClient,
    private readonly topicArn: string,
  ) {}

  async alert(alert: OpsAlertMessage): Promise<SentReceipt> {
    const out = await this.sns.send(
      new PublishCommand({
        TopicArn: this.topicArn,
        Subject: snsSubject(alert.subject),
        Message: alert.message,
        MessageAttributes: {
          severity: attribute(alert.severity),
          eventType: attribute(alert.eventType),
          orderId: attribute(alert.orderId),
          correlationId: attribute(alert.correlationId),
        },
      }),
    );
    if (!out.MessageId) throw new Error(`SNS returned no MessageId for the ${alert.eventType} alert`);
    return { messageId: out.MessageId };
  }
}

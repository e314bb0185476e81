import type { CustomerTemplate, OpsAlert, RenderedEmail } from './templates';

/** A customer message ready to send. */
export interface CustomerMessage extends RenderedEmail {
  readonly orderId: string;
  /** Absent when the triggering event does not carry it (PaymentDeclined). */
  readonly customerId?: string;
  readonly template: CustomerTemplate;
  readonly correlationId: string;
}

/** Where a customer message went. */
export type CustomerChannel = 'email' | 'sns';

/** What a sender returns. */
export interface SentReceipt {
  readonly messageId: string;
}

/** Port: customer notifications by e-mail (SES) or through the customer topic (SNS). */
export interface CustomerNotifier {
  /** Whether e-mail can be sent (a sender is configured); when false, customers get the topic. */
  readonly canEmail: boolean;
  sendEmail(to: string, message: CustomerMessage): Promise<SentReceipt>;
  publishToTopic(message: CustomerMessage): Promise<SentReceipt>;
}

/** An ops alert with the identity of what it is about. */
export interface OpsAlertMessage extends OpsAlert {
  readonly eventType: string;
  readonly orderId: string;
  readonly correlationId: string;
}

/** Port: alerts for the operators (SNS ops topic). */
export interface OpsAlerter {
  alert(alert: OpsAlertMessage): Promise<SentReceipt>;
}

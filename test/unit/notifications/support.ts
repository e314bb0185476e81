import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import type { SagaOrder } from '../../../services/shared/saga';
import type {
  CustomerMessage,
  CustomerNotifier,
  OpsAlerter,
  OpsAlertMessage,
  SentReceipt,
} from '../../../services/notifications/domain/ports';

export const REGION = 'us-east-1';

export function order(n: number | string, overrides: Partial<SagaOrder> = {}): SagaOrder {
  return {
    orderId: `ord_${n}`,
    customerId: 'CUST-1001',
    correlationId: `corr-${n}`,
    homeRegion: REGION,
    currency: 'USD',
    totalMinor: 123456,
    lines: [
      { productId: 'PROD-1', quantity: 2, unitPriceMinor: 50000 },
      { productId: 'PROD-2', quantity: 1, unitPriceMinor: 23456 },
    ],
    ...overrides,
  };
}

/** Both customer channels in memory. */
export class FakeCustomerNotifier implements CustomerNotifier {
  constructor(readonly canEmail = true) {}
  readonly emails: { to: string; message: CustomerMessage }[] = [];
  readonly published: CustomerMessage[] = [];
  failNext = false;

  async sendEmail(to: string, message: CustomerMessage): Promise<SentReceipt> {
    this.maybeFail();
    this.emails.push({ to, message });
    return { messageId: `ses-${this.emails.length}` };
  }

  async publishToTopic(message: CustomerMessage): Promise<SentReceipt> {
    this.maybeFail();
    this.published.push(message);
    return { messageId: `sns-${this.published.length}` };
  }

  private maybeFail(): void {
    if (this.failNext) {
      this.failNext = false;
      throw new Error('send failed');
    }
  }
}

export class FakeOpsAlerter implements OpsAlerter {
  readonly alerts: OpsAlertMessage[] = [];
  async alert(alert: OpsAlertMessage): Promise<SentReceipt> {
    this.alerts.push(alert);
    return { messageId: `ops-${this.alerts.length}` };
  }
}

export function quietObservability(): { logger: Logger; metrics: Metrics } {
  return {
    logger: new Logger({ serviceName: 'notifications-test', logLevel: 'SILENT' }),
    metrics: new Metrics({ namespace: 'Test', serviceName: 'notifications-test' }),
  };
}

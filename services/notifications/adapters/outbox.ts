import { randomBytes } from 'node:crypto';
import { mkdir, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Clock } from '../../shared/clock';
import type {
  CustomerMessage,
  CustomerNotifier,
  OpsAlerter,
  OpsAlertMessage,
  SentReceipt,
} from '../domain/ports';

/** The kinds of files the outbox holds. */
export type OutboxKind = 'email' | 'customer-sns' | 'ops-alert';

/** The JSON document written for each message. */
export interface OutboxRecord {
  readonly id: string;
  readonly kind: OutboxKind;
  readonly createdAt: string;
  readonly [field: string]: unknown;
}

/**
 * Writes every message into a folder instead of sending it (the local runtime): one JSON file per
 * message, plus `.html` and `.txt` for e-mails. File names sort by time and are unique across
 * processes; each file is written under a temporary name and renamed, so a reader never sees half a file.
 * The JSON file is written last: when it exists, its companions do too.
 */
export class OutboxNotifier implements CustomerNotifier, OpsAlerter {
  /** The outbox keeps e-mails as files, so there is always a "sender". */
  readonly canEmail = true;
  private sequence = 0;
  private readonly processTag = randomBytes(4).toString('hex');

  constructor(
    private readonly dir: string,
    private readonly clock: Clock,
  ) {}

  async sendEmail(to: string, message: CustomerMessage): Promise<SentReceipt> {
    const id = this.nextId('email', message.orderId);
    await this.ready();
    await this.writeAtomic(`${id}.html`, message.html);
    await this.writeAtomic(`${id}.txt`, message.text);
    await this.writeRecord(id, 'email', {
      channel: 'email',
      to,
      subject: message.subject,
      template: message.template,
      orderId: message.orderId,
      customerId: message.customerId,
      correlationId: message.correlationId,
      text: message.text,
      html: message.html,
      files: { html: `${id}.html`, text: `${id}.txt` },
    });
    return { messageId: id };
  }

  async publishToTopic(message: CustomerMessage): Promise<SentReceipt> {
    const id = this.nextId('customer-sns', message.orderId);
    await this.ready();
    await this.writeRecord(id, 'customer-sns', {
      channel: 'sns',
      topic: 'customer',
      subject: message.subject,
      message: message.text,
      attributes: {
        template: message.template,
        orderId: message.orderId,
        correlationId: message.correlationId,
        ...(message.customerId ? { customerId: message.customerId } : {}),
      },
    });
    return { messageId: id };
  }

  async alert(alert: OpsAlertMessage): Promise<SentReceipt> {
    const id = this.nextId('ops-alert', alert.orderId);
    await this.ready();
    await this.writeRecord(id, 'ops-alert', {
      channel: 'sns',
      topic: 'ops',
      severity: alert.severity,
      subject: alert.subject,
      message: alert.message,
      attributes: {
        severity: alert.severity,
        eventType: alert.eventType,
        orderId: alert.orderId,
        correlationId: alert.correlationId,
      },
    });
    return { messageId: id };
  }

  /** `<UTC time>_<process>_<sequence>_<kind>_<order>`: sortable by time, unique per process and call. */
  private nextId(kind: OutboxKind, orderId: string): string {
    const time = new Date(this.clock.now()).toISOString().replace(/[-:.]/g, '');
    const seq = String(++this.sequence).padStart(6, '0');
    const safeOrder = orderId.replace(/[^A-Za-z0-9_-]/g, '_').slice(0, 64);
    return `${time}_${this.processTag}_${seq}_${kind}_${safeOrder}`;
  }

  private async writeRecord(id: string, kind: OutboxKind, fields: Record<string, unknown>): Promise<void> {
    const record: OutboxRecord = { id, kind, createdAt: new Date(this.clock.now()).toISOString(), ...fields };
    await this.writeAtomic(`${id}.json`, `${JSON.stringify(record, null, 2)}\n`);
  }

  private async writeAtomic(name: string, content: string): Promise<void> {
    // Dot-prefixed temp names are skipped by readers listing `*.json`; rename within a folder is atomic.
    const temp = join(this.dir, `.${name}.${this.processTag}.tmp`);
    await writeFile(temp, content, 'utf8');
    await rename(temp, join(this.dir, name));
  }

  private ready(): Promise<string | undefined> {
    return mkdir(this.dir, { recursive: true });
  }
}

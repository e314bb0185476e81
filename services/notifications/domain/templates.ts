import type { SagaOrder } from '../../shared/saga';
import { escapeHtml, formatMoney, humanReason } from './format';

/** Customer messages the platform sends. */
export const CUSTOMER_TEMPLATES = [
  'order-fulfilled',
  'order-cancelled',
  'order-failed',
  'payment-declined',
] as const;
export type CustomerTemplate = (typeof CUSTOMER_TEMPLATES)[number];

/** A rendered customer message: subject, plain text and HTML. */
export interface RenderedEmail {
  readonly subject: string;
  readonly text: string;
  readonly html: string;
}

/** What a customer template needs; the order is optional because events carry only part of it. */
export interface CustomerTemplateInput {
  readonly orderId: string;
  readonly order?: SagaOrder;
  readonly reason?: string;
}

interface Content {
  readonly subject: string;
  readonly heading: string;
  readonly paragraphs: readonly string[];
}

/** Renders a customer message in text and HTML; every interpolated value is escaped in the HTML. */
export function renderCustomerMessage(
  template: CustomerTemplate,
  input: CustomerTemplateInput,
): RenderedEmail {
  const content = customerContent(template, input);
  const summary = input.order ? orderSummary(input.order) : undefined;
  const text = [
    content.heading,
    '',
    ...content.paragraphs.flatMap((p) => [p, '']),
    ...(summary ? [summary.textHeading, ...summary.textLines, '', summary.textTotal, ''] : []),
    'Meridian',
  ].join('\n');
  const html = [
    '<!doctype html>',
    `<html><head><meta charset="utf-8"><title>${escapeHtml(content.subject)}</title></head><body>`,
    `<h1>${escapeHtml(content.heading)}</h1>`,
    ...content.paragraphs.map((p) => `<p>${escapeHtml(p)}</p>`),
    ...(summary
      ? [
          `<table><caption>${escapeHtml(summary.textHeading)}</caption><tbody>`,
          ...summary.rows.map(
            (r) =>
              `<tr><td>${escapeHtml(r.item)}</td><td>${escapeHtml(r.quantity)}</td><td>${escapeHtml(r.amount)}</td></tr>`,
          ),
          `</tbody><tfoot><tr><td colspan="2">Total</td><td>${escapeHtml(summary.total)}</td></tr></tfoot></table>`,
        ]
      : []),
    '<p>Meridian</p>',
    '</body></html>',
  ].join('\n');
  return { subject: content.subject, text, html };
}

function customerContent(template: CustomerTemplate, input: CustomerTemplateInput): Content {
  const ref = `order ${input.orderId}`;
  switch (template) {
    case 'order-fulfilled':
      return {
        subject: `Your order ${input.orderId} is confirmed and on its way`,
        heading: 'Thank you for your order',
        paragraphs: [`We have confirmed ${ref}, taken payment and handed it to the carrier.`],
      };
    case 'order-cancelled':
      return {
        subject: `Your order ${input.orderId} has been cancelled`,
        heading: 'Your order has been cancelled',
        paragraphs: [
          `We have cancelled ${ref}${input.reason ? ` because ${humanReason(input.reason)}` : ''}.`,
          'Any payment taken has been refunded; it may take a few days to appear on your statement.',
        ],
      };
    case 'order-failed':
      return {
        subject: `We could not complete your order ${input.orderId}`,
        heading: 'We could not complete your order',
        paragraphs: [
          `We are sorry: ${ref} could not be completed because ${humanReason(input.reason)}.`,
          'You have not been charged for it; any payment taken has been refunded.',
        ],
      };
    case 'payment-declined':
      return {
        subject: `Payment for your order ${input.orderId} was declined`,
        heading: 'Your payment was declined',
        paragraphs: [
          `The payment for ${ref} did not go through: ${humanReason(input.reason)}.`,
          'Please check your card details or use another payment method and order again.',
        ],
      };
  }
}

interface Summary {
  readonly textHeading: string;
  readonly textLines: readonly string[];
  readonly textTotal: string;
  readonly rows: readonly { item: string; quantity: string; amount: string }[];
  readonly total: string;
}

function orderSummary(order: SagaOrder): Summary {
  const rows = order.lines.map((l) => ({
    item: l.productId,
    quantity: String(l.quantity),
    amount: formatMoney(l.unitPriceMinor * l.quantity, order.currency),
  }));
  const total = formatMoney(order.totalMinor, order.currency);
  return {
    textHeading: `Order ${order.orderId}`,
    textLines: rows.map((r) => `  ${r.quantity} x ${r.item}  ${r.amount}`),
    textTotal: `Total: ${total}`,
    rows,
    total,
  };
}

export type AlertSeverity = 'info' | 'warning' | 'critical';

/** An ops alert. */
export interface OpsAlert {
  readonly severity: AlertSeverity;
  readonly subject: string;
  readonly message: string;
}

/** Context every ops alert carries, so on-call can find the order, its region and its trace. */
export interface AlertContext {
  readonly eventId: string;
  readonly region: string;
  readonly correlationId: string;
  readonly time: string;
}

/** Renders the ops alert for an order that failed. */
export function orderFailedAlert(
  d: { orderId: string; customerId: string; reason: string },
  ctx: AlertContext,
): OpsAlert {
  return {
    severity: 'warning',
    subject: `[warning] Order ${d.orderId} failed in ${ctx.region}`,
    message: alertBody(`Order ${d.orderId} (customer ${d.customerId}) failed: ${d.reason}`, ctx),
  };
}

/** Renders the ops alert for a shipment that reached the DLQ. */
export function shipmentFailedAlert(d: { orderId: string; reason: string }, ctx: AlertContext): OpsAlert {
  return {
    severity: 'critical',
    subject: `[critical] Shipment of order ${d.orderId} failed in ${ctx.region}`,
    message: alertBody(
      `The shipping message of order ${d.orderId} reached the dead-letter queue: ${d.reason}\n` +
        `The saga is still waiting. Re-drive once the cause is fixed:\n` +
        `  npx tsx services/shipping/cli/redrive.ts --region ${ctx.region}`,
      ctx,
    ),
  };
}

/** Renders the ops alert for a stock reservation that failed. */
export function stockReservationFailedAlert(
  d: { orderId: string; sku: string; requested: number; available: number },
  ctx: AlertContext,
): OpsAlert {
  return {
    severity: 'warning',
    subject: `[warning] Out of stock: ${d.sku} in ${ctx.region}`,
    message: alertBody(
      `Order ${d.orderId} requested ${d.requested} of ${d.sku}; ${d.available} available in ${ctx.region}.`,
      ctx,
    ),
  };
}

function alertBody(summary: string, ctx: AlertContext): string {
  return [
    summary,
    '',
    `region: ${ctx.region}`,
    `time: ${ctx.time}`,
    `correlationId: ${ctx.correlationId}`,
    `eventId: ${ctx.eventId}`,
  ].join('\n');
}

import { escapeHtml, formatMoney, humanReason } from '../../../services/notifications/domain/format';
import {
  orderFailedAlert,
  renderCustomerMessage,
  shipmentFailedAlert,
  stockReservationFailedAlert,
} from '../../../services/notifications/domain/templates';
import { order } from './support';

const ctx = {
  eventId: 'evt-1',
  region: 'eu-west-1',
  correlationId: 'corr-9',
  time: '2026-01-01T00:00:00.000Z',
};

describe('money formatting', () => {
  it('formats hundredths with the currency exponent as the minimum decimals', () => {
    expect(formatMoney(123456, 'USD')).toBe('$1,234.56');
    expect(formatMoney(150000, 'JPY')).toBe('¥1,500');
    expect(formatMoney(150050, 'JPY')).toBe('¥1,500.50');
    expect(formatMoney(5, 'EUR')).toBe('€0.05');
    expect(formatMoney(100000, 'GBP')).toBe('£1,000.00');
  });
});

describe('HTML escaping', () => {
  it('escapes the five HTML-significant characters', () => {
    expect(escapeHtml(`<a href="x">Tom & 'Jerry'</a>`)).toBe(
      '&lt;a href=&quot;x&quot;&gt;Tom &amp; &#39;Jerry&#39;&lt;/a&gt;',
    );
  });
});

describe('customer templates', () => {
  it('renders the fulfilled e-mail with lines and total in text and HTML', () => {
    const msg = renderCustomerMessage('order-fulfilled', { orderId: 'ord_1', order: order(1) });

    expect(msg.subject).toBe('Your order ord_1 is confirmed and on its way');
    expect(msg.text).toContain('2 x PROD-1  $1,000.00');
    expect(msg.text).toContain('Total: $1,234.56');
    expect(msg.html).toContain('<td>PROD-2</td><td>1</td><td>$234.56</td>');
    expect(msg.html).toContain('<td colspan="2">Total</td><td>$1,234.56</td>');
  });

  it('formats JPY totals without decimals', () => {
    const jpy = order('jp', {
      currency: 'JPY',
      totalMinor: 150000,
      lines: [{ productId: 'PROD-9', quantity: 3, unitPriceMinor: 50000 }],
    });

    const msg = renderCustomerMessage('order-fulfilled', { orderId: jpy.orderId, order: jpy });

    expect(msg.text).toContain('Total: ¥1,500');
    expect(msg.html).toContain('¥1,500');
  });

  it('escapes a hostile reason in HTML but keeps it readable in text', () => {
    const reason = '<script>alert("x")</script>';

    const msg = renderCustomerMessage('order-failed', { orderId: 'ord_2', order: order(2), reason });

    expect(msg.html).not.toContain('<script>');
    expect(msg.html).toContain('&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;');
    expect(msg.text).toContain(reason);
  });

  it('escapes interpolated order fields too', () => {
    const msg = renderCustomerMessage('order-cancelled', {
      orderId: 'ord_<b>',
      order: order(3, {
        orderId: 'ord_<b>',
        lines: [{ productId: 'PROD-<i>', quantity: 1, unitPriceMinor: 100 }],
      }),
    });

    expect(msg.html).not.toMatch(/<b>|<i>/);
    expect(msg.html).toContain('ord_&lt;b&gt;');
    expect(msg.html).toContain('PROD-&lt;i&gt;');
  });

  it('explains machine failure reasons in words', () => {
    const msg = renderCustomerMessage('order-failed', {
      orderId: 'ord_4',
      order: order(4),
      reason: 'OutOfStockError',
    });

    expect(msg.text).toContain('could not be completed because one or more items went out of stock.');
    expect(humanReason('PaymentDeclinedError')).toBe('your payment was declined');
    expect(humanReason('insufficient_funds')).toBe('your card has insufficient funds');
    expect(humanReason(undefined)).toBe('an unexpected problem occurred');
  });

  it('renders cancelled and payment-declined messages', () => {
    const cancelled = renderCustomerMessage('order-cancelled', {
      orderId: 'ord_5',
      order: order(5),
      reason: 'customer request: cancel',
    });
    const declined = renderCustomerMessage('payment-declined', { orderId: 'ord_6', reason: 'card_declined' });

    expect(cancelled.subject).toBe('Your order ord_5 has been cancelled');
    expect(cancelled.text).toContain('refunded');
    expect(declined.subject).toBe('Payment for your order ord_6 was declined');
    expect(declined.text).toContain('your payment was declined');
    expect(declined.html).toContain('<h1>Your payment was declined</h1>');
  });
});

describe('ops alerts', () => {
  it('renders severity, subject and message with the tracing context', () => {
    const failed = orderFailedAlert(
      { orderId: 'ord_1', customerId: 'CUST-1', reason: 'PaymentDeclinedError' },
      ctx,
    );
    const shipment = shipmentFailedAlert({ orderId: 'ord_2', reason: 'carrier down' }, ctx);
    const stock = stockReservationFailedAlert(
      { orderId: 'ord_3', sku: 'PROD-7', requested: 5, available: 2 },
      ctx,
    );

    expect(failed).toMatchObject({
      severity: 'warning',
      subject: '[warning] Order ord_1 failed in eu-west-1',
    });
    expect(failed.message).toContain('correlationId: corr-9');
    expect(shipment.severity).toBe('critical');
    expect(shipment.message).toContain('redrive.ts --region eu-west-1');
    expect(stock).toMatchObject({
      severity: 'warning',
      subject: '[warning] Out of stock: PROD-7 in eu-west-1',
    });
    expect(stock.message).toContain('requested 5 of PROD-7; 2 available');
  });
});

import { CURRENCIES, fromMinorUnits, type Currency } from '../../shared/money';

const HTML_ESCAPES: Readonly<Record<string, string>> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

/** Escapes text for HTML element content and quoted attribute values. */
export function escapeHtml(value: string): string {
  return value.replace(/[&<>"']/g, (c) => HTML_ESCAPES[c] ?? c);
}

/**
 * Formats Meridian minor units (hundredths, see shared/money.ts) in their currency, e.g. `$1,234.56`,
 * `¥1,500`: the currency's ISO exponent sets the minimum decimals shown, and any hundredths present are
 * kept. An unknown currency code falls back to two decimals and the code itself.
 */
export function formatMoney(minor: number, currency: string, locale = 'en-US'): string {
  const exponent = (CURRENCIES as Record<string, number>)[currency] ?? 2;
  const amount = fromMinorUnits(minor);
  const digits = Number.isInteger(amount) ? exponent : 2;
  try {
    return new Intl.NumberFormat(locale, {
      style: 'currency',
      currency: currency as Currency,
      minimumFractionDigits: digits,
      maximumFractionDigits: digits,
    }).format(amount);
  } catch {
    return `${amount.toFixed(digits)} ${currency}`;
  }
}

/** Machine reasons (error names, provider codes) the customer should see in words. */
const HUMAN_REASONS: ReadonlyArray<[RegExp, string]> = [
  [
    /HomeRegionUnavailable|OrderTakenOver/,
    'the part of our service that was processing it became unavailable; please place it again',
  ],
  [/OutOfStock|out[_ -]of[_ -]stock|insufficient[_ -]stock/i, 'one or more items went out of stock'],
  [/insufficient[_ -]funds/i, 'your card has insufficient funds'],
  [/PaymentDeclined|card[_ -]declined|declined/i, 'your payment was declined'],
  [/payment.*time(d)?[_ -]?out|PaymentTimeout/i, 'the payment provider did not respond in time'],
  [/ShipmentFailed|shipping/i, 'we could not arrange shipping'],
  [/States\.Timeout|timed?[_ -]?out/i, 'processing took too long'],
  [/cancel/i, 'the order was cancelled on request'],
];

/**
 * Turns a failure reason into a sentence for customers: known codes become plain words; other text
 * is kept (it may be a human sentence) but bounded. Callers still escape it for HTML.
 */
export function humanReason(reason: string | undefined): string {
  const text = (reason ?? '').trim();
  if (!text) return 'an unexpected problem occurred';
  for (const [pattern, sentence] of HUMAN_REASONS) if (pattern.test(text)) return sentence;
  return text.length > 300 ? `${text.slice(0, 297)}...` : text;
}

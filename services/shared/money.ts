/** Currencies the platform accepts, with their minor-unit exponent (ISO 4217). */
export const CURRENCIES = {
  USD: 2,
  EUR: 2,
  GBP: 2,
  JPY: 0,
  AUD: 2,
  CAD: 2,
  CHF: 2,
  SGD: 2,
} as const;

export type Currency = keyof typeof CURRENCIES;
export const CURRENCY_CODES = Object.keys(CURRENCIES) as [Currency, ...Currency[]];

/** Converts a decimal amount with at most 2 decimals to integer minor units (cents) without float drift. */
export function toMinorUnits(amount: number): number {
  return Math.round(amount * 100);
}

/** Converts integer minor units (cents) back to a decimal amount. */
export function fromMinorUnits(minor: number): number {
  return minor / 100;
}

/** True when `amount` has at most `decimals` decimal places (robust to binary floating point). */
export function hasAtMostDecimals(amount: number, decimals: number): boolean {
  const scaled = amount * 10 ** decimals;
  return Math.abs(scaled - Math.round(scaled)) < 1e-6;
}

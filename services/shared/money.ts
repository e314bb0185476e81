/** Currencies the platform accepts, with their ISO 4217 exponent (used for display only). */
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

/**
 * Meridian's internal money unit is the *hundredth* of the currency unit for every currency (cents for
 * USD, hundredths of a yen for JPY): prices are validated to at most 2 decimals, so every amount is an
 * integer in this unit. `CURRENCIES` holds the ISO exponent for display only; never divide by it.
 */
export const MINOR_UNITS_PER_UNIT = 100;

/** Converts a decimal amount with at most 2 decimals to integer minor units (hundredths) without float drift. */
export function toMinorUnits(amount: number): number {
  return Math.round(amount * MINOR_UNITS_PER_UNIT);
}

/** Converts integer minor units (hundredths) back to a decimal amount. */
export function fromMinorUnits(minor: number): number {
  return minor / MINOR_UNITS_PER_UNIT;
}

/**
 * True when `amount` has at most `decimals` decimal places, judged on its shortest round-trip decimal
 * form (what `JSON.parse` read): exact for every JSON number, so 19.99 passes and 19.990000001 or 1e-9
 * does not.
 */
export function hasAtMostDecimals(amount: number, decimals: number): boolean {
  if (!Number.isFinite(amount)) return false;
  const match = /^-?\d+(?:\.(\d+))?(?:e([+-]\d+))?$/i.exec(String(amount));
  if (!match) return false;
  const fractionDigits = match[1]?.length ?? 0;
  const exponent = Number(match[2] ?? 0);
  return fractionDigits - exponent <= decimals;
}

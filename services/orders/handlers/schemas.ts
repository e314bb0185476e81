import { z } from 'zod';
import { ValidationError } from '../../shared/errors';
import { toFieldErrors } from '../../shared/http';
import { CURRENCIES, CURRENCY_CODES, hasAtMostDecimals } from '../../shared/money';

/**
 * Request schemas of the orders API. Every string is length-capped before any pattern runs, so absurd
 * inputs fail fast with a field error instead of costing work.
 */
export const ORDER_ID_PATTERN = /^ord_[0-9A-Z]{26}$/;
export const IDEMPOTENCY_KEY_PATTERN = /^[A-Za-z0-9_.:-]{1,255}$/;
export const MAX_LINES = 50;
/** Smallest unit price: one hundredth, Meridian's minor unit (shared/money.ts). */
export const MIN_UNIT_PRICE = 0.01;
export const MAX_UNIT_PRICE = 1_000_000;

const customerId = z
  .string()
  .max(25, 'must be CUST- followed by 1 to 20 digits')
  .regex(/^CUST-\d{1,20}$/, 'must be CUST- followed by 1 to 20 digits');

const line = z.strictObject({
  productId: z
    .string()
    .max(25, 'must be PROD- followed by 1 to 20 digits')
    .regex(/^PROD-\d{1,20}$/, 'must be PROD- followed by 1 to 20 digits'),
  quantity: z
    .number()
    .int('must be a whole number')
    .min(1, 'must be at least 1')
    .max(1000, 'must be at most 1000'),
  // At least one hundredth: a positive price below it (1e-9) would round to 0 minor units, a zero total
  // the saga contract (sagaOrderSchema: unitPriceMinor > 0) refuses.
  unitPrice: z
    .number()
    .min(MIN_UNIT_PRICE, `must be at least ${MIN_UNIT_PRICE}`)
    .max(MAX_UNIT_PRICE, `must be at most ${MAX_UNIT_PRICE}`)
    .refine(
      (v) => v < MIN_UNIT_PRICE || v > MAX_UNIT_PRICE || hasAtMostDecimals(v, 2),
      'must have at most 2 decimal places',
    ),
});

/** Body of POST /orders. */
export const createOrderSchema = z
  .strictObject({
    customerId,
    currency: z.enum(CURRENCY_CODES, { error: `must be one of ${CURRENCY_CODES.join(', ')}` }),
    lines: z
      .array(line)
      .min(1, 'an order needs at least 1 line')
      .max(MAX_LINES, `an order has at most ${MAX_LINES} lines`),
    paymentToken: z
      .string()
      .max(68, 'must be tok_ followed by 1 to 64 letters, digits or _')
      .regex(/^tok_[A-Za-z0-9_]{1,64}$/, 'must be tok_ followed by 1 to 64 letters, digits or _')
      .optional(),
    email: z.email('must be a valid e-mail address').max(254, 'must be at most 254 characters').optional(),
  })
  .superRefine((body, ctx) => {
    // Zod runs this even when fields failed, so every value is checked before use.
    if (!Array.isArray(body.lines)) return;
    const seen = new Set<string>();
    const decimals = CURRENCIES[body.currency as keyof typeof CURRENCIES];
    body.lines.forEach((l, i) => {
      if (!l || typeof l !== 'object') return;
      if (typeof l.productId === 'string') {
        if (seen.has(l.productId)) {
          ctx.addIssue({ code: 'custom', path: ['lines', i, 'productId'], message: 'duplicate productId' });
        }
        seen.add(l.productId);
      }
      // Currencies without minor units (JPY) take whole amounts only.
      if (decimals === 0 && typeof l.unitPrice === 'number' && !Number.isInteger(l.unitPrice)) {
        ctx.addIssue({
          code: 'custom',
          path: ['lines', i, 'unitPrice'],
          message: `${String(body.currency)} amounts must be whole numbers`,
        });
      }
    });
  });

/** Body of POST /orders/{id}/cancel (optional). */
export const cancelOrderSchema = z.strictObject({
  reason: z.string().trim().min(1, 'must not be blank').max(500, 'must be at most 500 characters').optional(),
});

/** Path parameter {id}. */
export const orderIdParamsSchema = z.object({
  id: z
    .string()
    .max(30, 'must be an order id such as ord_…')
    .regex(ORDER_ID_PATTERN, 'must be an order id such as ord_…'),
});

/** Query of GET /orders; unknown parameters are ignored. */
export const listOrdersQuerySchema = z.object({
  customerId,
  limit: z
    .string()
    .regex(/^\d{1,3}$/, 'must be an integer from 1 to 100')
    .transform(Number)
    .pipe(
      z
        .number()
        .int()
        .min(1, 'must be an integer from 1 to 100')
        .max(100, 'must be an integer from 1 to 100'),
    )
    .optional(),
  cursor: z.string().min(1, 'must not be empty').max(1024, 'not a cursor issued by this API').optional(),
});

/**
 * Validates `input`, prefixing field paths with `where` (e.g. `queryStringParameters`). Unknown keys are
 * reported one field each (zod groups them into one issue at the parent).
 */
export function check<S extends z.ZodType>(schema: S, input: unknown, where?: string): z.output<S> {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  throw new ValidationError(
    where ? `${where} are invalid` : 'request body is invalid',
    toFieldErrors(result.error, where),
  );
}

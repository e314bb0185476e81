import { z } from 'zod';

const data = {
  chargeId: z.string().min(1).max(200),
  orderId: z.string().min(1).max(200),
  amountMinor: z.number().int().positive(),
  currency: z.string().regex(/^[A-Z]{3}$/),
};
const common = {
  id: z.string().regex(/^evt_[A-Za-z0-9_-]{1,200}$/, 'must be an event id such as evt_...'),
  created: z.number().int().nonnegative(),
};

/** The provider's webhook body, validated after its signature. */
export const providerWebhookSchema = z.discriminatedUnion('type', [
  z.object({ ...common, type: z.literal('charge.authorized'), data: z.object(data) }),
  z.object({
    ...common,
    type: z.literal('charge.declined'),
    data: z.object({ ...data, declineCode: z.string().min(1).max(100) }),
  }),
]);
export type ProviderWebhook = z.infer<typeof providerWebhookSchema>;

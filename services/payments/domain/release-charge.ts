import { refundKey } from './payment';
import type { PaymentProvider, ProviderCharge } from './ports';

/**
 * Gives an order's charge back at the provider: voids it while pending or authorized, refunds it once
 * captured. A declined, voided or refunded charge holds no money and is returned as it is. Idempotent: the
 * provider key is `<orderId>:refund`, and the provider gives back a charge at most once.
 */
export async function releaseCharge(
  provider: PaymentProvider,
  orderId: string,
  chargeId: string,
): Promise<ProviderCharge> {
  const current = await provider.getCharge(chargeId);
  if (current.status === 'declined' || current.status === 'voided' || current.status === 'refunded') {
    return current;
  }
  return provider.refund(chargeId, refundKey(orderId));
}

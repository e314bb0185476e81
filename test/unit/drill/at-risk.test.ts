import type { AcknowledgedOrder } from '../../../lib/drill/audit';
import { ordersAtRisk } from '../../../lib/drill/run-drill';

const ack = (orderId: string, region: string, ackAt: number): AcknowledgedOrder => ({
  orderId,
  idempotencyKey: `key-${orderId}`,
  region,
  ackAt,
  quantityBySku: { 'PROD-1': 1 },
});

describe('orders at risk during a region outage', () => {
  const FAULT_AT = 10_000;
  const SNAPSHOT_AT = 40_000;

  it("counts the down region's acknowledgements its peers had not received, including one that reached the client after the kill began", () => {
    const acknowledged = [
      ack('ord_before', 'us-east-1', FAULT_AT - 30),
      // The region answered, then died: the answer was on its way when the fault began.
      ack('ord_in_flight', 'us-east-1', FAULT_AT + 4),
      ack('ord_replicated', 'us-east-1', FAULT_AT - 500),
      ack('ord_peer', 'eu-west-1', FAULT_AT + 2_000),
      ack('ord_after_recovery', 'us-east-1', SNAPSHOT_AT + 1),
    ];
    const seen = new Map([['ord_replicated', {}]]);

    expect(ordersAtRisk(acknowledged, 'us-east-1', SNAPSHOT_AT, seen).map((a) => a.orderId)).toEqual([
      'ord_before',
      'ord_in_flight',
    ]);
  });
});

import { GetCommand, PutCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { ManualClock } from '../../../services/shared/clock';
import type { EventEnvelope, EventPublisher, EventType } from '../../../services/shared/events';
import type { SagaOrder } from '../../../services/shared/saga';
import {
  DynamoAllocationStore,
  inventoryKeys,
} from '../../../services/inventory/adapters/dynamo-allocation-store';
import type { Allocation } from '../../../services/inventory/domain/model';
import type { InventoryDeps } from '../../../services/inventory/domain/ports';

/** In-memory EventPublisher that keeps what it was given. */
export class RecordingPublisher implements EventPublisher {
  readonly events: EventEnvelope[] = [];
  async publish(events: readonly EventEnvelope[]): Promise<void> {
    this.events.push(...events);
  }
  ofType<T extends EventType>(type: T): EventEnvelope<T>[] {
    return this.events.filter((e): e is EventEnvelope<T> => e.type === type);
  }
}

/** Deps of the use cases for one region, sharing the given table, clock and publisher. */
export function inventoryDeps(
  client: DynamoDBDocumentClient,
  table: string,
  region: string,
  clock = new ManualClock(),
  publisher = new RecordingPublisher(),
): InventoryDeps & { store: DynamoAllocationStore; clock: ManualClock; publisher: RecordingPublisher } {
  return { store: new DynamoAllocationStore(client, table, region), clock, publisher };
}

let orderSeq = 0;

/** A saga order with the given lines (`[sku, quantity]`), unique per call. */
export function order(
  lines: readonly (readonly [string, number])[],
  orderId = `ord_${++orderSeq}_${Date.now()}`,
): SagaOrder {
  return {
    orderId,
    customerId: 'CUST-1',
    correlationId: `corr-${orderId}`,
    homeRegion: 'eu-west-1',
    currency: 'EUR',
    totalMinor: 1000 * lines.length,
    lines: lines.map(([productId, quantity]) => ({ productId, quantity, unitPriceMinor: 1000 })),
  };
}

let skuSeq = 0;

/** A SKU not used by any other test. */
export function freshSku(): string {
  skuSeq += 1;
  return `PROD-${Date.now() % 1_000_000}${String(skuSeq).padStart(4, '0')}`;
}

/** Raw allocation item, read strongly consistently (for asserting what is stored). */
export async function rawAllocation(
  client: DynamoDBDocumentClient,
  table: string,
  sku: string,
  region: string,
): Promise<Record<string, unknown> | undefined> {
  const out = await client.send(
    new GetCommand({ TableName: table, Key: inventoryKeys.allocation(sku, region), ConsistentRead: true }),
  );
  return out.Item;
}

/** Writes an allocation item directly, e.g. one owned by another region after a hand-over. */
export async function putAllocation(
  client: DynamoDBDocumentClient,
  table: string,
  a: Pick<Allocation, 'sku' | 'region' | 'ownerRegion' | 'available'> &
    Partial<Pick<Allocation, 'holds' | 'version'>>,
): Promise<void> {
  await client.send(
    new PutCommand({
      TableName: table,
      Item: {
        ...inventoryKeys.allocation(a.sku, a.region),
        gsi1pk: inventoryKeys.allocationsOfRegion(a.region),
        gsi1sk: a.sku,
        sku: a.sku,
        region: a.region,
        ownerRegion: a.ownerRegion,
        available: a.available,
        holds: a.holds ?? {},
        version: a.version ?? 1,
        updatedAt: new Date(0).toISOString(),
      },
    }),
  );
}

/** Units of an allocation by state; their sum is conserved by every operation but settlement. */
export function units(a: Allocation | undefined): {
  available: number;
  held: number;
  committed: number;
  total: number;
} {
  let held = 0;
  let committed = 0;
  for (const h of Object.values(a?.holds ?? {})) {
    if (h.state === 'HELD') held += h.quantity;
    else committed += h.quantity;
  }
  const available = a?.available ?? 0;
  return { available, held, committed, total: available + held + committed };
}

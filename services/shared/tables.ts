/**
 * The data model, defined once: the CDK global data stage (issue 3), the local runtime and the
 * tests all create tables from these definitions. Every table is a Global Table; every item carries
 * `ownerRegion`, the only region allowed to write it (see docs/decisions/002-single-writer-per-item.md).
 */
export interface GsiDefinition {
  readonly indexName: string;
  readonly partitionKey: string;
  readonly sortKey: string;
}

export interface TableDefinition {
  /** Logical id, also the default physical name suffix (`meridian-<env>-<id>`). */
  readonly id: TableId;
  /** The environment variable through which functions receive the physical name. */
  readonly envVar: string;
  readonly partitionKey: string;
  readonly sortKey: string;
  readonly gsis: readonly GsiDefinition[];
  /** Attribute holding an epoch-seconds expiry, when items expire. */
  readonly ttlAttribute?: string;
  readonly description: string;
}

export type TableId = 'orders' | 'inventory' | 'payments' | 'shipments' | 'processed-events';

const GSI1: GsiDefinition = { indexName: 'gsi1', partitionKey: 'gsi1pk', sortKey: 'gsi1sk' };
/**
 * Orders not yet terminal, per home region, oldest update first: a sparse index (only items with gsi2pk)
 * the takeover of stranded orders reads instead of scanning the table (docs/decisions/007).
 */
const GSI2: GsiDefinition = { indexName: 'gsi2', partitionKey: 'gsi2pk', sortKey: 'gsi2sk' };

export const TABLES: Readonly<Record<TableId, TableDefinition>> = {
  orders: {
    id: 'orders',
    envVar: 'ORDERS_TABLE',
    partitionKey: 'pk',
    sortKey: 'sk',
    gsis: [GSI1, GSI2],
    ttlAttribute: 'expiresAt',
    description:
      'Orders (pk ORDER#<id>, sk ORDER; gsi1 CUSTOMER#<customerId> / <createdAt>#<id>; while not terminal, gsi2 ACTIVE#<homeRegion> / <updatedAt>#<id>), takeover markers (pk ORDER#<id>, sk TAKEOVER), takeover watches (pk TAKEOVER_WATCH#<observer>, sk REGION#<home>) and Idempotency-Key records (pk IDEMPOTENCY#<key>, sk IDEMPOTENCY).',
  },
  inventory: {
    id: 'inventory',
    envVar: 'INVENTORY_TABLE',
    partitionKey: 'pk',
    sortKey: 'sk',
    gsis: [GSI1],
    description:
      'Stock allocations per SKU and region (pk SKU#<sku>, sk ALLOCATION#<region>; gsi1 ALLOCATIONS#<region> / <sku>) with the holds applied to them, and a per-order reservation index (pk ORDER#<orderId>, sk RESERVATION#<region>) used to settle fulfilled orders.',
  },
  payments: {
    id: 'payments',
    envVar: 'PAYMENTS_TABLE',
    partitionKey: 'pk',
    sortKey: 'sk',
    gsis: [],
    description:
      'Payment records per order (pk PAYMENT#<orderId>) and the simulated provider ledger (pk CHARGE#<id>, PROVIDER_KEY#<key>).',
  },
  shipments: {
    id: 'shipments',
    envVar: 'SHIPMENTS_TABLE',
    partitionKey: 'pk',
    sortKey: 'sk',
    gsis: [GSI1],
    description:
      'Shipments (pk SHIPMENT#<orderId>), failed-order records (pk FAILED#<orderId>; gsi1 FAILED#<region> / <failedAt>#<orderId>) and per-region failure-injection config (pk CONFIG#<region>, sk FAILURE_INJECTION).',
  },
  'processed-events': {
    id: 'processed-events',
    envVar: 'PROCESSED_EVENTS_TABLE',
    partitionKey: 'pk',
    sortKey: 'sk',
    gsis: [],
    ttlAttribute: 'expiresAt',
    description: 'Consumer dedupe marks (pk <consumer>#<region>#<eventId>, sk MARK), expiring after 7 days.',
  },
};

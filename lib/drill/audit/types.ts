/** The five global tables a snapshot may hold (services/shared/tables.ts). */
export type TableId = 'orders' | 'inventory' | 'payments' | 'shipments' | 'processed-events';

/** Every table id, in a fixed order. */
export const TABLE_IDS: readonly TableId[] = [
  'orders',
  'inventory',
  'payments',
  'shipments',
  'processed-events',
];

/** One item as `@aws-sdk/lib-dynamodb` returns it: plain JS values, numbers as numbers. */
export type Item = Record<string, unknown>;

/** One region's copy of every table, scanned at one moment. */
export interface RegionSnapshot {
  readonly region: string;
  /** Epoch ms of the scan. */
  readonly takenAt: number;
  readonly tables: Readonly<Partial<Record<TableId, readonly Item[]>>>;
}

/** An order the API acknowledged (201/200 with an orderId) to the drill's client. */
export interface AcknowledgedOrder {
  readonly orderId: string;
  readonly idempotencyKey: string;
  /** The region that answered, when the client knows it. */
  readonly region?: string;
  /** Epoch ms of the acknowledgement. */
  readonly ackAt: number;
  readonly quantityBySku: Readonly<Record<string, number>>;
}

/** Everything the audit judges: the drill's own records and the tables as the healthy regions hold them. */
export interface AuditInput {
  readonly acknowledged: readonly AcknowledgedOrder[];
  /** Snapshots of the regions that are healthy at the end (the judge of "lost"). */
  readonly snapshots: readonly RegionSnapshot[];
  /** Scope: only orders of these customers / these SKUs belong to the drill (the tables may hold other data). */
  readonly customerIds: readonly string[];
  readonly skus: readonly string[];
  /** Stock the drill set before any order: sku → region → units (each region's allocation). */
  readonly initialStock: Readonly<Record<string, Readonly<Record<string, number>>>>;
  /** When the fault began (epoch ms), to express the RPO in seconds of writes. */
  readonly faultAt?: number;
}

/** One row of the stock ledger: one SKU in one region's allocation. */
export interface StockRow {
  sku: string;
  region: string;
  initial: number;
  available: number;
  /** Units in HELD holds of orders that are not FULFILLED. */
  held: number;
  /** Units in COMMITTED holds of orders that are not FULFILLED. */
  committed: number;
  /** Units of FULFILLED drill orders homed in this region. */
  consumed: number;
  oversold: number;
  unaccounted: number;
  /** False when no allocation item exists for this SKU and region in any snapshot (available is then 0). */
  allocationFound: boolean;
}

/** Money one drill order's provider charges hold, for an order judged to be charged twice. */
export interface ChargeFinding {
  readonly orderId: string;
  /** Charges authorized, or captured and not fully refunded. */
  readonly chargesHoldingMoney: number;
  /** Σ over the order's charges of captured − refunded, in minor units. */
  readonly netCapturedMinor: number;
  /** The order's total (or, when the order item is absent, its largest charge), in minor units. */
  readonly totalMinor: number;
}

/** What the audit found; every list is sorted. */
export interface AuditReport {
  readonly orders: {
    /** Distinct acknowledged order ids. */
    readonly acknowledged: number;
    /** Drill orders found in the tables (acknowledged or not, e.g. a request that timed out but was created). */
    readonly found: number;
    readonly fulfilled: number;
    readonly cancelled: number;
    readonly failed: { readonly total: number; readonly byReason: Readonly<Record<string, number>> };
    /** Every order not terminal yet, taken over or not (its saga still owes an outcome). */
    readonly inFlight: {
      readonly total: number;
      readonly byStatus: Readonly<Record<string, number>>;
      readonly orderIds: readonly string[];
    };
    /**
     * The fourth fate (docs/decisions/007): orders with a takeover marker. They are not counted in
     * fulfilled, cancelled or failed above; one still in flight is counted in `inFlight` too.
     */
    readonly takenOver: TakenOverFates;
  };
  /** Acknowledged but absent from every snapshot. rpoSeconds: (faultAt − earliest lost ackAt)/1000, 0 when none lost or no faultAt; lostWindowSeconds: span between first and last lost ack. */
  readonly lost: {
    readonly count: number;
    readonly orderIds: readonly string[];
    readonly rpoSeconds: number;
    readonly lostWindowSeconds: number;
  };
  /** More than one order item for one idempotency key (across all regions), or one key acknowledged with two different orderIds. */
  readonly duplicateOrders: {
    /** Idempotency keys with more than one order. */
    readonly count: number;
    readonly idempotencyKeys: readonly string[];
    /** Every order id seen for each duplicated key. */
    readonly byKey: Readonly<Record<string, readonly string[]>>;
  };
  /** Per drill order: more than one provider charge holding money (authorized or captured, not refunded/voided), or captured − refunded above the order total. */
  readonly duplicateCharges: {
    readonly count: number;
    readonly orderIds: readonly string[];
    readonly details: readonly ChargeFinding[];
  };
  /** Terminal FAILED/CANCELLED orders still holding money (an authorized or captured charge not voided/refunded). Reported, and an invariant. */
  readonly unrefundedCharges: { readonly count: number; readonly orderIds: readonly string[] };
  /** Stock ledger per SKU and region: initial = available + outstanding holds (orders not FULFILLED) + consumed (FULFILLED orders homed there). */
  readonly stock: {
    readonly oversoldUnits: number;
    /** Units that vanished from the ledger (available + outstanding + consumed < initial): leaked, not oversold. */
    readonly unaccountedUnits: number;
    readonly bySku: readonly StockRow[];
    /** `sku/region` rows with no allocation item in any snapshot. */
    readonly missingAllocations: readonly string[];
    /** Holds still kept for FAILED or CANCELLED drill orders (not released): counted as held, reported here. */
    readonly terminalHolds: { readonly units: number; readonly orderIds: readonly string[] };
  };
  /** Orders a surviving region took over, and whether each left money or stock held. */
  readonly takeover: TakeoverAudit;
  /**
   * Names of broken invariants: 'lost-orders', 'duplicate-orders', 'duplicate-charges', 'unrefunded-charges',
   * 'oversold', 'takeover-money-held', 'takeover-stock-held'.
   */
  readonly violations: readonly string[];
}

/** How the orders with a takeover marker ended. */
export interface TakenOverFates {
  readonly total: number;
  /** Ended FAILED: normally HomeRegionUnavailable (the home region stood down); another reason if it failed first. */
  readonly failed: { readonly total: number; readonly byReason: Readonly<Record<string, number>> };
  readonly cancelled: number;
  /** "Taken over, then fulfilled": the home region finished it before it saw the marker (a false failure). */
  readonly fulfilledAfterTakeover: number;
  /** Not terminal yet: the home region has not stood down (or not come back). */
  readonly inFlight: number;
}

/** The fate of one taken-over order, by its final status. */
export type TakeoverFate = 'failed' | 'cancelled' | 'fulfilled-after-takeover' | 'in-flight';

/** One order a surviving region took over, as its marker and its final state tell. */
export interface TakenOverOrder {
  readonly orderId: string;
  /** The order's home region (the marker's `homeRegion`). */
  readonly homeRegion: string;
  /** The surviving region that wrote the marker. */
  readonly takenOverBy: string;
  /** The marker's `takenOverAt`, epoch ms. */
  readonly takenOverAt: number;
  /** When the survivor first saw the home region unhealthy (its watch), epoch ms, when the marker says. */
  readonly homeUnhealthySince?: number;
  readonly statusAtTakeover: string;
  /** The order's status at the end (`MISSING`: no order item was found for the marker). */
  readonly finalStatus: string;
  readonly failureReason?: string;
  readonly fate: TakeoverFate;
  /** Charges still holding money although the order did not end FULFILLED (authorized, or captured and not refunded). */
  readonly chargesHoldingMoney: readonly string[];
  /** Units still held for the order that should not be: any hold once FAILED/CANCELLED; a hold outside its home region once FULFILLED. */
  readonly unitsHeld: number;
}

/** A survivor's watch on an unhealthy home region (pk TAKEOVER_WATCH#<observer>, sk REGION#<home>). */
export interface TakeoverWatch {
  readonly observer: string;
  readonly homeRegion: string;
  /** Epoch ms, when the item says. */
  readonly unhealthySince?: number;
}

/** What the audit found about takeovers (docs/decisions/007); every list sorted by order id. */
export interface TakeoverAudit {
  readonly orders: readonly TakenOverOrder[];
  /** Taken over, then fulfilled: reported, not a violation (ADR 007 consequences). */
  readonly falseFailures: readonly string[];
  /** Settled taken-over orders (not FULFILLED) with a charge still holding money: a violation. */
  readonly moneyHeld: { readonly count: number; readonly orderIds: readonly string[] };
  /** Settled taken-over orders with stock still held for them: a violation. */
  readonly stockHeld: {
    readonly count: number;
    readonly units: number;
    readonly orderIds: readonly string[];
  };
  /** Watches still in the tables (a survivor still sees a region unhealthy); normally none after a recovery. */
  readonly watches: readonly TakeoverWatch[];
}

/** How the tables of several regions differ, item for item. */
export interface ReplicaDiff {
  readonly identical: boolean;
  /** Items that are not the same in every snapshot (missing somewhere, or different): counted once per (table, key). */
  readonly differences: number;
  readonly byTable: Readonly<
    Record<
      string,
      {
        /** Distinct keys in the table across all snapshots. */
        readonly items: number;
        readonly differing: number;
        /** Region → keys absent from that region's copy (every compared region listed). */
        readonly missingIn: Readonly<Record<string, number>>;
      }
    >
  >;
  /** Up to 10 example keys `table pk/sk` that differ. */
  readonly samples: readonly string[];
  /** Every differing key, `table pk/sk`, sorted (to follow a backlog until it converges). */
  readonly differingKeys: readonly string[];
}

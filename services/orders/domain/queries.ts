import { OrderNotFoundError } from './errors';
import { isTerminal, type Order, type Takeover } from './order';
import type { OrderRepository, TakeoverStore } from './ports';

/** An order as read, with its takeover marker when a surviving region took it over. */
export interface OrderRead {
  readonly order: Order;
  readonly takeover?: Takeover;
}

/** Reads one order (and its takeover marker, in the same read). */
export class GetOrder {
  constructor(private readonly orders: OrderRepository) {}

  async execute(orderId: string): Promise<OrderRead> {
    const { order, takeover } = await this.orders.getWithTakeover(orderId);
    if (!order) throw new OrderNotFoundError(orderId);
    return takeover ? { order, takeover } : { order };
  }
}

/** Lists a customer's orders, newest first, a page at a time, each with its takeover marker if any. */
export class ListOrders {
  constructor(
    private readonly orders: OrderRepository,
    private readonly takeovers: TakeoverStore,
  ) {}

  async execute(query: {
    customerId: string;
    limit: number;
    cursor?: string;
  }): Promise<{ items: OrderRead[]; nextCursor?: string }> {
    const page = await this.orders.listByCustomer(query.customerId, query.limit, query.cursor);
    // Only an order that is not terminal can read differently because of a marker (toOrderView).
    const items = await Promise.all(
      page.items.map(async (order): Promise<OrderRead> => {
        if (isTerminal(order.status)) return { order };
        const takeover = await this.takeovers.get(order.orderId);
        return takeover ? { order, takeover } : { order };
      }),
    );
    return page.nextCursor !== undefined ? { items, nextCursor: page.nextCursor } : { items };
  }
}

import { OrderNotFoundError } from './errors';
import type { Order } from './order';
import type { OrderPage, OrderRepository } from './ports';

/** Reads one order. */
export class GetOrder {
  constructor(private readonly orders: OrderRepository) {}

  async execute(orderId: string): Promise<Order> {
    const order = await this.orders.get(orderId);
    if (!order) throw new OrderNotFoundError(orderId);
    return order;
  }
}

/** Lists a customer's orders, newest first, a page at a time. */
export class ListOrders {
  constructor(private readonly orders: OrderRepository) {}

  execute(query: { customerId: string; limit: number; cursor?: string }): Promise<OrderPage> {
    return this.orders.listByCustomer(query.customerId, query.limit, query.cursor);
  }
}

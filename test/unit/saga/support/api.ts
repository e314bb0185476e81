import type { APIGatewayProxyResult } from 'aws-lambda';
import { lambdaContext } from '../../../../services/shared/lambda';
import type { OrderView } from '../../../../services/orders/domain/order';
import type { SkuView } from '../../../../services/inventory/domain/model';
import { bodyOf, restEvent } from './aws-events';
import type { Platform } from './platform';

/** A response with its parsed JSON body. */
export interface ApiReply<T> {
  readonly status: number;
  readonly headers: Readonly<Record<string, string | number | boolean>>;
  readonly body: T;
}

function reply<T>(res: APIGatewayProxyResult): ApiReply<T> {
  return { status: res.statusCode, headers: res.headers ?? {}, body: bodyOf<T>(res) };
}

/** A client's calls to the region's REST APIs (orders and inventory admin), as API Gateway hands them on. */
export class ApiClient {
  constructor(
    private readonly platform: Platform,
    private readonly correlationId: string,
  ) {}

  private get headers(): Record<string, string> {
    return { 'x-correlation-id': this.correlationId };
  }

  /** PUT /inventory/{sku}. */
  async putStock(sku: string, available: number): Promise<ApiReply<SkuView>> {
    const event = restEvent({
      method: 'PUT',
      resource: '/inventory/{sku}',
      path: `/inventory/${sku}`,
      pathParameters: { sku },
      headers: this.headers,
      body: { available },
    });
    return reply(await this.platform.inventory.api(event, lambdaContext('inventory-api')));
  }

  /** GET /inventory/{sku}. */
  async getStock(sku: string): Promise<ApiReply<SkuView>> {
    const event = restEvent({
      method: 'GET',
      resource: '/inventory/{sku}',
      path: `/inventory/${sku}`,
      pathParameters: { sku },
      headers: this.headers,
    });
    return reply(await this.platform.inventory.api(event, lambdaContext('inventory-api')));
  }

  /** POST /orders with an Idempotency-Key. */
  async placeOrder(idempotencyKey: string, body: unknown): Promise<ApiReply<OrderView>> {
    const event = restEvent({
      method: 'POST',
      resource: '/orders',
      path: '/orders',
      headers: { ...this.headers, 'Idempotency-Key': idempotencyKey },
      body,
    });
    return reply(await this.platform.orders.api(event));
  }

  /** GET /orders/{id}. */
  async getOrder(orderId: string): Promise<ApiReply<OrderView>> {
    const event = restEvent({
      method: 'GET',
      resource: '/orders/{id}',
      path: `/orders/${orderId}`,
      pathParameters: { id: orderId },
      headers: this.headers,
    });
    return reply(await this.platform.orders.api(event));
  }

  /** GET /orders?customerId=. */
  async listOrders(customerId: string): Promise<ApiReply<{ items: OrderView[]; nextCursor?: string }>> {
    const event = restEvent({
      method: 'GET',
      resource: '/orders',
      path: '/orders',
      query: { customerId },
      headers: this.headers,
    });
    return reply(await this.platform.orders.api(event));
  }

  /** POST /orders/{id}/cancel. */
  async cancelOrder(orderId: string, reason: string): Promise<ApiReply<OrderView>> {
    const event = restEvent({
      method: 'POST',
      resource: '/orders/{id}/cancel',
      path: `/orders/${orderId}/cancel`,
      pathParameters: { id: orderId },
      headers: this.headers,
      body: { reason },
    });
    return reply(await this.platform.orders.api(event));
  }
}

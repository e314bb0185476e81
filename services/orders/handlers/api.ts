import type { Logger } from '@aws-lambda-powertools/logger';
import { MetricUnit, type Metrics } from '@aws-lambda-powertools/metrics';
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import {
  MeridianError,
  MethodNotAllowedError,
  MissingHeaderError,
  RouteNotFoundError,
  ValidationError,
} from '../../shared/errors';
import {
  MAX_BODY_BYTES,
  errorResponse,
  header,
  json,
  parseJsonBody,
  rawBody,
  requestCorrelationId,
} from '../../shared/http';
import { CORRELATION_HEADER } from '../../shared/observability';
import { DEFAULT_CANCEL_REASON, type CancelOrder } from '../domain/cancel-order';
import type { CheckHealth } from '../domain/check-health';
import { toOrderView } from '../domain/order';
import type { PlaceOrder } from '../domain/place-order';
import type { GetOrder, ListOrders } from '../domain/queries';
import {
  IDEMPOTENCY_KEY_PATTERN,
  cancelOrderSchema,
  check,
  createOrderSchema,
  listOrdersQuerySchema,
  orderIdParamsSchema,
} from './schemas';

/** What the API handler needs: one use case per route, plus logging and metrics. */
export interface ApiDeps {
  readonly placeOrder: PlaceOrder;
  readonly getOrder: GetOrder;
  readonly listOrders: ListOrders;
  readonly cancelOrder: CancelOrder;
  readonly checkHealth: CheckHealth;
  readonly logger: Logger;
  readonly metrics: Metrics;
}

type ApiHandler = (event: APIGatewayProxyEvent) => Promise<APIGatewayProxyResult>;

interface Request {
  readonly event: APIGatewayProxyEvent;
  readonly correlationId: string;
  readonly params: Readonly<Record<string, string | undefined>>;
}

interface Reply {
  readonly status: number;
  readonly body: unknown;
  readonly headers?: Record<string, string>;
}

type Method = 'GET' | 'POST';

interface Route {
  /** The API Gateway resource template. */
  readonly resource: string;
  /** The same route as a path pattern, for proxy integrations; capture 1 is {id}. */
  readonly pattern: RegExp;
  readonly methods: Partial<Record<Method, (req: Request) => Promise<Reply>>>;
}

const IDEMPOTENCY_HEADER = 'Idempotency-Key';

export { requestCorrelationId } from '../../shared/http';

/** Builds the orders API Lambda: routes, validates, calls one use case, maps typed errors. Never throws. */
export function buildApiHandler(deps: ApiDeps): ApiHandler {
  const { logger, metrics } = deps;

  const createOrder = async ({ event, correlationId }: Request): Promise<Reply> => {
    const key = header(event, IDEMPOTENCY_HEADER);
    if (key === undefined || key === '') throw new MissingHeaderError(IDEMPOTENCY_HEADER);
    if (!IDEMPOTENCY_KEY_PATTERN.test(key)) {
      const message = 'must be 1 to 255 characters of A-Z a-z 0-9 _ . : -';
      throw new ValidationError(`header ${IDEMPOTENCY_HEADER} is invalid`, [
        { path: `headers.${IDEMPOTENCY_HEADER}`, message },
      ]);
    }
    const request = check(createOrderSchema, parseJsonBody(event));
    const { order, created } = await deps.placeOrder.execute({ idempotencyKey: key, request, correlationId });
    metrics.addMetric(created ? 'OrdersPlaced' : 'OrderRequestsReplayed', MetricUnit.Count, 1);
    logger.info(created ? 'order placed' : 'order request replayed', { orderId: order.orderId });
    return created
      ? { status: 201, body: toOrderView(order), headers: { Location: `/orders/${order.orderId}` } }
      : {
          status: 200,
          body: toOrderView(order),
          headers: { Location: `/orders/${order.orderId}`, 'Idempotent-Replayed': 'true' },
        };
  };

  const getOrder = async ({ params }: Request): Promise<Reply> => {
    const { id } = check(orderIdParamsSchema, params, 'pathParameters');
    const { order, takeover } = await deps.getOrder.execute(id);
    return { status: 200, body: toOrderView(order, takeover) };
  };

  const listOrders = async ({ event }: Request): Promise<Reply> => {
    const query = check(listOrdersQuerySchema, event.queryStringParameters ?? {}, 'queryStringParameters');
    const page = await deps.listOrders.execute({
      customerId: query.customerId,
      limit: query.limit ?? 20,
      ...(query.cursor !== undefined ? { cursor: query.cursor } : {}),
    });
    return {
      status: 200,
      body: {
        items: page.items.map(({ order, takeover }) => toOrderView(order, takeover)),
        ...(page.nextCursor !== undefined ? { nextCursor: page.nextCursor } : {}),
      },
    };
  };

  const cancelOrder = async ({ event, params, correlationId }: Request): Promise<Reply> => {
    const { id } = check(orderIdParamsSchema, params, 'pathParameters');
    const body = check(cancelOrderSchema, hasBody(event) ? parseJsonBody(event) : {});
    const outcome = await deps.cancelOrder.execute({
      orderId: id,
      reason: body.reason ?? DEFAULT_CANCEL_REASON,
      correlationId,
      via: 'api',
    });
    logger.info('order cancellation', { orderId: id, outcome: outcome.kind });
    switch (outcome.kind) {
      case 'requested':
        metrics.addMetric('OrderCancellationsRequested', MetricUnit.Count, 1);
        return { status: 202, body: toOrderView(outcome.order) };
      case 'forwarded':
        metrics.addMetric('OrderCancellationsForwarded', MetricUnit.Count, 1);
        return {
          status: 202,
          body: {
            orderId: outcome.order.orderId,
            status: outcome.order.status,
            cancellation: 'forwarded',
            homeRegion: outcome.order.ownerRegion,
          },
        };
      case 'already':
      case 'not-owner':
        return { status: 200, body: toOrderView(outcome.order) };
    }
  };

  const health = async (): Promise<Reply> => {
    const report = await deps.checkHealth.execute();
    const checks: Record<string, { ok: boolean; latencyMs: number; error?: string }> = {};
    for (const [name, { detail, ...shown }] of Object.entries(report.checks)) {
      checks[name] = shown;
      if (!shown.ok) logger.error('health check failed', { check: name, error: shown.error, detail });
    }
    if (report.status !== 'ok') metrics.addMetric('HealthCheckFailed', MetricUnit.Count, 1);
    return { status: report.status === 'ok' ? 200 : 503, body: { ...report, checks } };
  };

  const routes: readonly Route[] = [
    { resource: '/orders', pattern: /^\/orders$/, methods: { POST: createOrder, GET: listOrders } },
    { resource: '/orders/{id}', pattern: /^\/orders\/([^/]+)$/, methods: { GET: getOrder } },
    {
      resource: '/orders/{id}/cancel',
      pattern: /^\/orders\/([^/]+)\/cancel$/,
      methods: { POST: cancelOrder },
    },
    { resource: '/health', pattern: /^\/health$/, methods: { GET: health } },
  ];

  return async (event) => {
    const correlationId = requestCorrelationId(event);
    const headers = { [CORRELATION_HEADER]: correlationId };
    try {
      const { route, params } = match(routes, event);
      const method = String(event.httpMethod ?? '').toUpperCase() as Method;
      const handle = route.methods[method];
      if (!handle) {
        const allowed = Object.keys(route.methods).join(', ');
        const error = new MethodNotAllowedError(
          `${method || 'this method'} is not allowed here; use ${allowed}`,
        );
        return errorResponse(error, { ...headers, Allow: allowed });
      }
      const reply = await handle({ event, correlationId, params });
      return json(reply.status, reply.body, { ...headers, ...reply.headers });
    } catch (err) {
      if (err instanceof MeridianError) {
        logger.info('request rejected', { code: err.code, kind: err.kind });
      } else {
        logger.error('request failed', err as Error);
        metrics.addMetric('ApiInternalErrors', MetricUnit.Count, 1);
      }
      return errorResponse(err, headers);
    }
  };
}

/** Routes on the resource template, or on the path when the integration is a greedy proxy. */
function match(
  routes: readonly Route[],
  event: APIGatewayProxyEvent,
): { route: Route; params: Request['params'] } {
  const resource = event.resource;
  if (resource && resource !== '/{proxy+}') {
    const route = routes.find((r) => r.resource === resource);
    if (route) return { route, params: event.pathParameters ?? {} };
  } else {
    const path = normalizePath(event.path);
    for (const route of routes) {
      const m = route.pattern.exec(path);
      if (m) return { route, params: m[1] !== undefined ? { id: decodeSegment(m[1]) } : {} };
    }
  }
  throw new RouteNotFoundError(
    `no route for ${String(event.httpMethod)} ${String(event.path).slice(0, 200)}`,
  );
}

function normalizePath(path: string | undefined): string {
  const p = typeof path === 'string' ? path : '';
  return p.length > 1 && p.endsWith('/') ? p.slice(0, -1) : p;
}

function decodeSegment(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment; // Malformed escapes stay as sent and fail id validation.
  }
}

/** Longest base64 text that can decode to at most MAX_BODY_BYTES. */
const MAX_BASE64_CHARS = Math.ceil(MAX_BODY_BYTES / 3) * 4;

/**
 * An absent or blank body means "no options" on routes whose body is optional, whether it arrives as
 * text or base64-encoded (API Gateway encodes bodies of binary media types). An oversized body counts
 * as present, blank or not, so `parseJsonBody` refuses it with 413 before anything decodes it.
 */
function hasBody(event: APIGatewayProxyEvent): boolean {
  if (event.body == null || event.body === '') return false;
  const oversized = event.isBase64Encoded
    ? event.body.length > MAX_BASE64_CHARS
    : Buffer.byteLength(event.body, 'utf8') > MAX_BODY_BYTES;
  if (oversized) return true;
  return rawBody(event).trim() !== '';
}

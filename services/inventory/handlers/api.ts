import type { Logger } from '@aws-lambda-powertools/logger';
import { MetricUnit, type Metrics } from '@aws-lambda-powertools/metrics';
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import { z } from 'zod';
import {
  MeridianError,
  MethodNotAllowedError,
  RouteNotFoundError,
  ValidationError,
  type FieldError,
} from '../../shared/errors';
import { errorResponse, json, parseJsonBody, requestCorrelationId, toFieldErrors } from '../../shared/http';
import { CORRELATION_HEADER } from '../../shared/observability';
import type { GetStock, SetStockLevel } from '../domain/stock-levels';

/** The one resource this API serves. */
export const SKU_RESOURCE = '/inventory/{sku}';
const ALLOWED_METHODS = ['GET', 'PUT'] as const;

/** SKU in the path: `PROD-` and 1 to 20 digits. */
export const skuSchema = z.string().regex(/^PROD-\d{1,20}$/, 'must be PROD- followed by 1 to 20 digits');

/** Largest number of free units one allocation may be set to. */
export const MAX_AVAILABLE = 1_000_000_000;

const putBodySchema = z.strictObject(
  {
    available: z.number().int().min(0).max(MAX_AVAILABLE),
    expectedVersion: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER).optional(),
  },
  {
    // Unknown keys are named, but cut short: the body may be 64 KiB of one long key.
    error: (issue) =>
      issue.code === 'unrecognized_keys'
        ? `unknown field(s): ${issue.keys
            .slice(0, 5)
            .map((k) => JSON.stringify(k.slice(0, 40)))
            .join(', ')}${issue.keys.length > 5 ? ', …' : ''}`
        : undefined,
  },
);

/** Finds the SKU of a request: from the matched API Gateway resource, else from the raw path. */
function routeSku(event: APIGatewayProxyEvent): string | undefined {
  if (event.resource === SKU_RESOURCE) return event.pathParameters?.sku ?? '';
  if (event.resource && event.resource !== '/{proxy+}') return undefined;
  const match = /^\/inventory\/([^/]+)\/?$/.exec(event.path ?? '');
  if (!match?.[1]) return undefined;
  try {
    return decodeURIComponent(match[1]);
  } catch {
    return match[1];
  }
}

export { requestCorrelationId } from '../../shared/http';

function fieldErrorsOf(schema: z.ZodType, input: unknown, prefix?: string): FieldError[] {
  const result = schema.safeParse(input);
  if (result.success) return [];
  return toFieldErrors(result.error, prefix);
}

/**
 * The inventory admin API (API Gateway REST proxy): `PUT /inventory/{sku}` sets this region's free
 * units, `GET /inventory/{sku}` shows every region's allocation. Never throws: errors become the
 * shared error body, and bad input is always a 4xx.
 */
export function buildApiHandler(deps: {
  readonly setStockLevel: SetStockLevel;
  readonly getStock: GetStock;
  readonly logger: Logger;
  readonly metrics: Metrics;
}) {
  return async (event: APIGatewayProxyEvent, _context?: Context): Promise<APIGatewayProxyResult> => {
    const correlationId = requestCorrelationId(event);
    const headers: Record<string, string> = { [CORRELATION_HEADER]: correlationId };
    try {
      const sku = routeSku(event);
      if (sku === undefined) throw new RouteNotFoundError(`no route for ${event.httpMethod} ${event.path}`);
      const method = (event.httpMethod ?? '').toUpperCase();
      if (!(ALLOWED_METHODS as readonly string[]).includes(method)) {
        headers.allow = ALLOWED_METHODS.join(', ');
        throw new MethodNotAllowedError(`${method || 'this method'} is not allowed on ${SKU_RESOURCE}`);
      }

      if (method === 'GET') {
        const skuErrors = fieldErrorsOf(skuSchema, sku, 'pathParameters.sku');
        if (skuErrors.length) throw new ValidationError('request is invalid', skuErrors);
        return json(200, await deps.getStock.execute(sku), headers);
      }

      // PUT: size, media type and JSON syntax first (413/415/400), then every field at once.
      const body = parseJsonBody(event);
      const fields = [
        ...fieldErrorsOf(skuSchema, sku, 'pathParameters.sku'),
        ...fieldErrorsOf(putBodySchema, body),
      ];
      if (fields.length) throw new ValidationError('request is invalid', fields.slice(0, 50));
      const { available, expectedVersion } = putBodySchema.parse(body);
      const view = await deps.setStockLevel.execute({ sku, available, expectedVersion, correlationId });
      deps.metrics.addMetric('StockLevelSet', MetricUnit.Count, 1);
      deps.logger.info('stock level set', { sku, available, expectedVersion });
      return json(200, view, headers);
    } catch (err) {
      if (err instanceof MeridianError) {
        deps.logger.info('request rejected', { code: err.code, message: err.message });
      } else {
        deps.logger.error('request failed', { error: err as Error });
      }
      return errorResponse(err, headers);
    }
  };
}

/** The environment a region gives its handler bundles: endpoint overrides and localized template values. */
import type { FunctionModel } from '../assembly';
import { loopback, type RegionConfig } from './config';

/** The template variable with the takeover grace period of stranded orders, in seconds. */
export const TAKEOVER_GRACE_VARIABLE = 'TAKEOVER_GRACE_SECONDS';

/**
 * A takeover grace period in AWS seconds as the local runtime runs it: divided by the time scale like
 * the other background durations, rounded up, never below 1 second.
 */
export function scaledTakeoverGraceSeconds(seconds: number, timeScale: number): number {
  if (!Number.isFinite(seconds) || seconds <= 0) {
    throw new Error(`the takeover grace period must be a positive number of seconds (got ${seconds})`);
  }
  if (!Number.isFinite(timeScale) || timeScale <= 0) {
    throw new Error(`the time scale must be a positive number (got ${timeScale})`);
  }
  const quotient = seconds / timeScale;
  // A quotient that is whole but for floating-point noise (21 / 0.7 = 30.000000000000004) stays whole.
  const nearest = Math.round(quotient);
  const whole = Math.abs(quotient - nearest) <= 1e-9 * Math.max(1, quotient);
  return Math.max(1, whole ? nearest : Math.ceil(quotient));
}

/** What a handler bundle needs on top of its template environment to find this region's endpoints. */
export function endpointEnvironment(config: Pick<RegionConfig, 'ports' | 'edgeUrl'>): Record<string, string> {
  const { ports } = config;
  return {
    AWS_ENDPOINT_URL_DYNAMODB: loopback(ports.dynamodb),
    AWS_ENDPOINT_URL_SQS: loopback(ports.sqs),
    AWS_ENDPOINT_URL_SFN: loopback(ports.sfn),
    AWS_ENDPOINT_URL_EVENTBRIDGE: loopback(ports.events),
    AWS_ENDPOINT_URL_LAMBDA: loopback(ports.lambda),
    AWS_ENDPOINT_URL_SNS: loopback(ports.sns),
    AWS_ENDPOINT_URL_SESV2: loopback(ports.ses),
    AWS_ENDPOINT_URL_SECRETS_MANAGER: loopback(ports.secrets),
    // Route 53 is global: every region's handlers reach the one edge, which serves its health-check API.
    AWS_ENDPOINT_URL_ROUTE_53: config.edgeUrl,
    // There is no X-Ray daemon locally: the tracer would only log missing-segment errors.
    POWERTOOLS_TRACE_ENABLED: 'false',
    AWS_XRAY_CONTEXT_MISSING: 'IGNORE_ERROR',
    // The bundles run on the host's Node (20 here), not Lambda's nodejs22.x: the SDK's notice is noise.
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
  };
}

/** A template's TAKEOVER_GRACE_SECONDS, which lib/config makes a whole number of seconds. */
function templateGraceSeconds(fn: FunctionModel, raw: string): number {
  const seconds = /^\d{1,9}$/.test(raw.trim()) ? Number(raw.trim()) : NaN;
  if (!Number.isSafeInteger(seconds) || seconds < 1) {
    throw new Error(
      `function ${fn.logicalId}: ${TAKEOVER_GRACE_VARIABLE} must be a positive whole number of seconds (got '${raw}')`,
    );
  }
  return seconds;
}

/**
 * A function as this region runs it: its execute-api URLs (`https://<api>.execute-api.<region>.amazonaws.com/`)
 * point at the region's local API, and its TAKEOVER_GRACE_SECONDS (or the runtime's override of it) is
 * divided by the time scale.
 */
export function localizeFunction(
  fn: FunctionModel,
  config: Pick<RegionConfig, 'region' | 'ports' | 'timeScale' | 'takeoverGraceSeconds'>,
): FunctionModel {
  const executeApi = new RegExp(
    `^https://[^/]+\\.execute-api\\.${config.region.replace(/-/g, '\\-')}\\.amazonaws\\.com/`,
  );
  const environment = Object.fromEntries(
    Object.entries(fn.environment).map(([k, v]) => [
      k,
      v.replace(executeApi, `${loopback(config.ports.api)}/`),
    ]),
  );
  const grace = environment[TAKEOVER_GRACE_VARIABLE];
  if (grace !== undefined) {
    const seconds = config.takeoverGraceSeconds ?? templateGraceSeconds(fn, grace);
    environment[TAKEOVER_GRACE_VARIABLE] = String(scaledTakeoverGraceSeconds(seconds, config.timeScale));
  }
  return { ...fn, environment };
}

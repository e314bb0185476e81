/**
 * The AWS list prices `meridian bench` turns per-order counts into a cost per million orders with: US East
 * (N. Virginia), on-demand, no free tier, first volume tier. Update `asOf` with the figures.
 */

/** One price, with the page it comes from. */
export interface Price {
  /** US dollars per `per` units. */
  readonly usd: number;
  /** How many units `usd` buys (1 for per-unit prices, 1,000,000 for "per million"). */
  readonly per: number;
  readonly unit: string;
  readonly source: string;
}

/** The price table: each service's billed units (us-east-1 list prices). */
export interface PriceTable {
  readonly region: 'us-east-1';
  readonly currency: 'USD';
  /** When these prices were read off the sources. */
  readonly asOf: string;
  readonly lambdaRequests: Price;
  /** Arm64 (Graviton): the platform's functions are ARM_64 (lib/constructs/meridian-function.ts). */
  readonly lambdaGbSecondsArm64: Price;
  readonly stepFunctionsStandardTransitions: Price;
  readonly dynamodbWriteRequestUnits: Price;
  /** Global Tables' replicated write request units (rWRU), on-demand. */
  readonly dynamodbReplicatedWriteRequestUnits: Price;
  readonly dynamodbReadRequestUnits: Price;
  readonly eventBridgeCustomEvents: Price;
  /** Events a rule sends to an event bus in another region (billed as custom events). */
  readonly eventBridgeCrossRegionEvents: Price;
  readonly apiGatewayRestRequests: Price;
  readonly sqsStandardRequests: Price;
}

const MILLION = 1_000_000;

/** US East (N. Virginia) list prices, first tier, no free tier. */
export const PRICES: PriceTable = {
  region: 'us-east-1',
  currency: 'USD',
  asOf: '2025-06-01',
  lambdaRequests: {
    usd: 0.2,
    per: MILLION,
    unit: 'requests',
    source: 'https://aws.amazon.com/lambda/pricing/',
  },
  lambdaGbSecondsArm64: {
    usd: 0.0000133334,
    per: 1,
    unit: 'GB-seconds (Arm, first 7.5 billion per month)',
    source: 'https://aws.amazon.com/lambda/pricing/',
  },
  stepFunctionsStandardTransitions: {
    usd: 0.025,
    per: 1000,
    unit: 'state transitions (Standard workflows)',
    source: 'https://aws.amazon.com/step-functions/pricing/',
  },
  dynamodbWriteRequestUnits: {
    usd: 0.625,
    per: MILLION,
    unit: 'write request units (on-demand, Standard table class)',
    source: 'https://aws.amazon.com/dynamodb/pricing/on-demand/',
  },
  dynamodbReplicatedWriteRequestUnits: {
    usd: 0.625,
    per: MILLION,
    unit: 'replicated write request units (Global Tables, on-demand)',
    source: 'https://aws.amazon.com/dynamodb/pricing/on-demand/',
  },
  dynamodbReadRequestUnits: {
    usd: 0.125,
    per: MILLION,
    unit: 'read request units (on-demand)',
    source: 'https://aws.amazon.com/dynamodb/pricing/on-demand/',
  },
  eventBridgeCustomEvents: {
    usd: 1.0,
    per: MILLION,
    unit: 'custom events published (64 KB chunks)',
    source: 'https://aws.amazon.com/eventbridge/pricing/',
  },
  eventBridgeCrossRegionEvents: {
    usd: 1.0,
    per: MILLION,
    unit: 'events sent to an event bus in another region',
    source: 'https://aws.amazon.com/eventbridge/pricing/',
  },
  apiGatewayRestRequests: {
    usd: 3.5,
    per: MILLION,
    unit: 'REST API requests (first 333 million per month)',
    source: 'https://aws.amazon.com/api-gateway/pricing/',
  },
  sqsStandardRequests: {
    usd: 0.4,
    per: MILLION,
    unit: 'standard queue requests (64 KB chunks, after the first million per month)',
    source: 'https://aws.amazon.com/sqs/pricing/',
  },
};

/** The cost of `units` at `price`, in US dollars. */
export function costOf(units: number, price: Price): number {
  return (units * price.usd) / price.per;
}

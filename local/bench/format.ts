/** The human-readable form of a BenchReport: aligned tables, the same figures as the JSON. */
import type { LatencySummary } from './metrics';
import type { BenchReport } from './run';

function table(title: string, rows: readonly (readonly [string, string])[]): string {
  const width = Math.max(...rows.map(([k]) => k.length));
  return [title, ...rows.map(([k, v]) => `  ${k.padEnd(width)}  ${v}`)].join('\n');
}

const n = (x: number, digits = 2) =>
  x.toLocaleString('en-US', { minimumFractionDigits: 0, maximumFractionDigits: digits });
const usd = (x: number) =>
  `$${x.toLocaleString('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 })}`;

function latencyRow(name: string, l: LatencySummary): readonly [string, string] {
  return [
    name,
    `p50 ${n(l.p50Ms, 1)}  p95 ${n(l.p95Ms, 1)}  p99 ${n(l.p99Ms, 1)}  max ${n(l.maxMs, 1)}  mean ${n(l.meanMs, 1)}  (n=${l.count})`,
  ];
}

/** Renders a bench report as readable tables. */
export function formatBenchReport(report: BenchReport): string {
  const o = report.orders;
  const p = report.perOrder;
  const c = report.cost.perMillionOrders;
  const ceil = report.dynaliteCeiling;
  const sections = [
    table(
      `Meridian bench — ${report.startedAt}, regions ${report.regions.join(', ')}, time scale ${report.timeScale}`,
      [
        ['concurrency', `${report.concurrency} orders in flight end to end`],
        [
          'orders',
          `${o.requested} sent, ${o.acknowledged} acknowledged, ${o.fulfilled} fulfilled, ${o.failed} failed, ${o.unfinished} unfinished`,
        ],
        [
          'errors',
          `${o.errors} (${n(o.errorRate * 100)}%)${Object.keys(o.errorsByKind).length ? ` ${JSON.stringify(o.errorsByKind)}` : ''}`,
        ],
        [
          'accepted by region',
          Object.entries(o.byRegion)
            .map(([r, k]) => `${r} ${k}`)
            .join(', '),
        ],
        ...(Object.keys(o.failureReasons).length
          ? [['failure reasons', JSON.stringify(o.failureReasons)] as const]
          : []),
      ],
    ),
    table('Throughput', [
      [
        'acknowledged',
        `${n(report.throughput.acknowledgedPerSecond)} orders/s over ${n(report.throughput.submissionWindowMs / 1000)} s`,
      ],
      [
        'fulfilled',
        `${n(report.throughput.fulfilledPerSecond)} orders/s over ${n(report.throughput.fulfilmentWindowMs / 1000)} s`,
      ],
    ]),
    table('Latency (ms)', [
      latencyRow('acknowledgement', report.latency.acknowledgementMs),
      latencyRow('fulfilment (end to end)', report.latency.fulfilmentMs),
    ]),
    table(`Cross-region visibility (ms; link lag ${n(report.visibility.linkLagMs)} ms)`, [
      latencyRow('write → readable in a peer', report.visibility.writeToVisibleMs),
      latencyRow('  of which our own', report.visibility.ownMs),
      latencyRow('201 → readable in a peer', report.visibility.acknowledgementToVisibleMs),
      [
        'readings',
        `${report.visibility.readings} (${report.visibility.orders} orders × peers, one order at a time, GetItem every ${report.visibility.pollMs} ms); ${report.visibility.timedOut} timed out`,
      ],
    ]),
    table('Per fulfilled order (idle background subtracted)', [
      ['Lambda invocations', `${n(p.lambdaInvocations)}  (${n(p.lambdaGbSeconds, 4)} GB-s)`],
      ...Object.entries(p.lambdaInvocationsByFunction).map(([fn, k]) => [`  ${fn}`, n(k)] as const),
      ['Step Functions transitions', n(p.stateTransitions)],
      ['API Gateway requests', n(p.apiRequests)],
      [
        'DynamoDB writes',
        `${n(p.dynamodb.localWrites)} local + ${n(p.dynamodb.replicatedWrites)} replicated = ${n(p.dynamodb.totalWrites)}  (${n(p.dynamodb.writeUnits)} WRU + ${n(p.dynamodb.replicatedWriteUnits)} rWRU)`,
      ],
      ['DynamoDB reads', `${n(p.dynamodb.reads)}  (${n(p.dynamodb.readUnits)} RRU)`],
      [
        'EventBridge events',
        `${n(p.events.put)} put + ${n(p.events.forwardedCrossRegion)} cross-region = ${n(p.events.total)}`,
      ],
      [
        'SQS messages',
        `${n(p.sqs.sent)} sent, ${n(p.sqs.received)} received, ${n(p.sqs.deleted)} deleted; ${n(p.sqs.requests)} requests`,
      ],
    ]),
    table('dynalite write ceiling', [
      [
        'raw PutItem',
        `${n(ceil.writesPerSecond, 1)} writes/s (concurrency ${ceil.concurrency}, ${n(ceil.durationMs / 1000)} s, ${ceil.errors} errors)`,
      ],
      [
        'achieved',
        `${n(ceil.achievedWritesPerSecond, 1)} writes/s = ${n(ceil.ratioToCeiling * 100, 1)}% of the ceiling (${n(ceil.writesPerOrderUsed)} writes/order)`,
      ],
      ['orders/s ceiling', n(ceil.ordersPerSecondCeiling)],
    ]),
    table(
      `Cost per million orders (${report.cost.prices.region} list prices as of ${report.cost.prices.asOf}, USD)`,
      [
        ['Lambda requests', usd(c.lambdaRequests)],
        ['Lambda compute', usd(c.lambdaCompute)],
        ['Step Functions Standard', usd(c.stepFunctions)],
        ['DynamoDB writes (WRU)', usd(c.dynamodbWrites)],
        ['DynamoDB replicated (rWRU)', usd(c.dynamodbReplicatedWrites)],
        ['DynamoDB reads (RRU)', usd(c.dynamodbReads)],
        ['EventBridge', usd(c.eventBridge)],
        ['API Gateway REST', usd(c.apiGateway)],
        ['SQS', usd(c.sqs)],
        ['total', usd(c.total)],
      ],
    ),
  ];
  if (report.notes.length > 0) sections.push(['Notes', ...report.notes.map((x) => `  - ${x}`)].join('\n'));
  return `${sections.join('\n\n')}\n`;
}

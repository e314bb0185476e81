export { measureDynaliteCeiling, type CeilingOptions, type CeilingResult } from './ceiling';
export { formatBenchReport } from './format';
export {
  COUNTER_NAMES,
  STATE_TRANSITION_RULE,
  compareWithCeiling,
  costPerMillionOrders,
  countStateTransitions,
  countersFromStatus,
  parseLambdaReports,
  perOrderCounts,
  percentile,
  subtractBackground,
  subtractBackgroundMap,
  summarizeLatencies,
  type CeilingComparison,
  type CostPerMillionOrders,
  type CounterName,
  type Counters,
  type LambdaReportTotals,
  type LatencySummary,
  type PerOrderCounts,
} from './metrics';
export { PRICES, costOf, type Price, type PriceTable } from './prices';
export { BenchError, benchSettings, isQuiet, runBench, type BenchOptions, type BenchReport } from './run';
export { measureVisibility, type VisibilityOptions, type VisibilityResult } from './visibility';

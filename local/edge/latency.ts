/** Client location → region → latency in milliseconds, as Route 53's latency database would rank them. */
export type LatencyMatrix = Record<string, Record<string, number>>;

/** The latency assumed for a pair of locations the built-in table does not know. */
export const UNKNOWN_PAIR_MS = 100;

/**
 * Client locations the default matrix always knows, besides the configured regions, so a client can say
 * "I am in ap-southeast-1" even when no region runs there.
 */
export const WELL_KNOWN_LOCATIONS: readonly string[] = [
  'us-east-1',
  'us-east-2',
  'us-west-1',
  'us-west-2',
  'ca-central-1',
  'sa-east-1',
  'eu-west-1',
  'eu-west-2',
  'eu-west-3',
  'eu-central-1',
  'eu-north-1',
  'ap-south-1',
  'ap-southeast-1',
  'ap-southeast-2',
  'ap-northeast-1',
];

// Round-trip figures of the order published inter-region latency maps show; exact pairs first.
const PAIR_TABLE: Readonly<Record<string, number>> = {
  'us-east-1|us-east-2': 12,
  'us-east-1|us-west-1': 62,
  'us-east-1|us-west-2': 65,
  'us-east-1|ca-central-1': 15,
  'us-east-1|eu-west-1': 75,
  'us-east-1|eu-west-2': 76,
  'us-east-1|eu-central-1': 90,
  'us-east-2|us-west-2': 50,
  'us-west-1|us-west-2': 22,
  'eu-west-1|eu-west-2': 12,
  'eu-west-1|eu-west-3': 18,
  'eu-west-1|eu-central-1': 25,
  'eu-west-2|eu-central-1': 15,
  'eu-central-1|eu-north-1': 25,
  'us-west-2|ap-northeast-1': 100,
  'eu-central-1|ap-south-1': 120,
};

// Otherwise, by area: the second-level figures of the same maps.
type Area = 'us-east' | 'us-west' | 'sa' | 'eu' | 'ap-south' | 'ap-southeast' | 'ap-northeast';
const AREA_TABLE: Readonly<Record<string, number>> = {
  'us-east|us-east': 20,
  'us-west|us-west': 20,
  'eu|eu': 25,
  'ap-southeast|ap-southeast': 90,
  'ap-northeast|ap-northeast': 35,
  'us-east|us-west': 65,
  'us-east|sa': 115,
  'us-east|eu': 85,
  'us-east|ap-northeast': 150,
  'us-east|ap-southeast': 200,
  'us-east|ap-south': 190,
  'us-west|sa': 175,
  'us-west|eu': 140,
  'us-west|ap-northeast': 105,
  'us-west|ap-southeast': 160,
  'us-west|ap-south': 220,
  'sa|eu': 190,
  'sa|ap-northeast': 260,
  'sa|ap-southeast': 320,
  'sa|ap-south': 300,
  'eu|ap-northeast': 200,
  'eu|ap-southeast': 170,
  'eu|ap-south': 130,
  'ap-south|ap-southeast': 60,
  'ap-south|ap-northeast': 120,
  'ap-southeast|ap-northeast': 70,
};

function areaOf(location: string): Area | undefined {
  if (/^(us-east-|ca-)/.test(location)) return 'us-east';
  if (location.startsWith('us-west-')) return 'us-west';
  if (location.startsWith('sa-')) return 'sa';
  if (location.startsWith('eu-')) return 'eu';
  if (location.startsWith('ap-south-')) return 'ap-south';
  if (location.startsWith('ap-southeast-')) return 'ap-southeast';
  if (location.startsWith('ap-northeast-') || location.startsWith('ap-east-')) return 'ap-northeast';
  return undefined;
}

const key = (a: string, b: string): string => (a < b ? `${a}|${b}` : `${b}|${a}`);
// The tables are written in reading order; look-ups use one canonical order per pair.
const canonical = (table: Readonly<Record<string, number>>): ReadonlyMap<string, number> =>
  new Map(
    Object.entries(table).map(([pair, ms]) => {
      const [a, b] = pair.split('|') as [string, string];
      return [key(a, b), ms];
    }),
  );
const PAIRS = canonical(PAIR_TABLE);
const AREA_PAIRS = canonical(AREA_TABLE);

/** The built-in latency between two locations: 0 within one region, then the table, then 100 ms. */
export function defaultLatency(from: string, to: string): number {
  if (from === to) return 0;
  const exact = PAIRS.get(key(from, to));
  if (exact !== undefined) return exact;
  const a = areaOf(from);
  const b = areaOf(to);
  if (a && b) return AREA_PAIRS.get(key(a, b)) ?? UNKNOWN_PAIR_MS;
  return UNKNOWN_PAIR_MS;
}

/** The default matrix: every configured region and well-known location, to every configured region. */
export function defaultLatencyMatrix(regions: readonly string[]): LatencyMatrix {
  const matrix: LatencyMatrix = {};
  for (const location of new Set([...regions, ...WELL_KNOWN_LOCATIONS])) {
    matrix[location] = Object.fromEntries(regions.map((r) => [r, defaultLatency(location, r)]));
  }
  return matrix;
}

/**
 * Checks a caller's matrix: every location must give a finite, non-negative latency for every region,
 * since a missing figure would silently change who wins. Returns a frozen copy.
 */
export function validateLatencyMatrix(matrix: LatencyMatrix, regions: readonly string[]): LatencyMatrix {
  const locations = Object.keys(matrix);
  if (locations.length === 0) throw new Error('edge: latencyMatrix has no client location');
  const copy: LatencyMatrix = {};
  for (const location of locations) {
    const row = matrix[location];
    if (!row || typeof row !== 'object') throw new Error(`edge: latencyMatrix.${location} must be an object`);
    copy[location] = {};
    for (const region of regions) {
      const ms = row[region];
      if (typeof ms !== 'number' || !Number.isFinite(ms) || ms < 0) {
        throw new Error(
          `edge: latencyMatrix.${location}.${region} must be a finite number of milliseconds >= 0 (got ${String(ms)})`,
        );
      }
      copy[location][region] = ms;
    }
  }
  return copy;
}

/**
 * EventBridge schedule expressions, written from the AWS documentation
 * (https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-scheduled-rule-pattern.html):
 * `rate(value unit)` and the six-field UTC `cron(minutes hours day-of-month month day-of-week year)`.
 * Pure functions, no timers.
 */

/** A schedule expression EventBridge would reject, with the reason. */
export class InvalidScheduleExpressionError extends Error {
  override readonly name = 'InvalidScheduleExpressionError';
  constructor(expression: string, reason: string) {
    super(`Parameter ScheduleExpression is not valid: ${JSON.stringify(expression)}: ${reason}`);
  }
}

/** A parsed schedule: `next(after)` is the first fire time strictly after `after` (undefined: never again). */
export type Schedule =
  | { readonly kind: 'rate'; readonly expression: string; readonly intervalMs: number }
  | { readonly kind: 'cron'; readonly expression: string; next(after: Date): Date | undefined };

const RATE_UNITS: Readonly<Record<string, number>> = {
  minute: 60_000,
  minutes: 60_000,
  hour: 3_600_000,
  hours: 3_600_000,
  day: 86_400_000,
  days: 86_400_000,
};

const MONTHS = ['JAN', 'FEB', 'MAR', 'APR', 'MAY', 'JUN', 'JUL', 'AUG', 'SEP', 'OCT', 'NOV', 'DEC'];
const DAYS = ['SUN', 'MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT'];
const MIN_YEAR = 1970;
const MAX_YEAR = 2199;

/** Parses a `rate(...)` or `cron(...)` expression; throws `InvalidScheduleExpressionError`. */
export function parseSchedule(expression: string): Schedule {
  const rate = /^rate\((.*)\)$/.exec(expression);
  if (rate) return parseRate(expression, (rate[1] as string).trim());
  const cron = /^cron\((.*)\)$/.exec(expression);
  if (cron) return parseCron(expression, (cron[1] as string).trim());
  throw new InvalidScheduleExpressionError(expression, 'expected rate(value unit) or cron(fields)');
}

function parseRate(expression: string, body: string): Schedule {
  const m = /^(\d+)\s+([a-z]+)$/.exec(body);
  if (!m)
    throw new InvalidScheduleExpressionError(expression, 'a rate is "value unit", e.g. rate(5 minutes)');
  const value = Number(m[1]);
  const unit = m[2] as string;
  const unitMs = RATE_UNITS[unit];
  if (unitMs === undefined) {
    throw new InvalidScheduleExpressionError(
      expression,
      `unit must be minute(s), hour(s) or day(s), not "${unit}"`,
    );
  }
  if (!Number.isSafeInteger(value) || value < 1) {
    throw new InvalidScheduleExpressionError(expression, 'the value must be a positive whole number');
  }
  // EventBridge insists on the singular for 1 and the plural otherwise.
  const plural = unit.endsWith('s');
  if (value === 1 && plural) {
    throw new InvalidScheduleExpressionError(expression, `use "${unit.slice(0, -1)}" for a value of 1`);
  }
  if (value > 1 && !plural)
    throw new InvalidScheduleExpressionError(expression, `use "${unit}s" for a value above 1`);
  return { kind: 'rate', expression, intervalMs: value * unitMs };
}

interface Range {
  readonly min: number;
  readonly max: number;
  readonly names?: readonly string[];
  /** Added to a name's index (JAN → 1, SUN → 1). */
  readonly nameBase?: number;
}

const FIELD_RANGES = {
  minutes: { min: 0, max: 59 },
  hours: { min: 0, max: 23 },
  dayOfMonth: { min: 1, max: 31 },
  month: { min: 1, max: 12, names: MONTHS, nameBase: 1 },
  dayOfWeek: { min: 1, max: 7, names: DAYS, nameBase: 1 },
  year: { min: MIN_YEAR, max: MAX_YEAR },
} satisfies Record<string, Range>;

/** A day predicate: year, month (1–12), day of month. */
type DayTest = (y: number, m: number, d: number) => boolean;

function parseCron(expression: string, body: string): Schedule {
  const fields = body.split(/\s+/);
  if (fields.length !== 6) {
    throw new InvalidScheduleExpressionError(
      expression,
      `cron takes 6 fields (minutes hours day-of-month month day-of-week year), got ${fields.length}`,
    );
  }
  const [minF, hourF, domF, monF, dowF, yearF] = fields as [string, string, string, string, string, string];
  const fail = (reason: string): never => {
    throw new InvalidScheduleExpressionError(expression, reason);
  };
  const minutes = parseNumericField(minF, 'minutes', FIELD_RANGES.minutes, fail);
  const hours = parseNumericField(hourF, 'hours', FIELD_RANGES.hours, fail);
  const months = parseNumericField(monF, 'month', FIELD_RANGES.month, fail);
  const years = parseNumericField(yearF, 'year', FIELD_RANGES.year, fail);
  // EventBridge requires exactly one of the two day fields to be "?".
  if ((domF === '?') === (dowF === '?')) {
    fail('exactly one of day-of-month and day-of-week must be "?"');
  }
  const dayTest: DayTest = domF === '?' ? parseDayOfWeek(dowF, fail) : parseDayOfMonth(domF, fail);
  const maxYear = Math.max(...years);

  const next = (after: Date): Date | undefined => {
    let t = Math.floor(after.getTime() / 60_000) * 60_000 + 60_000;
    // Each step skips a whole non-matching year, month, day, hour or minute, so this is bounded.
    for (let i = 0; i < 500_000; i++) {
      const d = new Date(t);
      const y = d.getUTCFullYear();
      const mo = d.getUTCMonth();
      const day = d.getUTCDate();
      const h = d.getUTCHours();
      const mi = d.getUTCMinutes();
      if (y > maxYear) return undefined;
      if (!years.has(y)) t = Date.UTC(y + 1, 0, 1);
      else if (!months.has(mo + 1)) t = Date.UTC(y, mo + 1, 1);
      else if (!dayTest(y, mo + 1, day)) t = Date.UTC(y, mo, day + 1);
      else if (!hours.has(h)) t = Date.UTC(y, mo, day, h + 1);
      else if (!minutes.has(mi)) t = Date.UTC(y, mo, day, h, mi + 1);
      else return d;
    }
    return undefined;
  };
  return { kind: 'cron', expression, next };
}

function parseValue(text: string, field: string, range: Range, fail: (r: string) => never): number {
  const upper = text.toUpperCase();
  const named = range.names?.indexOf(upper) ?? -1;
  if (named >= 0) return named + (range.nameBase ?? 0);
  if (!/^\d+$/.test(text)) return fail(`${field}: "${text}" is not a value`);
  const n = Number(text);
  if (n < range.min || n > range.max) return fail(`${field}: ${n} is outside ${range.min}-${range.max}`);
  return n;
}

/** `*`, `5`, `1,2`, `1-5`, `0/15`, `*\/15`, `10-40/5` (and names for months and days). */
function parseNumericField(
  text: string,
  field: string,
  range: Range,
  fail: (r: string) => never,
): Set<number> {
  const out = new Set<number>();
  for (const item of text.split(',')) {
    if (item === '') fail(`${field}: empty list item`);
    const [base, stepText, extra] = item.split('/');
    if (extra !== undefined) fail(`${field}: "${item}" has more than one "/"`);
    let step = 1;
    if (stepText !== undefined) {
      if (!/^\d+$/.test(stepText) || Number(stepText) < 1) fail(`${field}: "${item}" needs a positive step`);
      step = Number(stepText);
    }
    let lo: number;
    let hi: number;
    if (base === '*') {
      lo = range.min;
      hi = range.max;
    } else if (base === undefined || base === '') {
      return fail(`${field}: "${item}" is not valid`);
    } else if (base.includes('-')) {
      const [a, b, more] = base.split('-');
      if (more !== undefined || a === undefined || b === undefined)
        fail(`${field}: "${item}" is not a range`);
      lo = parseValue(a as string, field, range, fail);
      hi = parseValue(b as string, field, range, fail);
      if (lo > hi) fail(`${field}: range "${base}" runs backwards`);
    } else {
      lo = parseValue(base, field, range, fail);
      // "5/15" means from 5 to the end of the range every 15.
      hi = stepText !== undefined ? range.max : lo;
    }
    for (let v = lo; v <= hi; v += step) out.add(v);
  }
  return out;
}

function daysInMonth(y: number, m: number): number {
  return new Date(Date.UTC(y, m, 0)).getUTCDate();
}

/** 1 = Sunday … 7 = Saturday, as EventBridge numbers the days. */
function weekday(y: number, m: number, d: number): number {
  return new Date(Date.UTC(y, m - 1, d)).getUTCDay() + 1;
}

/** The weekday (Mon–Fri) nearest to day `n` of the month, never leaving the month. */
function nearestWeekday(y: number, m: number, n: number): number {
  const last = daysInMonth(y, m);
  const target = Math.min(n, last);
  const wd = weekday(y, m, target);
  if (wd >= 2 && wd <= 6) return target;
  if (wd === 7) return target === 1 ? 3 : target - 1; // Saturday: Friday, or Monday the 3rd
  return target === last ? target - 2 : target + 1; // Sunday: Monday, or Friday before
}

function parseDayOfMonth(text: string, fail: (r: string) => never): DayTest {
  const tests: DayTest[] = [];
  for (const item of text.split(',')) {
    if (item === 'L') {
      tests.push((y, m, d) => d === daysInMonth(y, m));
    } else if (item === 'LW') {
      tests.push((y, m, d) => {
        let last = daysInMonth(y, m);
        while (weekday(y, m, last) === 1 || weekday(y, m, last) === 7) last--;
        return d === last;
      });
    } else if (/^\d+W$/.test(item)) {
      const n = parseValue(item.slice(0, -1), 'day-of-month', FIELD_RANGES.dayOfMonth, fail);
      tests.push((y, m, d) => d === nearestWeekday(y, m, n));
    } else {
      const set = parseNumericField(item, 'day-of-month', FIELD_RANGES.dayOfMonth, fail);
      tests.push((_y, _m, d) => set.has(d));
    }
  }
  return (y, m, d) => tests.some((t) => t(y, m, d));
}

function parseDayOfWeek(text: string, fail: (r: string) => never): DayTest {
  const range = FIELD_RANGES.dayOfWeek;
  const tests: DayTest[] = [];
  for (const item of text.split(',')) {
    const hash = /^([^#]+)#(\d+)$/.exec(item);
    const last = /^(.+)L$/i.exec(item);
    if (item === 'L') {
      // A bare L in day-of-week is the last day of the week: Saturday.
      tests.push((y, m, d) => weekday(y, m, d) === 7);
    } else if (hash) {
      const wd = parseValue(hash[1] as string, 'day-of-week', range, fail);
      const nth = Number(hash[2]);
      if (nth < 1 || nth > 5) fail(`day-of-week: "${item}" needs an occurrence from 1 to 5`);
      tests.push((y, m, d) => weekday(y, m, d) === wd && Math.ceil(d / 7) === nth);
    } else if (last && !range.names.includes(item.toUpperCase())) {
      const wd = parseValue(last[1] as string, 'day-of-week', range, fail);
      tests.push((y, m, d) => weekday(y, m, d) === wd && d + 7 > daysInMonth(y, m));
    } else {
      const set = parseNumericField(item, 'day-of-week', range, fail);
      tests.push((y, m, d) => set.has(weekday(y, m, d)));
    }
  }
  return (y, m, d) => tests.some((t) => t(y, m, d));
}

import {
  InvalidInputError,
  InvalidScheduleExpressionError,
  compileInputTransformer,
  compileJsonPath,
  parseSchedule,
  type Schedule,
} from '../../../local/eventbridge';

type CronSchedule = Extract<Schedule, { kind: 'cron' }>;

function cron(expression: string): CronSchedule {
  const s = parseSchedule(expression);
  if (s.kind !== 'cron') throw new Error(`${expression} did not parse as cron`);
  return s;
}

/** The next `n` fire times after `from`, as ISO strings. */
function fires(expression: string, from: string, n = 3): string[] {
  const s = cron(expression);
  const out: string[] = [];
  let t = new Date(from);
  for (let i = 0; i < n; i++) {
    const next = s.next(t);
    if (!next) break;
    out.push(next.toISOString());
    t = next;
  }
  return out;
}

describe('rate expressions', () => {
  it.each([
    ['rate(1 minute)', 60_000],
    ['rate(5 minutes)', 300_000],
    ['rate(1 hour)', 3_600_000],
    ['rate(12 hours)', 43_200_000],
    ['rate(1 day)', 86_400_000],
    ['rate(7 days)', 604_800_000],
  ])('%s fires every %i ms', (expression, ms) => {
    expect(parseSchedule(expression)).toEqual({ kind: 'rate', expression, intervalMs: ms });
  });

  it.each([
    'rate(1 minutes)',
    'rate(5 minute)',
    'rate(0 minutes)',
    'rate(-1 minutes)',
    'rate(1.5 hours)',
    'rate(1 week)',
    'rate(minutes)',
    'rate()',
    'every 5 minutes',
    '',
  ])('rejects %j', (expression) => {
    expect(() => parseSchedule(expression)).toThrow(InvalidScheduleExpressionError);
  });
});

describe('cron expressions (UTC, six fields)', () => {
  it('fires every 15 minutes with a start/increment minute field', () => {
    expect(fires('cron(0/15 * * * ? *)', '2024-01-01T10:07:30Z')).toEqual([
      '2024-01-01T10:15:00.000Z',
      '2024-01-01T10:30:00.000Z',
      '2024-01-01T10:45:00.000Z',
    ]);
  });

  it('fires at 10:15 on weekdays only, with a day-of-week range', () => {
    // 2024-01-05 is a Friday.
    expect(fires('cron(15 10 ? * MON-FRI *)', '2024-01-05T11:00:00Z', 2)).toEqual([
      '2024-01-08T10:15:00.000Z',
      '2024-01-09T10:15:00.000Z',
    ]);
  });

  it('supports lists, numeric days of week (1 = Sunday) and month names', () => {
    expect(fires('cron(0 8,20 ? JAN,MAR 1 *)', '2024-01-01T00:00:00Z', 3)).toEqual([
      '2024-01-07T08:00:00.000Z',
      '2024-01-07T20:00:00.000Z',
      '2024-01-14T08:00:00.000Z',
    ]);
  });

  it('fires on the last day of the month with L', () => {
    expect(fires('cron(0 0 L * ? *)', '2024-01-15T00:00:00Z', 3)).toEqual([
      '2024-01-31T00:00:00.000Z',
      '2024-02-29T00:00:00.000Z',
      '2024-03-31T00:00:00.000Z',
    ]);
  });

  it('fires on the nearest weekday with W, never leaving the month', () => {
    // 2024-06-01 is a Saturday: 1W is Monday the 3rd. 2024-09-15 is a Sunday: 15W is Monday the 16th.
    expect(fires('cron(0 12 1W 6 ? 2024)', '2024-05-01T00:00:00Z', 1)).toEqual(['2024-06-03T12:00:00.000Z']);
    expect(fires('cron(0 12 15W 9 ? 2024)', '2024-05-01T00:00:00Z', 1)).toEqual(['2024-09-16T12:00:00.000Z']);
  });

  it('fires on the nth weekday of the month with # and the last one with L', () => {
    // The first Monday of February 2024 is the 5th; the last Friday is the 23rd.
    expect(fires('cron(0 9 ? 2 2#1 2024)', '2024-01-01T00:00:00Z', 1)).toEqual(['2024-02-05T09:00:00.000Z']);
    expect(fires('cron(0 9 ? 2 6L 2024)', '2024-01-01T00:00:00Z', 1)).toEqual(['2024-02-23T09:00:00.000Z']);
  });

  it('stops after the last year in the year field', () => {
    expect(fires('cron(0 0 1 1 ? 2025-2026)', '2024-06-01T00:00:00Z', 5)).toEqual([
      '2025-01-01T00:00:00.000Z',
      '2026-01-01T00:00:00.000Z',
    ]);
  });

  it('fires strictly after the given time', () => {
    expect(fires('cron(30 * * * ? *)', '2024-01-01T10:30:00Z', 1)).toEqual(['2024-01-01T11:30:00.000Z']);
  });

  it.each([
    ['cron(* * * * *)', '5 fields'],
    ['cron(0 12 * * * *)', 'both day fields set'],
    ['cron(0 12 ? * ? *)', 'both day fields "?"'],
    ['cron(60 * * * ? *)', 'minute out of range'],
    ['cron(0 24 * * ? *)', 'hour out of range'],
    ['cron(0 0 32 * ? *)', 'day out of range'],
    ['cron(0 0 ? 13 * *)', 'month out of range'],
    ['cron(0 0 ? * 8 *)', 'day of week out of range'],
    ['cron(0 0 ? * FOO *)', 'unknown day name'],
    ['cron(0 0 1 * ? 1969)', 'year out of range'],
    ['cron(5-1 * * * ? *)', 'backwards range'],
    ['cron(0/0 * * * ? *)', 'zero step'],
    ['cron(0 0 ? * MON#6 *)', 'sixth occurrence'],
    ['cron(a b c d e f)', 'garbage'],
  ])('rejects %s (%s)', (expression) => {
    expect(() => parseSchedule(expression)).toThrow(InvalidScheduleExpressionError);
  });
});

describe('JSON paths (the subset EventBridge supports)', () => {
  const event = {
    detail: { 'order-id': 'o-1', items: [{ sku: 'a' }, { sku: 'b' }], nested: { n: 3 } },
  };

  it.each([
    ['$', event],
    ['$.detail.order-id', 'o-1'],
    ["$.detail['order-id']", 'o-1'],
    ['$.detail.items[1].sku', 'b'],
    ['$.detail.items[*].sku', ['a', 'b']],
    ['$.detail.nested.n', 3],
    ['$.detail.missing', undefined],
    ['$.detail.items[5]', undefined],
  ])('%s selects the right value', (path, expected) => {
    expect(compileJsonPath(path).select(event)).toEqual(expected);
  });

  it.each(['detail', '$..detail', '$.detail[', '$.[0]'])('rejects %j', (path) => {
    expect(() => compileJsonPath(path)).toThrow(InvalidInputError);
  });
});

describe('input transformer', () => {
  const event = {
    version: '0',
    id: 'e-1',
    'detail-type': 'OrderPlaced',
    source: 'meridian.orders',
    detail: { orderId: 'o-1', total: 42, tags: ['x'], note: 'say "hi"' },
  };
  const vars = { ruleArn: 'arn:rule', ruleName: 'R', ingestionTime: '2024-01-01T00:00:00.000Z' };

  it('inserts JSON values outside quotes and escaped text inside quotes in a JSON template', () => {
    const t = compileInputTransformer({
      inputPathsMap: {
        id: '$.detail.orderId',
        total: '$.detail.total',
        tags: '$.detail.tags',
        note: '$.detail.note',
      },
      inputTemplate:
        '{"order": <id>, "total": <total>, "tags": <tags>, "text": "<id> costs <total>: <note>"}',
    });
    expect(JSON.parse(t.render(event, vars))).toEqual({
      order: 'o-1',
      total: 42,
      tags: ['x'],
      text: 'o-1 costs 42: say "hi"',
    });
  });

  it('fills the predefined variables, aws.events.event.json unescaped', () => {
    const t = compileInputTransformer({
      inputTemplate:
        '{"rule": "<aws.events.rule-name>", "arn": "<aws.events.rule-arn>", "original": <aws.events.event.json>}',
    });
    expect(JSON.parse(t.render(event, vars))).toEqual({ rule: 'R', arn: 'arn:rule', original: event });
  });

  it('inserts raw text in a plain-text template and null for a missing path in a JSON template', () => {
    const text = compileInputTransformer({
      inputPathsMap: { id: '$.detail.orderId' },
      inputTemplate: 'Order <id> was placed',
    });
    expect(text.render(event, vars)).toBe('Order o-1 was placed');
    const json = compileInputTransformer({
      inputPathsMap: { gone: '$.detail.gone' },
      inputTemplate: '{"v": <gone>}',
    });
    expect(JSON.parse(json.render(event, vars))).toEqual({ v: null });
  });

  it('leaves unknown placeholders as text', () => {
    const t = compileInputTransformer({ inputTemplate: '"a <b> c"' });
    expect(t.render(event, vars)).toBe('"a <b> c"');
  });

  it('rejects reserved variable names and invalid paths', () => {
    expect(() =>
      compileInputTransformer({ inputPathsMap: { 'aws.events.x': '$.id' }, inputTemplate: '<aws.events.x>' }),
    ).toThrow(InvalidInputError);
    expect(() => compileInputTransformer({ inputPathsMap: { a: 'detail' }, inputTemplate: '<a>' })).toThrow(
      InvalidInputError,
    );
  });
});

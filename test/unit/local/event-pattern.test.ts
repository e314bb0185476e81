import { InvalidEventPatternError, matchesPattern, validatePattern } from '../../../local/eventbridge';

/*
 * Conformance table: worked examples from the Amazon EventBridge documentation.
 * - Event patterns:        https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-event-patterns.html
 * - Content filtering:     https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-event-patterns-content-based-filtering.html
 * - Comparison operators:  https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-create-pattern-operators.html
 * - Arrays:                https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-event-patterns-arrays.html
 * - Null and empty values: https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-event-patterns-null-values.html
 * Rows marked "(derived)" apply the documented rule to a counter-example of the doc's example.
 */

type Row = [section: string, pattern: unknown, event: unknown, expected: boolean];

const ec2 = {
  version: '0',
  id: '6a7e8feb-b491-4cf7-a9f1-bf3703467718',
  'detail-type': 'EC2 Instance State-change Notification',
  source: 'aws.ec2',
  account: '111122223333',
  time: '2017-12-22T18:43:48Z',
  region: 'us-west-1',
  resources: ['arn:aws:ec2:us-west-1:123456789012:instance/i-1234567890abcdef0'],
  detail: { 'instance-id': 'i-1234567890abcdef0', state: 'terminated' },
};
const withDetail = (detail: Record<string, unknown>): Record<string, unknown> => ({ ...ec2, detail });

const autoscaling = {
  version: '0',
  id: '3e3c153a-8339-4e30-8c35-687ebef853fe',
  'detail-type': 'EC2 Instance Launch Successful',
  source: 'aws.autoscaling',
  account: '123456789012',
  time: '2015-11-11T21:31:47Z',
  region: 'us-east-1',
  resources: [],
  detail: { eventVersion: '', responseElements: null },
};

const arrayPattern = {
  resources: [
    'arn:aws:ec2:us-east-1:123456789012:instance/i-b188560f',
    'arn:aws:ec2:us-east-1:111122223333:instance/i-b188560f',
    'arn:aws:ec2:us-east-1:444455556666:instance/i-b188560f',
  ],
};

const numericPattern = {
  detail: {
    'c-count': [{ numeric: ['>', 0, '<=', 5] }],
    'd-count': [{ numeric: ['<', 10] }],
    'x-limit': [{ numeric: ['=', 3.018e2] }],
  },
};

const orPattern = {
  detail: {
    $or: [
      { 'c-count': [{ numeric: ['>', 0, '<=', 5] }] },
      { 'd-count': [{ numeric: ['<', 10] }] },
      { 'x-limit': [{ numeric: ['=', 3.018e2] }] },
    ],
  },
};

const meridian = { source: [{ prefix: 'meridian.' }], detail: { region: ['us-east-1'] } };
const meridianEvent = (source: string, detailType: string, region: string): Record<string, unknown> => ({
  ...ec2,
  source,
  'detail-type': detailType,
  detail: { orderId: 'o-1', region },
});

const table: Row[] = [
  // --- Event patterns
  [
    'Event patterns: source/detail-type/detail.state',
    {
      source: ['aws.ec2'],
      'detail-type': ['EC2 Instance State-change Notification'],
      detail: { state: ['terminated'] },
    },
    ec2,
    true,
  ],
  ['Event patterns: value mismatch', { source: ['aws.ec2'], detail: { state: ['running'] } }, ec2, false],
  ['Event patterns: field named in pattern missing from event', { detail: { nope: ['x'] } }, ec2, false],
  ['Event patterns: values are case-sensitive (derived)', { source: ['AWS.EC2'] }, ec2, false],
  [
    'Event patterns: account/region/time are matchable',
    { account: ['111122223333'], region: ['us-west-1'] },
    ec2,
    true,
  ],
  ['Event patterns: same nested structure required (derived)', { state: ['terminated'] }, ec2, false],
  ['Event patterns: nested objects', { detail: { a: { b: ['c'] } } }, withDetail({ a: { b: 'c' } }), true],
  [
    'Event patterns: numbers compare numerically (derived)',
    { detail: { n: [300] } },
    withDetail({ n: 3.0e2 }),
    true,
  ],
  [
    'Event patterns: string is not a number (derived)',
    { detail: { n: [300] } },
    withDetail({ n: '300' }),
    false,
  ],
  ['Event patterns: boolean values', { detail: { ok: [true] } }, withDetail({ ok: true }), true],
  ['Event patterns: boolean mismatch', { detail: { ok: [true] } }, withDetail({ ok: false }), false],
  // --- Arrays
  [
    'Arrays: intersection of pattern and event arrays non-empty',
    arrayPattern,
    {
      ...ec2,
      resources: [
        'arn:aws:autoscaling:us-east-1:123456789012:autoScalingGroup:eb56d16b-bbf0-401d-b893-d5978ed4a025:autoScalingGroupName/ASGTerminate',
        'arn:aws:ec2:us-east-1:123456789012:instance/i-b188560f',
      ],
    },
    true,
  ],
  [
    'Arrays: empty intersection (derived)',
    arrayPattern,
    { ...ec2, resources: ['arn:aws:ec2:us-east-1:999999999999:instance/i-b188560f'] },
    false,
  ],
  ['Arrays: any value of the pattern array', { detail: { state: ['pending', 'terminated'] } }, ec2, true],
  [
    'Arrays: array of objects in the event (derived)',
    { detail: { items: { sku: ['B'] } } },
    withDetail({ items: [{ sku: 'A' }, { sku: 'B' }] }),
    true,
  ],
  // --- Null and empty values
  ['Null/empty: empty string', { detail: { eventVersion: [''] } }, autoscaling, true],
  ['Null/empty: null', { detail: { responseElements: [null] } }, autoscaling, true],
  [
    'Null/empty: empty string does not match null',
    { detail: { responseElements: [''] } },
    autoscaling,
    false,
  ],
  ['Null/empty: null does not match empty string', { detail: { eventVersion: [null] } }, autoscaling, false],
  // --- Prefix
  [
    'Content filtering: prefix',
    { time: [{ prefix: '2017-10-02' }] },
    { ...ec2, time: '2017-10-02T18:43:48Z' },
    true,
  ],
  ['Content filtering: prefix mismatch', { time: [{ prefix: '2017-10-02' }] }, ec2, false],
  [
    'Comparison operators: begins with (Region is in the US)',
    { detail: { Region: [{ prefix: 'us-' }] } },
    withDetail({ Region: 'eu-west-1' }),
    false,
  ],
  [
    'Content filtering: prefix equals-ignore-case',
    { detail: { service: [{ prefix: { 'equals-ignore-case': 'EventB' } }] } },
    withDetail({ service: 'eventbridge' }),
    true,
  ],
  [
    'Content filtering: prefix equals-ignore-case upper',
    { detail: { service: [{ prefix: { 'equals-ignore-case': 'EventB' } }] } },
    withDetail({ service: 'EVENTBRIDGE' }),
    true,
  ],
  [
    'Content filtering: prefix is for strings only (derived)',
    { detail: { n: [{ prefix: '1' }] } },
    withDetail({ n: 123 }),
    false,
  ],
  // --- Suffix
  [
    'Content filtering: suffix',
    { detail: { FileName: [{ suffix: '.png' }] } },
    withDetail({ FileName: 'image.png' }),
    true,
  ],
  [
    'Content filtering: suffix is case-sensitive',
    { detail: { FileName: [{ suffix: '.png' }] } },
    withDetail({ FileName: 'image.PNG' }),
    false,
  ],
  [
    'Content filtering: suffix equals-ignore-case',
    { detail: { FileName: [{ suffix: { 'equals-ignore-case': '.png' } }] } },
    withDetail({ FileName: 'image.PNG' }),
    true,
  ],
  [
    'Comparison operators: ends with (ignore case) tbridge',
    { detail: { service: [{ suffix: { 'equals-ignore-case': 'tbridge' } }] } },
    withDetail({ service: 'EventBridge' }),
    true,
  ],
  // --- Anything-but
  [
    'Content filtering: anything-but string',
    { detail: { state: [{ 'anything-but': 'initializing' }] } },
    withDetail({ state: 'running' }),
    true,
  ],
  [
    'Content filtering: anything-but string excluded',
    { detail: { state: [{ 'anything-but': 'initializing' }] } },
    withDetail({ state: 'initializing' }),
    false,
  ],
  [
    'Content filtering: anything-but number',
    { detail: { 'x-limit': [{ 'anything-but': 123 }] } },
    withDetail({ 'x-limit': 456 }),
    true,
  ],
  [
    'Content filtering: anything-but number excluded',
    { detail: { 'x-limit': [{ 'anything-but': 123 }] } },
    withDetail({ 'x-limit': 123 }),
    false,
  ],
  [
    'Content filtering: anything-but list of strings',
    { detail: { state: [{ 'anything-but': ['stopped', 'overloaded'] }] } },
    withDetail({ state: 'stopped' }),
    false,
  ],
  [
    'Content filtering: anything-but list of strings other',
    { detail: { state: [{ 'anything-but': ['stopped', 'overloaded'] }] } },
    withDetail({ state: 'running' }),
    true,
  ],
  [
    'Content filtering: anything-but list of numbers',
    { detail: { 'x-limit': [{ 'anything-but': [100, 200, 300] }] } },
    withDetail({ 'x-limit': 200 }),
    false,
  ],
  [
    'Content filtering: anything-but needs the field (derived)',
    { detail: { state: [{ 'anything-but': 'initializing' }] } },
    withDetail({}),
    false,
  ],
  [
    'Content filtering: anything-but prefix',
    { detail: { state: [{ 'anything-but': { prefix: 'init' } }] } },
    withDetail({ state: 'initializing' }),
    false,
  ],
  [
    'Content filtering: anything-but prefix other',
    { detail: { state: [{ 'anything-but': { prefix: 'init' } }] } },
    withDetail({ state: 'running' }),
    true,
  ],
  [
    'Content filtering: anything-but suffix',
    { detail: { FileName: [{ 'anything-but': { suffix: '.txt' } }] } },
    withDetail({ FileName: 'notes.txt' }),
    false,
  ],
  [
    'Content filtering: anything-but suffix other',
    { detail: { FileName: [{ 'anything-but': { suffix: '.txt' } }] } },
    withDetail({ FileName: 'image.png' }),
    true,
  ],
  [
    'Content filtering: anything-but equals-ignore-case',
    { detail: { state: [{ 'anything-but': { 'equals-ignore-case': 'initializing' } }] } },
    withDetail({ state: 'INITIALIZING' }),
    false,
  ],
  [
    'Content filtering: anything-but equals-ignore-case list',
    { detail: { state: [{ 'anything-but': { 'equals-ignore-case': ['initializing', 'stopped'] } }] } },
    withDetail({ state: 'Running' }),
    true,
  ],
  [
    'Content filtering: anything-but wildcard',
    { detail: { FilePath: [{ 'anything-but': { wildcard: '*/lib/*' } }] } },
    withDetail({ FilePath: '/usr/lib/x.so' }),
    false,
  ],
  [
    'Content filtering: anything-but wildcard other',
    { detail: { FilePath: [{ 'anything-but': { wildcard: '*/lib/*' } }] } },
    withDetail({ FilePath: '/usr/bin/x' }),
    true,
  ],
  [
    'Content filtering: anything-but wildcard list',
    { detail: { FilePath: [{ 'anything-but': { wildcard: ['*/lib/*', '*/bin/*'] } }] } },
    withDetail({ FilePath: '/usr/bin/x' }),
    false,
  ],
  // --- Numeric
  [
    'Content filtering: numeric matching',
    numericPattern,
    withDetail({ 'c-count': 5, 'd-count': 3, 'x-limit': 301.8 }),
    true,
  ],
  [
    'Content filtering: numeric out of range',
    numericPattern,
    withDetail({ 'c-count': 0, 'd-count': 3, 'x-limit': 301.8 }),
    false,
  ],
  [
    'Content filtering: numeric upper bound inclusive/exclusive',
    { detail: { n: [{ numeric: ['<', 10] }] } },
    withDetail({ n: 10 }),
    false,
  ],
  [
    'Content filtering: numeric >= bound',
    { detail: { n: [{ numeric: ['>=', 10] }] } },
    withDetail({ n: 10 }),
    true,
  ],
  [
    'Content filtering: numeric only matches JSON numbers',
    { detail: { n: [{ numeric: ['>', 0] }] } },
    withDetail({ n: '5' }),
    false,
  ],
  [
    'Comparison operators: numeric (range)',
    { detail: { Price: [{ numeric: ['>', 10, '<=', 20] }] } },
    withDetail({ Price: 20 }),
    true,
  ],
  // --- IP address
  [
    'Content filtering: IP address matching IPv4',
    { detail: { sourceIPAddress: [{ cidr: '10.0.0.0/24' }] } },
    withDetail({ sourceIPAddress: '10.0.0.255' }),
    true,
  ],
  [
    'Content filtering: IP address outside block',
    { detail: { sourceIPAddress: [{ cidr: '10.0.0.0/24' }] } },
    withDetail({ sourceIPAddress: '10.0.1.1' }),
    false,
  ],
  [
    'Content filtering: IP address matching IPv6',
    { detail: { sourceIPAddress: [{ cidr: '2001:db8::/64' }] } },
    withDetail({ sourceIPAddress: '2001:db8::2a:1' }),
    true,
  ],
  [
    'Content filtering: IPv6 outside block',
    { detail: { sourceIPAddress: [{ cidr: '2001:db8::/64' }] } },
    withDetail({ sourceIPAddress: '2001:db8:0:1::1' }),
    false,
  ],
  [
    'Content filtering: IPv4 value vs IPv6 block (derived)',
    { detail: { sourceIPAddress: [{ cidr: '2001:db8::/64' }] } },
    withDetail({ sourceIPAddress: '10.0.0.1' }),
    false,
  ],
  // --- Exists
  ['Content filtering: exists true', { detail: { state: [{ exists: true }] } }, ec2, true],
  ['Content filtering: exists true, field absent', { detail: { nope: [{ exists: true }] } }, ec2, false],
  ['Content filtering: exists false', { detail: { state: [{ exists: false }] } }, ec2, false],
  ['Content filtering: exists false, field absent', { detail: { nope: [{ exists: false }] } }, ec2, true],
  [
    'Content filtering: exists false, missing parents',
    { detail: { a: { b: { c: [{ exists: false }] } } } },
    ec2,
    true,
  ],
  [
    'Content filtering: exists false, absent whole detail',
    { detail: { c: [{ exists: false }] }, source: ['aws.ec2'] },
    { ...ec2, detail: undefined },
    true,
  ],
  [
    'Content filtering: exists only on leaf nodes (object value)',
    { detail: { a: [{ exists: true }] } },
    withDetail({ a: { b: 1 } }),
    false,
  ],
  [
    'Content filtering: exists true on null value (derived)',
    { detail: { responseElements: [{ exists: true }] } },
    autoscaling,
    true,
  ],
  [
    'Content filtering: exists true, empty array (derived)',
    { resources: [{ exists: true }] },
    autoscaling,
    false,
  ],
  [
    'Content filtering: exists false, empty array (derived)',
    { resources: [{ exists: false }] },
    autoscaling,
    true,
  ],
  // --- Equals-ignore-case
  [
    'Content filtering: equals-ignore-case',
    { 'detail-type': [{ 'equals-ignore-case': 'ec2 instance state-change notification' }] },
    ec2,
    true,
  ],
  [
    'Comparison operators: equals (ignore case) Alice',
    { detail: { Name: [{ 'equals-ignore-case': 'alice' }] } },
    withDetail({ Name: 'Bob' }),
    false,
  ],
  // --- Wildcard
  [
    'Content filtering: wildcard',
    { detail: { EventBusArn: [{ wildcard: 'arn:aws:events:us-east-1:*:event-bus/*' }] } },
    withDetail({ EventBusArn: 'arn:aws:events:us-east-1:123456789012:event-bus/default' }),
    true,
  ],
  [
    'Content filtering: wildcard region mismatch',
    { detail: { EventBusArn: [{ wildcard: 'arn:aws:events:us-east-1:*:event-bus/*' }] } },
    withDetail({ EventBusArn: 'arn:aws:events:us-west-2:123456789012:event-bus/default' }),
    false,
  ],
  [
    'Content filtering: wildcard dir/*.png',
    { detail: { Filepath: [{ wildcard: 'dir/*.png' }] } },
    withDetail({ Filepath: 'dir/subdir/image.png' }),
    true,
  ],
  [
    'Content filtering: wildcard star matches empty run',
    { detail: { Filepath: [{ wildcard: 'dir/*.png' }] } },
    withDetail({ Filepath: 'dir/.png' }),
    true,
  ],
  [
    'Content filtering: wildcard escaped star is literal',
    { detail: { v: [{ wildcard: 'a\\*b' }] } },
    withDetail({ v: 'a*b' }),
    true,
  ],
  [
    'Content filtering: wildcard escaped star does not glob',
    { detail: { v: [{ wildcard: 'a\\*b' }] } },
    withDetail({ v: 'axyb' }),
    false,
  ],
  [
    'Content filtering: wildcard regex characters are literal (derived)',
    { detail: { v: [{ wildcard: 'a.c*' }] } },
    withDetail({ v: 'abcd' }),
    false,
  ],
  // --- $or
  [
    'Content filtering: $or (one alternative matches)',
    orPattern,
    withDetail({ 'c-count': 50, 'd-count': 3 }),
    true,
  ],
  [
    'Content filtering: $or (no alternative matches)',
    orPattern,
    withDetail({ 'c-count': 50, 'd-count': 30, 'x-limit': 1 }),
    false,
  ],
  [
    'Content filtering: $or at top level',
    { $or: [{ source: ['aws.s3'] }, { 'detail-type': ['EC2 Instance State-change Notification'] }] },
    ec2,
    true,
  ],
  [
    'Content filtering: $or mixed with other fields (AND)',
    { source: ['aws.s3'], $or: [{ region: ['us-west-1'] }, { account: ['1'] }] },
    ec2,
    false,
  ],
  [
    'Content filtering: $or alternatives with nested objects',
    { $or: [{ detail: { state: ['running'] } }, { detail: { 'instance-id': [{ prefix: 'i-' }] } }] },
    ec2,
    true,
  ],
  // --- Multiple matchers in one field (OR)
  [
    'Content filtering: multiple matchers OR',
    { detail: { FileName: [{ prefix: 'img' }, { suffix: '.png' }, 'exact.txt'] } },
    withDetail({ FileName: 'exact.txt' }),
    true,
  ],
  [
    'Content filtering: multiple matchers OR none',
    { detail: { FileName: [{ prefix: 'img' }, { suffix: '.png' }] } },
    withDetail({ FileName: 'doc.txt' }),
    false,
  ],
  [
    'Content filtering: exists false OR value',
    { detail: { state: [{ exists: false }, 'terminated'] } },
    ec2,
    true,
  ],
  // --- Meridian's own patterns
  [
    'Meridian: prefix source, region us-east-1',
    meridian,
    meridianEvent('meridian.orders', 'OrderPlaced', 'us-east-1'),
    true,
  ],
  ['Meridian: other region', meridian, meridianEvent('meridian.orders', 'OrderPlaced', 'us-west-2'), false],
  ['Meridian: non-Meridian source', meridian, meridianEvent('aws.ec2', 'OrderPlaced', 'us-east-1'), false],
  [
    'Meridian: detail.region, not event region',
    meridian,
    { ...meridianEvent('meridian.orders', 'OrderPlaced', 'us-west-2'), region: 'us-east-1' },
    false,
  ],
  [
    'Meridian: detail-type list',
    { source: ['meridian.orders'], 'detail-type': ['OrderPlaced', 'OrderCancelled'] },
    meridianEvent('meridian.orders', 'OrderCancelled', 'us-east-1'),
    true,
  ],
  [
    'Meridian: detail-type list, other type',
    { source: ['meridian.orders'], 'detail-type': ['OrderPlaced', 'OrderCancelled'] },
    meridianEvent('meridian.orders', 'OrderShipped', 'us-east-1'),
    false,
  ],
  [
    'Meridian: not forwarded back (anything-but replicated source)',
    { source: [{ prefix: 'meridian.' }], detail: { origin: [{ 'anything-but': 'us-west-2' }] } },
    { ...ec2, source: 'meridian.orders', detail: { origin: 'us-west-2' } },
    false,
  ],
];

describe('EventBridge pattern conformance table', () => {
  it('covers at least 40 rows', () => {
    expect(table.length).toBeGreaterThanOrEqual(40);
  });

  it.each(table)('%s', (_section, pattern, event, expected) => {
    expect(matchesPattern(pattern, event)).toBe(expected);
  });
});

describe('validatePattern', () => {
  const valid: unknown[] = [
    { source: ['aws.ec2'] },
    numericPattern,
    orPattern,
    { a: [{ 'anything-but': { wildcard: ['*/lib/*'] } }] },
    { a: [{ cidr: '::/0' }] },
    { a: [{ numeric: ['<', 10, '>=', 0] }] },
  ];
  it.each(valid.map((p) => [JSON.stringify(p), p]))('accepts %s', (_name, pattern) => {
    expect(() => validatePattern(pattern)).not.toThrow();
  });

  const invalid: [string, unknown, string][] = [
    ['non-object pattern (string)', 'aws.ec2', '$'],
    ['non-object pattern (array)', [{ source: ['a'] }], '$'],
    ['null pattern', null, '$'],
    ['empty pattern', {}, '$'],
    ['leaf value not an array', { source: 'aws.ec2' }, 'source'],
    ['nested leaf value not an array', { detail: { state: 5 } }, 'detail.state'],
    ['empty array', { source: [] }, 'source'],
    ['empty nested object', { detail: {} }, 'detail'],
    ['nested array', { source: [['a']] }, 'source[0]'],
    ['unknown operator', { source: [{ contains: 'x' }] }, 'source[0].contains'],
    ['two operators in one object', { source: [{ prefix: 'a', suffix: 'b' }] }, 'source[0]'],
    ['prefix not a string', { source: [{ prefix: 5 }] }, 'source[0].prefix'],
    ['prefix with unknown inner operator', { source: [{ prefix: { wildcard: 'a' } }] }, 'source[0].prefix'],
    [
      'suffix equals-ignore-case not a string',
      { a: [{ suffix: { 'equals-ignore-case': 1 } }] },
      'a[0].suffix.equals-ignore-case',
    ],
    ['equals-ignore-case not a string', { a: [{ 'equals-ignore-case': ['x'] }] }, 'a[0].equals-ignore-case'],
    ['exists not a boolean', { a: [{ exists: 'true' }] }, 'a[0].exists'],
    ['numeric not an array', { a: [{ numeric: 5 }] }, 'a[0].numeric'],
    ['numeric odd length', { a: [{ numeric: ['>', 0, '<'] }] }, 'a[0].numeric'],
    ['numeric unknown operator', { a: [{ numeric: ['!=', 0] }] }, 'a[0].numeric[0]'],
    ['numeric operand not a number', { a: [{ numeric: ['>', '0'] }] }, 'a[0].numeric[1]'],
    ['numeric two lower bounds', { a: [{ numeric: ['>', 0, '>=', 5] }] }, 'a[0].numeric'],
    ['numeric = in a range', { a: [{ numeric: ['=', 0, '<', 5] }] }, 'a[0].numeric'],
    ['numeric inverted range', { a: [{ numeric: ['>', 10, '<', 5] }] }, 'a[0].numeric'],
    ['cidr malformed', { a: [{ cidr: '10.0.0.0' }] }, 'a[0].cidr'],
    ['cidr bad prefix length', { a: [{ cidr: '10.0.0.0/33' }] }, 'a[0].cidr'],
    ['cidr bad address', { a: [{ cidr: '300.0.0.0/8' }] }, 'a[0].cidr'],
    ['anything-but boolean', { a: [{ 'anything-but': true }] }, 'a[0].anything-but'],
    ['anything-but empty list', { a: [{ 'anything-but': [] }] }, 'a[0].anything-but'],
    ['anything-but mixed list', { a: [{ 'anything-but': ['a', 1] }] }, 'a[0].anything-but'],
    [
      'anything-but unsupported nested operator',
      { a: [{ 'anything-but': { numeric: ['>', 1] } }] },
      'a[0].anything-but.numeric',
    ],
    [
      'anything-but prefix not a string',
      { a: [{ 'anything-but': { prefix: 1 } }] },
      'a[0].anything-but.prefix',
    ],
    ['wildcard consecutive stars', { a: [{ wildcard: 'a**b' }] }, 'a[0].wildcard'],
    ['wildcard bad escape', { a: [{ wildcard: 'a\\b' }] }, 'a[0].wildcard'],
    ['$or not an array', { $or: { a: ['x'] } }, '$or'],
    ['$or with a non-object', { $or: [{ a: ['x'] }, 'b'] }, '$or[1]'],
    ['$or alternative malformed', { detail: { $or: [{ a: ['x'] }, { b: 'y' }] } }, 'detail.$or[1].b'],
  ];

  it.each(invalid)('rejects %s', (_name, pattern, path) => {
    let caught: unknown;
    try {
      validatePattern(pattern);
    } catch (e) {
      caught = e;
    }
    expect(caught).toBeInstanceOf(InvalidEventPatternError);
    expect((caught as InvalidEventPatternError).path).toBe(path);
    expect((caught as InvalidEventPatternError).message).toContain(path);
  });

  it('matchesPattern rejects malformed patterns too', () => {
    expect(() => matchesPattern({ source: 'aws.ec2' }, {})).toThrow(InvalidEventPatternError);
  });
});

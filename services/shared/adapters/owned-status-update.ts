import type { UpdateCommandInput } from '@aws-sdk/lib-dynamodb';

/** The parts of an `UpdateCommand` built by {@link ownedStatusUpdate}. */
export type OwnedStatusUpdate = Required<
  Pick<
    UpdateCommandInput,
    'UpdateExpression' | 'ConditionExpression' | 'ExpressionAttributeNames' | 'ExpressionAttributeValues'
  >
>;

/**
 * Expression parts of a single-writer state transition: SET `set` (undefined values skipped) only if the
 * item exists, is owned by `region`, and its `status` is one of `from`. `from` must not be empty.
 */
export function ownedStatusUpdate(opts: {
  readonly set: Readonly<Record<string, unknown>>;
  readonly from: readonly string[];
  readonly region: string;
}): OwnedStatusUpdate {
  const names: Record<string, string> = { '#status': 'status' };
  const values: Record<string, unknown> = { ':me': opts.region };
  const sets = Object.entries(opts.set)
    .filter(([, value]) => value !== undefined)
    .map(([field, value], i) => {
      names[`#f${i}`] = field;
      values[`:f${i}`] = value;
      return `#f${i} = :f${i}`;
    });
  const allowed = opts.from.map((status, i) => {
    values[`:from${i}`] = status;
    return `:from${i}`;
  });
  return {
    UpdateExpression: `SET ${sets.join(', ')}`,
    ConditionExpression: `attribute_exists(pk) AND ownerRegion = :me AND #status IN (${allowed.join(', ')})`,
    ExpressionAttributeNames: names,
    ExpressionAttributeValues: values,
  };
}

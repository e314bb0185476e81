/** A CloudFormation template fragment. */
export type Json = Record<string, unknown>;

/** Flattens `Fn::Join`/`Ref`/`Fn::GetAtt` to a readable string, e.g. `arn:${AWS::Partition}:events:…`. */
export function flatten(value: unknown): string {
  if (typeof value === 'string') return value;
  const v = value as Json;
  if (v && 'Fn::Join' in v) {
    const [sep, parts] = v['Fn::Join'] as [string, unknown[]];
    return parts.map(flatten).join(sep);
  }
  if (v && 'Ref' in v) return `\${${String(v.Ref)}}`;
  if (v && 'Fn::GetAtt' in v) return `\${${(v['Fn::GetAtt'] as string[]).join('.')}}`;
  return JSON.stringify(value);
}

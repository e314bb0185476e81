import { z } from 'zod';
import { AuditInputError } from './errors';
import { TABLE_IDS, type AuditInput, type Item, type RegionSnapshot, type TableId } from './types';

const isPlainObject = (value: unknown): value is Item =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

const finite = z.number().refine(Number.isFinite, 'expected a finite number');
const units = z.number().int('expected an integer').nonnegative('expected units ≥ 0');
const name = z.string().min(1, 'expected a non-empty string');
const itemSchema = z.custom<Item>(isPlainObject, 'expected an item (a plain object)');

const tablesSchema = z
  .object(Object.fromEntries(TABLE_IDS.map((id) => [id, z.array(itemSchema).optional()])))
  .strict();

const snapshotSchema = z.object({ region: name, takenAt: finite, tables: tablesSchema });
const snapshotsSchema = z.array(snapshotSchema).superRefine((snapshots, ctx) => {
  const seen = new Set<string>();
  snapshots.forEach((s, i) => {
    if (seen.has(s.region)) {
      ctx.addIssue({ code: 'custom', path: [i, 'region'], message: `region ${s.region} appears twice` });
    }
    seen.add(s.region);
  });
});

const auditInputSchema = z.object({
  acknowledged: z.array(
    z.object({
      orderId: name,
      idempotencyKey: name,
      region: name.optional(),
      ackAt: finite,
      quantityBySku: z.record(z.string(), units),
    }),
  ),
  snapshots: snapshotsSchema,
  customerIds: z.array(name),
  skus: z.array(name),
  initialStock: z.record(z.string(), z.record(z.string(), units)),
  faultAt: finite.optional(),
});

/** `root.a.b[2].c: message` for the first problems zod found. */
function describe(error: z.ZodError, root: string): string {
  return error.issues
    .slice(0, 5)
    .map((issue) => {
      const path = issue.path.map((p) => (typeof p === 'number' ? `[${p}]` : `.${String(p)}`)).join('');
      return `${root}${path}: ${issue.message}`;
    })
    .join('; ');
}

/** Checks the shape of an audit's input. @throws AuditInputError naming the offending field. */
export function validateAuditInput(input: unknown): AuditInput {
  const result = auditInputSchema.safeParse(input);
  if (!result.success) throw new AuditInputError(`invalid audit input: ${describe(result.error, 'input')}`);
  return input as AuditInput;
}

/** Checks snapshots and the tables to compare. @throws AuditInputError naming the offending field. */
export function validateSnapshots(snapshots: unknown, tables: unknown): readonly RegionSnapshot[] {
  const parsed = snapshotsSchema.safeParse(snapshots);
  if (!parsed.success) throw new AuditInputError(`invalid snapshots: ${describe(parsed.error, 'snapshots')}`);
  if (tables !== undefined) {
    const ids = z.array(z.enum(TABLE_IDS as [TableId, ...TableId[]])).safeParse(tables);
    if (!ids.success) throw new AuditInputError(`invalid tables: ${describe(ids.error, 'tables')}`);
  }
  return snapshots as readonly RegionSnapshot[];
}

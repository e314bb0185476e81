/** AWS Secrets Manager on loopback (AWS JSON 1.1): the template's secrets, generated once and kept. */
import { randomInt, randomUUID } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { SecretModel } from '../assembly/model';
import { BodyTooLargeError, listen, readBody, type LocalEndpoint } from './http';
import { safeName, writeFileAtomic } from './outbox';

const TARGET_PREFIX = 'secretsmanager.';
const CURRENT = 'AWSCURRENT';
const PUNCTUATION = '!"#$%&\'()*+,-./:;<=>?@[\\]^_`{|}~';

/** Options of {@link secretsManagerServer}. */
export interface SecretsManagerServerOptions {
  readonly region: string;
  readonly accountId: string;
  /** @default 0 (an ephemeral port) */
  readonly port?: number;
  readonly secrets: readonly SecretModel[];
  /** Where generated values are kept, so they survive restarts. @default memory only */
  readonly dir?: string;
  /** @default () => new Date() */
  readonly now?: () => Date;
  readonly log?: (line: string) => void;
}

/** `GenerateSecretString` as CloudFormation takes it. */
export interface GenerateSecretStringOptions {
  readonly PasswordLength?: number;
  readonly ExcludeCharacters?: string;
  readonly ExcludeNumbers?: boolean;
  readonly ExcludePunctuation?: boolean;
  readonly ExcludeUppercase?: boolean;
  readonly ExcludeLowercase?: boolean;
  readonly IncludeSpace?: boolean;
  readonly RequireEachIncludedType?: boolean;
  readonly SecretStringTemplate?: string;
  readonly GenerateStringKey?: string;
}

/** Thrown for a `GenerateSecretString` that Secrets Manager would refuse. */
export class SecretGenerationError extends Error {
  override readonly name = 'SecretGenerationError';
}

function bool(options: Readonly<Record<string, unknown>>, key: string, fallback: boolean): boolean {
  const v = options[key];
  if (v === undefined) return fallback;
  if (typeof v === 'boolean') return v;
  if (v === 'true' || v === 'false') return v === 'true';
  throw new SecretGenerationError(`${key} must be a boolean, got ${JSON.stringify(v)}`);
}

/**
 * Generates a secret string as `GenerateSecretString` does, with crypto randomness: a password from the
 * included character classes (each at least once unless `RequireEachIncludedType` is false), placed under
 * `GenerateStringKey` in `SecretStringTemplate` when both are given.
 */
export function generateSecretString(options: Readonly<Record<string, unknown>>): string {
  const rawLength = options.PasswordLength ?? 32;
  const length = typeof rawLength === 'string' ? Number(rawLength) : rawLength;
  if (typeof length !== 'number' || !Number.isInteger(length) || length < 1 || length > 4096) {
    throw new SecretGenerationError(
      `PasswordLength must be an integer from 1 to 4096, got ${JSON.stringify(rawLength)}`,
    );
  }
  const exclude = options.ExcludeCharacters ?? '';
  if (typeof exclude !== 'string') throw new SecretGenerationError('ExcludeCharacters must be a string');
  const keep = (chars: string): string => [...chars].filter((ch) => !exclude.includes(ch)).join('');
  const classes = [
    bool(options, 'ExcludeLowercase', false) ? '' : keep('abcdefghijklmnopqrstuvwxyz'),
    bool(options, 'ExcludeUppercase', false) ? '' : keep('ABCDEFGHIJKLMNOPQRSTUVWXYZ'),
    bool(options, 'ExcludeNumbers', false) ? '' : keep('0123456789'),
    bool(options, 'ExcludePunctuation', false) ? '' : keep(PUNCTUATION),
    bool(options, 'IncludeSpace', false) ? keep(' ') : '',
  ].filter((c) => c !== '');
  if (classes.length === 0) throw new SecretGenerationError('GenerateSecretString excludes every character');
  const requireEach = bool(options, 'RequireEachIncludedType', true);
  if (requireEach && length < classes.length) {
    throw new SecretGenerationError(
      `PasswordLength ${length} is too short to include each of the ${classes.length} required character types`,
    );
  }
  const all = classes.join('');
  const chars: string[] = requireEach ? classes.map((c) => c[randomInt(c.length)]!) : [];
  while (chars.length < length) chars.push(all[randomInt(all.length)]!);
  for (let i = chars.length - 1; i > 0; i--) {
    const j = randomInt(i + 1);
    [chars[i], chars[j]] = [chars[j]!, chars[i]!];
  }
  const password = chars.join('');

  const template = options.SecretStringTemplate;
  const key = options.GenerateStringKey;
  if (template === undefined && key === undefined) return password;
  if (typeof template !== 'string' || typeof key !== 'string' || key === '') {
    throw new SecretGenerationError('SecretStringTemplate and GenerateStringKey must be given together');
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(template);
  } catch {
    throw new SecretGenerationError('SecretStringTemplate is not valid JSON');
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new SecretGenerationError('SecretStringTemplate must be a JSON object');
  }
  return JSON.stringify({ ...(parsed as Record<string, unknown>), [key]: password });
}

/** One secret's current version, as persisted. */
interface StoredValue {
  readonly versionId: string;
  readonly secretString: string;
  /** Epoch milliseconds. */
  readonly createdDate: number;
}

interface SecretState {
  readonly model: SecretModel;
  /** Undefined for a secret created with neither SecretString nor GenerateSecretString (no version). */
  readonly value?: StoredValue;
  readonly createdDate: number;
}

class SecretsError extends Error {
  constructor(
    readonly type: string,
    message: string,
    readonly status = 400,
  ) {
    super(message);
  }
}

const notFound = (): SecretsError =>
  new SecretsError('ResourceNotFoundException', "Secrets Manager can't find the specified secret.");

type Json = Record<string, unknown>;

function loadOrCreate(model: SecretModel, dir: string | undefined, now: Date): SecretState {
  const file =
    dir === undefined ? undefined : path.join(dir, `${safeName(model.logicalId || model.name)}.json`);
  let createdDate = now.getTime();
  if (file && existsSync(file)) {
    const stored = JSON.parse(readFileSync(file, 'utf8')) as { value?: StoredValue; createdDate: number };
    // A generated value is kept for good; a literal SecretString follows the template (a new version).
    if (model.secretString === undefined || stored.value?.secretString === model.secretString) {
      return { model, ...(stored.value && { value: stored.value }), createdDate: stored.createdDate };
    }
    createdDate = stored.createdDate;
  }
  let value: StoredValue | undefined;
  if (model.secretString !== undefined) {
    value = { versionId: randomUUID(), secretString: model.secretString, createdDate: now.getTime() };
  } else if (model.generate !== undefined) {
    value = { versionId: randomUUID(), secretString: generateSecretString(model.generate), createdDate };
  }
  const state: SecretState = { model, ...(value && { value }), createdDate };
  if (file) {
    writeFileAtomic(
      path.dirname(file),
      path.basename(file),
      `${JSON.stringify({ name: model.name, arn: model.arn, value, createdDate }, null, 2)}\n`,
    );
  }
  return state;
}

const seconds = (ms: number): number => ms / 1000;

/** Starts the Secrets Manager endpoint on 127.0.0.1; generated values are created (or reloaded) first. */
export async function secretsManagerServer(opts: SecretsManagerServerOptions): Promise<LocalEndpoint> {
  const log = opts.log ?? (() => undefined);
  const now = opts.now ?? (() => new Date());
  const states = opts.secrets.map((s) => loadOrCreate(s, opts.dir, now()));

  const find = (input: Json): SecretState => {
    const id = input.SecretId;
    if (id === undefined || id === null) {
      throw new SecretsError(
        'ValidationException',
        "1 validation error detected: Value null at 'secretId' failed to satisfy constraint: Member must not be null",
      );
    }
    if (typeof id !== 'string' || id.length < 1 || id.length > 2048) {
      throw new SecretsError(
        'InvalidParameterException',
        'SecretId must be a string of 1 to 2048 characters.',
      );
    }
    const match =
      states.find((s) => s.model.name === id || s.model.arn === id) ??
      // A partial ARN: the ARN without the random six-character suffix Secrets Manager adds.
      states.find((s) => /-[A-Za-z0-9]{6}$/.test(s.model.arn) && s.model.arn.slice(0, -7) === id);
    if (!match) throw notFound();
    return match;
  };

  const describe = (s: SecretState, versionsKey: 'VersionIdsToStages' | 'SecretVersionsToStages'): Json => ({
    ARN: s.model.arn,
    Name: s.model.name,
    LastChangedDate: seconds(s.value?.createdDate ?? s.createdDate),
    CreatedDate: seconds(s.createdDate),
    ...(s.value && { [versionsKey]: { [s.value.versionId]: [CURRENT] } }),
  });

  const operations: Record<string, (input: Json) => Json> = {
    GetSecretValue: (input) => {
      const s = find(input);
      const versionId = input.VersionId;
      const stage = input.VersionStage;
      if (versionId !== undefined && typeof versionId !== 'string') {
        throw new SecretsError('InvalidParameterException', 'VersionId must be a string.');
      }
      if (stage !== undefined && typeof stage !== 'string') {
        throw new SecretsError('InvalidParameterException', 'VersionStage must be a string.');
      }
      if (!s.value || (stage !== undefined && stage !== CURRENT)) {
        throw new SecretsError(
          'ResourceNotFoundException',
          `Secrets Manager can't find the specified secret value for staging label: ${stage ?? CURRENT}`,
        );
      }
      if (versionId !== undefined && versionId !== s.value.versionId) {
        throw new SecretsError(
          'ResourceNotFoundException',
          `Secrets Manager can't find the specified secret value for VersionId: ${versionId}`,
        );
      }
      return {
        ARN: s.model.arn,
        Name: s.model.name,
        VersionId: s.value.versionId,
        SecretString: s.value.secretString,
        VersionStages: [CURRENT],
        CreatedDate: seconds(s.value.createdDate),
      };
    },
    DescribeSecret: (input) => describe(find(input), 'VersionIdsToStages'),
    ListSecrets: (input) => {
      const max = input.MaxResults ?? 100;
      if (typeof max !== 'number' || !Number.isInteger(max) || max < 1 || max > 100) {
        throw new SecretsError('InvalidParameterException', 'MaxResults must be an integer from 1 to 100.');
      }
      const filters = input.Filters ?? [];
      if (!Array.isArray(filters))
        throw new SecretsError('InvalidParameterException', 'Filters must be a list.');
      let list = states.filter((s) => filters.every((f: unknown) => matchesFilter(s, f)));
      list = [...list].sort(
        (a, b) => a.createdDate - b.createdDate || a.model.name.localeCompare(b.model.name),
      );
      if (input.SortOrder === 'desc') list.reverse();
      else if (input.SortOrder !== undefined && input.SortOrder !== 'asc') {
        throw new SecretsError('InvalidParameterException', "SortOrder must be 'asc' or 'desc'.");
      }
      let start = 0;
      if (input.NextToken !== undefined) {
        start =
          typeof input.NextToken === 'string'
            ? Number(Buffer.from(input.NextToken, 'base64').toString())
            : NaN;
        if (!Number.isInteger(start) || start < 0 || start > list.length) {
          throw new SecretsError('InvalidNextTokenException', 'The NextToken value is invalid.');
        }
      }
      const page = list.slice(start, start + max);
      const next =
        start + max < list.length ? Buffer.from(String(start + max)).toString('base64') : undefined;
      return {
        SecretList: page.map((s) => describe(s, 'SecretVersionsToStages')),
        ...(next !== undefined && { NextToken: next }),
      };
    },
  };

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const requestId = randomUUID();
    const reply = (status: number, body: Json): void => {
      res.writeHead(status, { 'Content-Type': 'application/x-amz-json-1.1', 'x-amzn-RequestId': requestId });
      res.end(JSON.stringify(body));
    };
    try {
      let body: Buffer;
      try {
        body = await readBody(req, 1024 * 1024);
      } catch (err) {
        if (err instanceof BodyTooLargeError)
          throw new SecretsError('InvalidRequestException', 'The request is too large.');
        throw err;
      }
      const target = String(req.headers['x-amz-target'] ?? '');
      const operation = target.startsWith(TARGET_PREFIX) ? target.slice(TARGET_PREFIX.length) : '';
      const run = Object.hasOwn(operations, operation) ? operations[operation] : undefined;
      if (req.method !== 'POST' || !run) {
        throw new SecretsError(
          'UnknownOperationException',
          `Operation ${target || '(none)'} is not supported by the local Secrets Manager.`,
        );
      }
      let input: unknown;
      try {
        input = body.length === 0 ? {} : JSON.parse(body.toString('utf8'));
      } catch {
        throw new SecretsError('SerializationException', 'The request body is not valid JSON.');
      }
      if (typeof input !== 'object' || input === null || Array.isArray(input)) {
        throw new SecretsError('SerializationException', 'The request body must be a JSON object.');
      }
      reply(200, run(input as Json));
    } catch (err) {
      if (err instanceof SecretsError) {
        reply(err.status, { __type: err.type, Message: err.message });
        return;
      }
      log(
        `secretsmanager: internal failure: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`,
      );
      reply(500, { __type: 'InternalServiceError', Message: 'An error occurred on the server side.' });
    }
  };

  const endpoint = await listen(opts.port, handle, (line) => log(`secretsmanager: ${line}`));
  log(`secretsmanager: ${states.length} secret(s) in ${opts.region} on ${endpoint.endpoint}`);
  return endpoint;
}

/** `{ Key: 'name', Values: ['prefix', '!other'] }`: prefix matches; `!` negates; values of one filter OR. */
function matchesFilter(s: SecretState, filter: unknown): boolean {
  if (typeof filter !== 'object' || filter === null) {
    throw new SecretsError('InvalidParameterException', 'Each filter must be an object with Key and Values.');
  }
  const { Key: key, Values: values } = filter as { Key?: unknown; Values?: unknown };
  const fields: Record<string, string[]> = {
    name: [s.model.name],
    description: [],
    'tag-key': [],
    'tag-value': [],
    'primary-region': [],
    'owning-service': [],
    all: [s.model.name],
  };
  if (typeof key !== 'string' || !(key in fields)) {
    throw new SecretsError('InvalidParameterException', `Invalid filter key: ${String(key)}`);
  }
  if (!Array.isArray(values) || values.length === 0 || values.some((v) => typeof v !== 'string')) {
    throw new SecretsError('InvalidParameterException', `Filter ${key} needs a list of string Values.`);
  }
  const candidates = fields[key]!;
  return (values as string[]).some((v) =>
    v.startsWith('!')
      ? !candidates.some((c) => c.startsWith(v.slice(1)))
      : candidates.some((c) => c.startsWith(v)),
  );
}

import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  DescribeSecretCommand,
  GetSecretValueCommand,
  ListSecretsCommand,
  SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import type { SecretModel } from '../../../local/assembly';
import {
  generateSecretString,
  SecretGenerationError,
  secretsManagerServer,
  type LocalEndpoint,
} from '../../../local/messaging';

const REGION = 'us-east-1';
const ACCOUNT = '111111111111';
const arn = (name: string) => `arn:aws:secretsmanager:${REGION}:${ACCOUNT}:secret:${name}`;

const SECRETS: SecretModel[] = [
  {
    logicalId: 'ServicesPaymentWebhookSecretC2F52179',
    name: 'ServicesPaymentWebhookSecretC2F52179',
    arn: arn('ServicesPaymentWebhookSecretC2F52179'),
    generate: { ExcludePunctuation: true, PasswordLength: 48 },
  },
  {
    logicalId: 'DbCredentials',
    name: 'meridian/db',
    arn: arn('meridian/db-AbC123'),
    generate: {
      SecretStringTemplate: '{"username":"app"}',
      GenerateStringKey: 'password',
      PasswordLength: 20,
      ExcludeCharacters: '"@/\\',
    },
  },
  { logicalId: 'Static', name: 'static-config', arn: arn('static-config'), secretString: '{"mode":"local"}' },
  { logicalId: 'Empty', name: 'empty-secret', arn: arn('empty-secret') },
];

describe('generateSecretString', () => {
  it('honours length, exclusions and RequireEachIncludedType', () => {
    for (let i = 0; i < 50; i++) {
      const value = generateSecretString({ PasswordLength: 48, ExcludePunctuation: true });
      expect(value).toMatch(/^[A-Za-z0-9]{48}$/);
      expect(value).toMatch(/[a-z]/);
      expect(value).toMatch(/[A-Z]/);
      expect(value).toMatch(/[0-9]/);
    }
    const spaced = generateSecretString({
      PasswordLength: 5,
      IncludeSpace: true,
      ExcludeLowercase: true,
      ExcludeUppercase: true,
      ExcludeNumbers: true,
    });
    expect(spaced).toHaveLength(5);
    expect(spaced).toContain(' ');
    expect(
      generateSecretString({ PasswordLength: 64, ExcludeCharacters: 'abcdefghijklmnopqrstuvwxyz0123456789' }),
    ).toMatch(/^[^a-z0-9]{64}$/);
    expect(generateSecretString({})).toHaveLength(32);
    expect(new Set(Array.from({ length: 20 }, () => generateSecretString({})))).toHaveProperty('size', 20);
  });

  it('fills the template key and rejects impossible options', () => {
    const value = JSON.parse(
      generateSecretString({
        SecretStringTemplate: '{"username":"app"}',
        GenerateStringKey: 'password',
        PasswordLength: 12,
      }),
    ) as Record<string, string>;
    expect(value.username).toBe('app');
    expect(value.password).toHaveLength(12);
    expect(() => generateSecretString({ PasswordLength: 0 })).toThrow(SecretGenerationError);
    expect(() => generateSecretString({ PasswordLength: 3 })).toThrow(/too short/);
    expect(() => generateSecretString({ SecretStringTemplate: '{}' })).toThrow(/together/);
    expect(() =>
      generateSecretString({
        ExcludeLowercase: true,
        ExcludeUppercase: true,
        ExcludeNumbers: true,
        ExcludePunctuation: true,
      }),
    ).toThrow(/every character/);
  });
});

describe('local Secrets Manager over the real SDK client', () => {
  let dir: string;
  let server: LocalEndpoint;
  let client: SecretsManagerClient;

  const start = async (stateDir: string | undefined): Promise<void> => {
    server = await secretsManagerServer({
      region: REGION,
      accountId: ACCOUNT,
      secrets: SECRETS,
      dir: stateDir,
    });
    client?.destroy();
    client = new SecretsManagerClient({
      endpoint: server.endpoint,
      region: REGION,
      credentials: { accessKeyId: 'x', secretAccessKey: 'x' },
      maxAttempts: 1,
    });
  };

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'secrets-'));
  });

  afterEach(async () => {
    client?.destroy();
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('generates a value once, per the template options, and keeps it across restarts', async () => {
    await start(dir);
    const first = await client.send(new GetSecretValueCommand({ SecretId: SECRETS[0]!.name }));
    expect(first).toMatchObject({
      ARN: SECRETS[0]!.arn,
      Name: SECRETS[0]!.name,
      VersionStages: ['AWSCURRENT'],
      VersionId: expect.stringMatching(/^[0-9a-f-]{36}$/),
    });
    expect(first.SecretString).toMatch(/^[A-Za-z0-9]{48}$/);
    expect(first.CreatedDate).toBeInstanceOf(Date);
    const again = await client.send(new GetSecretValueCommand({ SecretId: SECRETS[0]!.arn }));
    expect(again.SecretString).toBe(first.SecretString);
    expect(readdirSync(dir).filter((f) => f.endsWith('.json'))).toHaveLength(4);

    await server.close();
    await start(dir);
    const afterRestart = await client.send(new GetSecretValueCommand({ SecretId: SECRETS[0]!.name }));
    expect(afterRestart.SecretString).toBe(first.SecretString);
    expect(afterRestart.VersionId).toBe(first.VersionId);
  });

  it('generates anew on each start without a dir (memory only)', async () => {
    await start(undefined);
    const a = await client.send(new GetSecretValueCommand({ SecretId: SECRETS[0]!.name }));
    await server.close();
    await start(undefined);
    const b = await client.send(new GetSecretValueCommand({ SecretId: SECRETS[0]!.name }));
    expect(b.SecretString).not.toBe(a.SecretString);
  });

  it('finds a secret by name, full ARN and partial ARN; serves templates and literal values', async () => {
    await start(dir);
    const byName = await client.send(new GetSecretValueCommand({ SecretId: 'meridian/db' }));
    const byArn = await client.send(new GetSecretValueCommand({ SecretId: arn('meridian/db-AbC123') }));
    const byPartial = await client.send(new GetSecretValueCommand({ SecretId: arn('meridian/db') }));
    expect(byArn.SecretString).toBe(byName.SecretString);
    expect(byPartial.SecretString).toBe(byName.SecretString);
    const parsed = JSON.parse(byName.SecretString!) as { username: string; password: string };
    expect(parsed.username).toBe('app');
    expect(parsed.password).toMatch(/^[^"@/\\]{20}$/);
    const literal = await client.send(
      new GetSecretValueCommand({ SecretId: 'static-config', VersionStage: 'AWSCURRENT' }),
    );
    expect(literal.SecretString).toBe('{"mode":"local"}');
  });

  it('answers ResourceNotFoundException for unknown ids, versions, stages and value-less secrets', async () => {
    await start(dir);
    const notFound = async (
      input: ConstructorParameters<typeof GetSecretValueCommand>[0],
      message: string,
    ) => {
      await expect(client.send(new GetSecretValueCommand(input))).rejects.toMatchObject({
        name: 'ResourceNotFoundException',
        message,
        $metadata: { httpStatusCode: 400 },
      });
    };
    await notFound({ SecretId: 'nope' }, "Secrets Manager can't find the specified secret.");
    await notFound({ SecretId: arn('nope') }, "Secrets Manager can't find the specified secret.");
    await notFound(
      { SecretId: 'static-config', VersionStage: 'AWSPREVIOUS' },
      "Secrets Manager can't find the specified secret value for staging label: AWSPREVIOUS",
    );
    await notFound(
      { SecretId: 'static-config', VersionId: '00000000-0000-0000-0000-000000000000' },
      "Secrets Manager can't find the specified secret value for VersionId: 00000000-0000-0000-0000-000000000000",
    );
    await notFound(
      { SecretId: 'empty-secret' },
      "Secrets Manager can't find the specified secret value for staging label: AWSCURRENT",
    );
    await expect(client.send(new DescribeSecretCommand({ SecretId: 'nope' }))).rejects.toMatchObject({
      name: 'ResourceNotFoundException',
    });
  });

  it('describes and lists secrets with filters and paging', async () => {
    await start(dir);
    const described = await client.send(new DescribeSecretCommand({ SecretId: 'meridian/db' }));
    const value = await client.send(new GetSecretValueCommand({ SecretId: 'meridian/db' }));
    expect(described).toMatchObject({
      ARN: arn('meridian/db-AbC123'),
      Name: 'meridian/db',
      VersionIdsToStages: { [value.VersionId!]: ['AWSCURRENT'] },
    });
    expect(described.CreatedDate).toBeInstanceOf(Date);

    const all = await client.send(new ListSecretsCommand({}));
    expect(all.SecretList?.map((s) => s.Name).sort()).toEqual(
      ['ServicesPaymentWebhookSecretC2F52179', 'empty-secret', 'meridian/db', 'static-config'].sort(),
    );
    const filtered = await client.send(
      new ListSecretsCommand({ Filters: [{ Key: 'name', Values: ['meridian/'] }] }),
    );
    expect(filtered.SecretList?.map((s) => s.Name)).toEqual(['meridian/db']);
    const negated = await client.send(new ListSecretsCommand({ Filters: [{ Key: 'name', Values: ['!s'] }] }));
    expect(negated.SecretList?.map((s) => s.Name).sort()).toEqual(
      ['ServicesPaymentWebhookSecretC2F52179', 'empty-secret', 'meridian/db'].sort(),
    );

    const names: string[] = [];
    let token: string | undefined;
    do {
      const page = await client.send(new ListSecretsCommand({ MaxResults: 3, NextToken: token }));
      names.push(...(page.SecretList ?? []).map((s) => s.Name!));
      token = page.NextToken;
    } while (token);
    expect(names.sort()).toEqual(all.SecretList!.map((s) => s.Name!).sort());
    await expect(client.send(new ListSecretsCommand({ NextToken: 'garbage!' }))).rejects.toMatchObject({
      name: 'InvalidNextTokenException',
    });
  });

  it('answers JSON errors for unknown operations and garbage bodies', async () => {
    await start(undefined);
    const post = (target: string, body: string) =>
      fetch(server.endpoint, {
        method: 'POST',
        headers: { 'content-type': 'application/x-amz-json-1.1', 'x-amz-target': target },
        body,
      });
    const unknown = await post('secretsmanager.DeleteSecret', '{}');
    expect(unknown.status).toBe(400);
    expect(await unknown.json()).toMatchObject({ __type: 'UnknownOperationException' });
    const garbage = await post('secretsmanager.GetSecretValue', '{{{');
    expect(await garbage.json()).toMatchObject({ __type: 'SerializationException' });
    const missing = await post('secretsmanager.GetSecretValue', '{}');
    expect(await missing.json()).toMatchObject({ __type: 'ValidationException' });
    const wrongType = await post('secretsmanager.GetSecretValue', '{"SecretId": 42}');
    expect(await wrongType.json()).toMatchObject({ __type: 'InvalidParameterException' });
  });
});

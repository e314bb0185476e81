/**
 * Reads a cloud assembly (manifest.json and the nested assemblies of its stages) into the typed model of
 * {@link LocalAssembly}: per regional stack, what the local runtime must serve, with every value resolved
 * to local names, ARNs and URLs.
 */
import { existsSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import type {
  ApiModel,
  EventBusModel,
  EventSourceMappingModel,
  ExperimentTemplateModel,
  FunctionModel,
  LocalAssembly,
  OutputModel,
  QueueModel,
  RegionModel,
  ResourceRef,
  RouteModel,
  RuleModel,
  RuleTargetKind,
  SecretModel,
  StateMachineModel,
  TableKey,
  TableModel,
  TopicModel,
} from './model';
import {
  IntrinsicError,
  resolve,
  resolveString,
  type DynamicReference,
  type LocalNaming,
  type ResolveContext,
  type TemplateParameter,
  type TemplateResource,
} from './resolve';

/** Options of {@link readAssembly}. */
export interface ReadAssemblyOptions {
  /** Local naming of resources (e.g. {@link endpointNaming} for local queue URLs). */
  readonly naming?: LocalNaming;
  /**
   * The account in local ARNs.
   * @default each stack's own account from the manifest (so that ARNs the template spells out literally,
   * such as a peer region's bus, match the ones resolved), or `000000000000` for environment-agnostic stacks
   */
  readonly accountId?: string;
}

interface Template {
  readonly Resources?: Record<string, TemplateResource>;
  readonly Parameters?: Record<string, TemplateParameter>;
  readonly Outputs?: Record<string, { Value: unknown; Description?: string; Export?: { Name: unknown } }>;
}

/** One stack of the assembly, nested stages included. */
export interface StackArtifact {
  readonly artifactId: string;
  readonly stackName: string;
  readonly region: string;
  readonly accountId: string;
  /** Absolute path of the (nested) assembly directory that holds the stack. */
  readonly assemblyDir: string;
  readonly templatePath: string;
  readonly template: Template;
  /** Asset hash → absolute path of the asset's source (from the stack's asset manifest). */
  readonly assets: ReadonlyMap<string, string>;
}

interface Manifest {
  readonly artifacts?: Record<
    string,
    {
      type: string;
      environment?: string;
      properties?: Record<string, unknown>;
      dependencies?: string[];
    }
  >;
}

const DEFAULT_ACCOUNT = '000000000000';

/** Every stack of the cloud assembly at `dir`, nested assemblies (stages) included, in manifest order. */
export function listStacks(dir: string): StackArtifact[] {
  const root = path.resolve(dir);
  const manifestPath = path.join(root, 'manifest.json');
  if (!existsSync(manifestPath)) throw new Error(`readAssembly: ${manifestPath} does not exist`);
  const manifest = JSON.parse(readFileSync(manifestPath, 'utf8')) as Manifest;
  const artifacts = manifest.artifacts ?? {};
  const stacks: StackArtifact[] = [];
  for (const [artifactId, artifact] of Object.entries(artifacts)) {
    const props = artifact.properties ?? {};
    if (artifact.type === 'cdk:cloud-assembly') {
      stacks.push(...listStacks(path.join(root, String(props.directoryName))));
    } else if (artifact.type === 'aws:cloudformation:stack') {
      const env = /^aws:\/\/([^/]+)\/(.+)$/.exec(artifact.environment ?? '');
      const account = env?.[1] && !env[1].startsWith('unknown-') ? env[1] : DEFAULT_ACCOUNT;
      const region = env?.[2] && !env[2].startsWith('unknown-') ? env[2] : 'us-east-1';
      const templatePath = path.join(root, String(props.templateFile));
      const assets = new Map<string, string>();
      for (const dep of artifact.dependencies ?? []) {
        const depArtifact = artifacts[dep];
        if (depArtifact?.type !== 'cdk:asset-manifest') continue;
        const file = path.join(root, String(depArtifact.properties?.file));
        const assetManifest = JSON.parse(readFileSync(file, 'utf8')) as {
          files?: Record<string, { source?: { path?: string } }>;
        };
        for (const [hash, entry] of Object.entries(assetManifest.files ?? {})) {
          if (entry.source?.path) assets.set(hash, path.resolve(path.dirname(file), entry.source.path));
        }
      }
      stacks.push({
        artifactId,
        stackName: typeof props.stackName === 'string' ? props.stackName : artifactId,
        region,
        accountId: account,
        assemblyDir: root,
        templatePath,
        template: JSON.parse(readFileSync(templatePath, 'utf8')) as Template,
        assets,
      });
    }
  }
  return stacks;
}

/** Reads the cloud assembly at `dir` into one model per regional stack. */
export function readAssembly(dir: string, options: ReadAssemblyOptions = {}): LocalAssembly {
  const stacks = listStacks(dir);
  const resolver = new AssemblyResolver(stacks, options);
  const tables = stacks.flatMap((stack) => readTables(stack, resolver));
  const regional = stacks.filter((stack) => {
    const types = Object.values(stack.template.Resources ?? {}).map((r) => r.Type);
    return types.includes('AWS::Lambda::Function') && !types.includes('AWS::DynamoDB::GlobalTable');
  });
  const regions = regional.map((stack) => new RegionReader(stack, resolver, tables).read());
  const seen = new Set<string>();
  for (const r of regions) {
    if (seen.has(r.region)) throw new Error(`readAssembly: two regional stacks in ${r.region} in ${dir}`);
    seen.add(r.region);
  }
  return { dir: path.resolve(dir), regions, tables };
}

/** Resolve contexts of every stack, with the cross-stack lookups between them. */
class AssemblyResolver {
  private readonly contexts = new Map<
    StackArtifact,
    ResolveContext & { dynamicReferences: DynamicReference[] }
  >();
  private readonly resolving = new Set<string>();

  constructor(
    readonly stacks: readonly StackArtifact[],
    private readonly options: ReadAssemblyOptions,
  ) {}

  context(stack: StackArtifact): ResolveContext & { dynamicReferences: DynamicReference[] } {
    let ctx = this.contexts.get(stack);
    if (!ctx) {
      ctx = {
        region: stack.region,
        accountId: this.options.accountId ?? stack.accountId,
        stackName: stack.stackName,
        resources: stack.template.Resources ?? {},
        parameters: stack.template.Parameters ?? {},
        naming: this.options.naming,
        dynamicReferences: [],
        stackOutput: (stackName, region, outputName) => {
          const other = this.stacks.find((s) => s.stackName === stackName && s.region === region);
          return other ? this.output(other, outputName) : undefined;
        },
        importValue: (exportName) => {
          for (const other of this.stacks) {
            for (const [name, output] of Object.entries(other.template.Outputs ?? {})) {
              if (!output.Export) continue;
              const otherCtx = this.context(other);
              if (
                resolveString(output.Export.Name, otherCtx, `$.Outputs.${name}.Export.Name`) === exportName
              ) {
                return this.output(other, name);
              }
            }
          }
          return undefined;
        },
      };
      this.contexts.set(stack, ctx);
    }
    return ctx;
  }

  output(stack: StackArtifact, name: string): string | undefined {
    const output = stack.template.Outputs?.[name];
    if (!output) return undefined;
    const key = `${stack.artifactId}/${name}`;
    if (this.resolving.has(key))
      throw new Error(`readAssembly: circular cross-stack reference through ${key}`);
    this.resolving.add(key);
    try {
      return resolveString(output.Value, this.context(stack), `${stack.stackName}:$.Outputs.${name}.Value`);
    } finally {
      this.resolving.delete(key);
    }
  }
}

function readTables(stack: StackArtifact, resolver: AssemblyResolver): TableModel[] {
  const ctx = resolver.context(stack);
  const tables: TableModel[] = [];
  for (const [logicalId, resource] of Object.entries(stack.template.Resources ?? {})) {
    if (resource.Type !== 'AWS::DynamoDB::GlobalTable' && resource.Type !== 'AWS::DynamoDB::Table') continue;
    const p = (resource.Properties ?? {}) as Record<string, unknown>;
    const at = `${stack.stackName}:$.Resources.${logicalId}.Properties`;
    const attributeTypes = new Map(
      (
        (resolve(p.AttributeDefinitions, ctx, `${at}.AttributeDefinitions`) ?? []) as Record<string, string>[]
      ).map((a) => [a.AttributeName!, a.AttributeType!]),
    );
    const keyOf = (schema: unknown): TableKey => {
      const keys = (schema ?? []) as Record<string, string>[];
      const part = (keyType: string) => {
        const name = keys.find((k) => k.KeyType === keyType)?.AttributeName;
        return name === undefined ? undefined : { name, type: attributeTypes.get(name) ?? 'S' };
      };
      const partitionKey = part('HASH');
      if (!partitionKey) throw new Error(`${at}: a key schema without a HASH key`);
      const sortKey = part('RANGE');
      return { partitionKey, ...(sortKey && { sortKey }) };
    };
    const ttl = resolve(p.TimeToLiveSpecification, ctx, `${at}.TimeToLiveSpecification`) as
      { AttributeName?: string; Enabled?: boolean } | undefined;
    const stream = resolve(p.StreamSpecification, ctx, `${at}.StreamSpecification`) as
      { StreamViewType?: string } | undefined;
    const replicas = (p.Replicas ?? []) as { Region: unknown }[];
    tables.push({
      logicalId,
      tableName: resolveString(p.TableName ?? logicalId, ctx, `${at}.TableName`),
      ...keyOf(resolve(p.KeySchema, ctx, `${at}.KeySchema`)),
      globalSecondaryIndexes: ((p.GlobalSecondaryIndexes ?? []) as Record<string, unknown>[]).map(
        (gsi, i) => ({
          indexName: resolveString(gsi.IndexName, ctx, `${at}.GlobalSecondaryIndexes[${i}].IndexName`),
          ...keyOf(resolve(gsi.KeySchema, ctx, `${at}.GlobalSecondaryIndexes[${i}].KeySchema`)),
          projection: String(
            (gsi.Projection as { ProjectionType?: string } | undefined)?.ProjectionType ?? 'ALL',
          ),
        }),
      ),
      ...(ttl?.Enabled && ttl.AttributeName && { ttlAttribute: ttl.AttributeName }),
      ...(stream?.StreamViewType && { streamViewType: stream.StreamViewType }),
      replicaRegions:
        resource.Type === 'AWS::DynamoDB::GlobalTable'
          ? replicas.map((r, i) => resolveString(r.Region, ctx, `${at}.Replicas[${i}].Region`))
          : [stack.region],
      stackName: stack.stackName,
    });
  }
  return tables;
}

/** `arn:partition:service:region:account:resource` → its parts (undefined when not an ARN). */
function parseArn(
  value: string,
): { service: string; region: string; resource: string; name: string } | undefined {
  const parts = value.split(':');
  if (parts[0] !== 'arn' || parts.length < 6) return undefined;
  const service = parts[2]!;
  const resource = parts.slice(5).join(':');
  const name =
    service === 'lambda' && parts[5] === 'function'
      ? parts[6]!
      : service === 'sqs' || service === 'sns'
        ? resource
        : resource.split(/[:/]/).filter(Boolean).pop()!;
  return { service, region: parts[3]!, resource, name };
}

const LAMBDA_TYPES = new Set(['AWS::Lambda::Function', 'AWS::Lambda::Alias', 'AWS::Lambda::Version']);

class RegionReader {
  private readonly ctx: ResolveContext & { dynamicReferences: DynamicReference[] };
  private readonly resources: Readonly<Record<string, TemplateResource>>;
  private arnIndex?: Map<string, string>;

  constructor(
    private readonly stack: StackArtifact,
    resolver: AssemblyResolver,
    private readonly tables: readonly TableModel[],
  ) {
    this.ctx = resolver.context(stack);
    this.resources = this.ctx.resources;
  }

  read(): RegionModel {
    const functions = this.functions();
    const api = this.api();
    const model: RegionModel = {
      region: this.stack.region,
      accountId: this.ctx.accountId,
      stackName: this.stack.stackName,
      templatePath: this.stack.templatePath,
      functions,
      ...(api && { api }),
      stateMachines: this.stateMachines(),
      rules: this.rules(),
      queues: this.queues(),
      eventSourceMappings: this.eventSourceMappings(functions),
      topics: this.topics(),
      eventBuses: this.eventBuses(),
      secrets: this.secrets(),
      experimentTemplates: this.experimentTemplates(),
      tables: this.tables.filter((t) => t.replicaRegions.includes(this.stack.region)),
      outputs: this.outputs(),
      dynamicReferences: this.ctx.dynamicReferences,
    };
    return model;
  }

  private of(type: string): [string, Record<string, unknown>, TemplateResource][] {
    return Object.entries(this.resources)
      .filter(([, r]) => r.Type === type)
      .map(([id, r]) => [id, r.Properties ?? {}, r]);
  }

  private at(logicalId: string, prop?: string): string {
    return `${this.stack.stackName}:$.Resources.${logicalId}.Properties${prop ? `.${prop}` : ''}`;
  }

  private str(value: unknown, at: string): string {
    return resolveString(value, this.ctx, at);
  }

  private num(value: unknown, fallback: number, at: string): number {
    if (value === undefined) return fallback;
    const n = Number(resolve(value, this.ctx, at));
    if (!Number.isFinite(n)) throw new IntrinsicError(at, `expected a number, got ${JSON.stringify(value)}`);
    return n;
  }

  /** The logical id behind a raw template value (a Ref or GetAtt, else a literal ARN of this stack). */
  private logicalIdOf(raw: unknown, resolved: string): string | undefined {
    if (raw && typeof raw === 'object' && !Array.isArray(raw)) {
      const o = raw as Record<string, unknown>;
      if (typeof o.Ref === 'string' && this.resources[o.Ref]) return o.Ref;
      const getAtt = o['Fn::GetAtt'];
      if (Array.isArray(getAtt) && typeof getAtt[0] === 'string' && this.resources[getAtt[0]])
        return getAtt[0];
      if (typeof getAtt === 'string' && this.resources[getAtt.split('.')[0]!]) return getAtt.split('.')[0];
    }
    return this.index().get(resolved);
  }

  /** Every resource's resolved Ref and Arn → its logical id. */
  private index(): Map<string, string> {
    if (this.arnIndex) return this.arnIndex;
    const index = new Map<string, string>();
    const quiet: ResolveContext = { ...this.ctx, dynamicReferences: [] };
    for (const logicalId of Object.keys(this.resources)) {
      for (const value of [{ Ref: logicalId }, { 'Fn::GetAtt': [logicalId, 'Arn'] }]) {
        try {
          const v = resolve(value, quiet);
          if (typeof v === 'string' && !index.has(v)) index.set(v, logicalId);
        } catch {
          // Resources without a local Ref or Arn are never targets.
        }
      }
    }
    this.arnIndex = index;
    return index;
  }

  private functionOf(logicalId: string | undefined): string | undefined {
    if (!logicalId) return undefined;
    const resource = this.resources[logicalId];
    if (resource?.Type === 'AWS::Lambda::Function') return logicalId;
    if (resource?.Type === 'AWS::Lambda::Alias' || resource?.Type === 'AWS::Lambda::Version') {
      const fn = resource.Properties?.FunctionName as { Ref?: string } | undefined;
      return fn?.Ref && this.resources[fn.Ref]?.Type === 'AWS::Lambda::Function' ? fn.Ref : undefined;
    }
    return undefined;
  }

  private ref(raw: unknown, at: string): ResourceRef {
    const arn = this.str(raw, at);
    const logicalId = this.logicalIdOf(raw, arn);
    const parsed = parseArn(arn);
    const functionLogicalId = this.functionOf(logicalId);
    return {
      arn,
      ...(logicalId && { logicalId, type: this.resources[logicalId]!.Type }),
      ...(functionLogicalId && { functionLogicalId }),
      ...(parsed && { region: parsed.region, name: parsed.name }),
    };
  }

  private functions(): FunctionModel[] {
    const aliases = this.of('AWS::Lambda::Alias');
    const invokeConfigs = this.of('AWS::Lambda::EventInvokeConfig');
    return this.of('AWS::Lambda::Function').map(([logicalId, p, resource]) => {
      const at = (prop?: string) => this.at(logicalId, prop);
      const variables =
        (p.Environment as { Variables?: Record<string, unknown> } | undefined)?.Variables ?? {};
      const environment: Record<string, string> = {};
      for (const [name, value] of Object.entries(variables)) {
        environment[name] = this.str(value, at(`Environment.Variables.${name}`));
      }
      const own = aliases.filter(
        ([, a]) => (a.FunctionName as { Ref?: string } | undefined)?.Ref === logicalId,
      );
      const invokeConfig = invokeConfigs.find(
        ([, c]) => (c.FunctionName as { Ref?: string } | undefined)?.Ref === logicalId,
      );
      const architectures = resolve(p.Architectures, this.ctx, at('Architectures')) as string[] | undefined;
      const functionName = this.str({ Ref: logicalId }, at('FunctionName'));
      const reserved = p.ReservedConcurrentExecutions;
      return {
        logicalId,
        functionName,
        arn: this.str({ 'Fn::GetAtt': [logicalId, 'Arn'] }, at()),
        handler: this.str(p.Handler, at('Handler')),
        runtime: this.str(p.Runtime, at('Runtime')),
        ...(architectures?.[0] && { architecture: architectures[0] }),
        timeoutSeconds: this.num(p.Timeout, 3, at('Timeout')),
        memoryMb: this.num(p.MemorySize, 128, at('MemorySize')),
        ...(reserved !== undefined && {
          reservedConcurrency: this.num(reserved, 0, at('ReservedConcurrentExecutions')),
        }),
        environment,
        assetPath: this.assetPath(logicalId, p, resource),
        bundled: resource.Metadata?.['aws:asset:is-bundled'] === true,
        aliasLogicalIds: own.map(([id]) => id),
        aliases: own.map(([id, a]) => ({
          logicalId: id,
          name: this.str(a.Name, this.at(id, 'Name')),
          arn: this.str({ Ref: id }, this.at(id)),
        })),
        ...(invokeConfig && { asyncInvoke: this.asyncInvoke(invokeConfig[0], invokeConfig[1]) }),
        ...(typeof resource.Metadata?.['aws:cdk:path'] === 'string' && {
          cdkPath: resource.Metadata['aws:cdk:path'],
        }),
      };
    });
  }

  private asyncInvoke(logicalId: string, p: Record<string, unknown>): FunctionModel['asyncInvoke'] {
    const destinations = (p.DestinationConfig ?? {}) as {
      OnFailure?: { Destination: unknown };
      OnSuccess?: { Destination: unknown };
    };
    return {
      ...(p.Qualifier !== undefined && { qualifier: this.str(p.Qualifier, this.at(logicalId, 'Qualifier')) }),
      ...(p.MaximumRetryAttempts !== undefined && {
        maximumRetryAttempts: this.num(p.MaximumRetryAttempts, 2, this.at(logicalId, 'MaximumRetryAttempts')),
      }),
      ...(p.MaximumEventAgeInSeconds !== undefined && {
        maximumEventAgeSeconds: this.num(
          p.MaximumEventAgeInSeconds,
          21600,
          this.at(logicalId, 'MaximumEventAgeInSeconds'),
        ),
      }),
      ...(destinations.OnFailure && {
        onFailure: this.ref(
          destinations.OnFailure.Destination,
          this.at(logicalId, 'DestinationConfig.OnFailure'),
        ),
      }),
      ...(destinations.OnSuccess && {
        onSuccess: this.ref(
          destinations.OnSuccess.Destination,
          this.at(logicalId, 'DestinationConfig.OnSuccess'),
        ),
      }),
    };
  }

  private assetPath(logicalId: string, p: Record<string, unknown>, resource: TemplateResource): string {
    const code = (p.Code ?? {}) as { S3Key?: unknown };
    if (typeof code.S3Key === 'string') {
      const hash = code.S3Key.replace(/\.[a-z]+$/, '');
      const fromManifest = this.stack.assets.get(hash);
      if (fromManifest) return fromManifest;
    }
    const metadataPath = resource.Metadata?.['aws:asset:path'];
    if (typeof metadataPath === 'string') return path.resolve(this.stack.assemblyDir, metadataPath);
    throw new IntrinsicError(
      this.at(logicalId, 'Code'),
      'no asset for the code in the asset manifest or metadata',
    );
  }

  private api(): ApiModel | undefined {
    const apis = this.of('AWS::ApiGateway::RestApi');
    if (apis.length === 0) return undefined;
    if (apis.length > 1) throw new Error(`${this.stack.stackName}: more than one REST API`);
    const [apiId, apiProps] = apis[0]!;
    const resourcePaths = new Map<string, string>();
    const pathOf = (raw: unknown, at: string): string => {
      const o = (raw ?? {}) as Record<string, unknown>;
      const getAtt = o['Fn::GetAtt'];
      if (Array.isArray(getAtt) && getAtt[0] === apiId && getAtt[1] === 'RootResourceId') return '';
      const id = o.Ref;
      if (typeof id !== 'string' || this.resources[id]?.Type !== 'AWS::ApiGateway::Resource') {
        throw new IntrinsicError(at, 'expected the API root or a Ref to an AWS::ApiGateway::Resource');
      }
      const known = resourcePaths.get(id);
      if (known !== undefined) return known;
      const props = this.resources[id]!.Properties ?? {};
      const full = `${pathOf(props.ParentId, this.at(id, 'ParentId'))}/${this.str(props.PathPart, this.at(id, 'PathPart'))}`;
      resourcePaths.set(id, full);
      return full;
    };

    const routes: RouteModel[] = this.of('AWS::ApiGateway::Method').map(([logicalId, p]) => {
      const integration = (p.Integration ?? {}) as { Type?: unknown; Uri?: unknown };
      const targets = collectRefs(integration.Uri).filter((id) =>
        LAMBDA_TYPES.has(this.resources[id]?.Type ?? ''),
      );
      const target = targets[0];
      const functionLogicalId = this.functionOf(target);
      if (!functionLogicalId) {
        throw new IntrinsicError(
          this.at(logicalId, 'Integration.Uri'),
          'the integration invokes no function of this stack',
        );
      }
      this.str(integration.Uri, this.at(logicalId, 'Integration.Uri'));
      const requestParameters = (resolve(
        p.RequestParameters,
        this.ctx,
        this.at(logicalId, 'RequestParameters'),
      ) ?? {}) as Record<string, boolean>;
      return {
        method: this.str(p.HttpMethod, this.at(logicalId, 'HttpMethod')),
        path: pathOf(p.ResourceId, this.at(logicalId, 'ResourceId')) || '/',
        functionLogicalId,
        ...(target && this.resources[target]?.Type === 'AWS::Lambda::Alias' && { aliasLogicalId: target }),
        integrationType: this.str(integration.Type ?? 'AWS_PROXY', this.at(logicalId, 'Integration.Type')),
        requestParameters,
        logicalId,
      };
    });

    const stages = this.of('AWS::ApiGateway::Stage');
    const stage = stages[0];
    const settings = ((stage?.[1].MethodSettings ?? []) as Record<string, unknown>[]).find(
      (s) => s.ResourcePath === '/*' && s.HttpMethod === '*',
    );
    return {
      logicalId: apiId,
      name: this.str(apiProps.Name ?? apiId, this.at(apiId, 'Name')),
      stageName: stage ? this.str(stage[1].StageName, this.at(stage[0], 'StageName')) : 'prod',
      routes,
      gatewayResponses: this.of('AWS::ApiGateway::GatewayResponse').map(([id, p]) => ({
        responseType: this.str(p.ResponseType, this.at(id, 'ResponseType')),
        ...(p.StatusCode !== undefined && { statusCode: this.str(p.StatusCode, this.at(id, 'StatusCode')) }),
        templates: (resolve(p.ResponseTemplates, this.ctx, this.at(id, 'ResponseTemplates')) ?? {}) as Record<
          string,
          string
        >,
      })),
      ...(settings && {
        throttling: {
          ...(settings.ThrottlingRateLimit !== undefined && {
            rateLimit: Number(settings.ThrottlingRateLimit),
          }),
          ...(settings.ThrottlingBurstLimit !== undefined && {
            burstLimit: Number(settings.ThrottlingBurstLimit),
          }),
        },
      }),
    };
  }

  private stateMachines(): StateMachineModel[] {
    return this.of('AWS::StepFunctions::StateMachine').map(([logicalId, p]) => {
      let definition: unknown;
      if (p.DefinitionString !== undefined) {
        const text = this.str(p.DefinitionString, this.at(logicalId, 'DefinitionString'));
        definition = JSON.parse(substitute(text, p.DefinitionSubstitutions, this, logicalId));
      } else if (p.Definition !== undefined) {
        const resolved = resolve(p.Definition, this.ctx, this.at(logicalId, 'Definition'));
        definition = JSON.parse(
          substitute(JSON.stringify(resolved), p.DefinitionSubstitutions, this, logicalId),
        );
      } else {
        throw new IntrinsicError(this.at(logicalId), 'a state machine without a definition in the template');
      }
      return {
        logicalId,
        name: this.str({ Ref: logicalId }, this.at(logicalId)).split(':').pop()!,
        arn: this.str({ Ref: logicalId }, this.at(logicalId)),
        type:
          p.StateMachineType === undefined
            ? 'STANDARD'
            : this.str(p.StateMachineType, this.at(logicalId, 'StateMachineType')),
        definition: definition as Record<string, unknown>,
      };
    });
  }

  /** Resolves `${name}` substitutions of a state machine (DefinitionSubstitutions). */
  resolveSubstitution(value: unknown, at: string): string {
    return this.str(value, at);
  }

  private rules(): RuleModel[] {
    return this.of('AWS::Events::Rule').map(([logicalId, p]) => {
      const at = (prop: string) => this.at(logicalId, prop);
      const pattern = resolve(p.EventPattern, this.ctx, at('EventPattern'));
      const targets = ((p.Targets ?? []) as Record<string, unknown>[]).map((t, i) => {
        const ref = this.ref(t.Arn, at(`Targets[${i}].Arn`));
        const dlq = (t.DeadLetterConfig as { Arn?: unknown } | undefined)?.Arn;
        const retry = t.RetryPolicy as Record<string, unknown> | undefined;
        return {
          id: this.str(t.Id, at(`Targets[${i}].Id`)),
          kind: targetKind(ref.arn, at(`Targets[${i}].Arn`)),
          ref,
          ...(dlq !== undefined && {
            deadLetterQueue: this.ref(dlq, at(`Targets[${i}].DeadLetterConfig.Arn`)),
          }),
          ...(retry && {
            retryPolicy: {
              ...(retry.MaximumRetryAttempts !== undefined && {
                maximumRetryAttempts: Number(retry.MaximumRetryAttempts),
              }),
              ...(retry.MaximumEventAgeInSeconds !== undefined && {
                maximumEventAgeSeconds: Number(retry.MaximumEventAgeInSeconds),
              }),
            },
          }),
          ...(t.Input !== undefined && { input: this.str(t.Input, at(`Targets[${i}].Input`)) }),
          ...(t.InputPath !== undefined && {
            inputPath: this.str(t.InputPath, at(`Targets[${i}].InputPath`)),
          }),
        };
      });
      const state = p.State === undefined ? 'ENABLED' : this.str(p.State, at('State'));
      return {
        logicalId,
        busName:
          p.EventBusName === undefined ? 'default' : busNameOf(this.str(p.EventBusName, at('EventBusName'))),
        ...(pattern !== undefined && {
          eventPattern: (typeof pattern === 'string' ? JSON.parse(pattern) : pattern) as Record<
            string,
            unknown
          >,
        }),
        ...(p.ScheduleExpression !== undefined && {
          scheduleExpression: this.str(p.ScheduleExpression, at('ScheduleExpression')),
        }),
        enabled: state === 'ENABLED',
        ...(p.Description !== undefined && { description: this.str(p.Description, at('Description')) }),
        targets,
      };
    });
  }

  private queues(): QueueModel[] {
    return this.of('AWS::SQS::Queue').map(([logicalId, p]) => {
      const at = (prop: string) => this.at(logicalId, prop);
      let redrive = resolve(p.RedrivePolicy, this.ctx, at('RedrivePolicy')) as
        string | { deadLetterTargetArn?: string; maxReceiveCount?: number | string } | undefined;
      if (typeof redrive === 'string') redrive = JSON.parse(redrive) as { deadLetterTargetArn?: string };
      let redriveModel: QueueModel['redrive'];
      if (redrive?.deadLetterTargetArn) {
        const raw = (p.RedrivePolicy as Record<string, unknown>).deadLetterTargetArn;
        const dlq = this.ref(raw ?? redrive.deadLetterTargetArn, at('RedrivePolicy.deadLetterTargetArn'));
        redriveModel = {
          ...(dlq.logicalId && { dlqLogicalId: dlq.logicalId }),
          dlqArn: dlq.arn,
          maxReceiveCount: Number(redrive.maxReceiveCount),
        };
      }
      return {
        logicalId,
        name: this.str({ 'Fn::GetAtt': [logicalId, 'QueueName'] }, this.at(logicalId)),
        arn: this.str({ 'Fn::GetAtt': [logicalId, 'Arn'] }, this.at(logicalId)),
        url: this.str({ Ref: logicalId }, this.at(logicalId)),
        visibilityTimeoutSeconds: this.num(p.VisibilityTimeout, 30, at('VisibilityTimeout')),
        messageRetentionSeconds: this.num(p.MessageRetentionPeriod, 345600, at('MessageRetentionPeriod')),
        delaySeconds: this.num(p.DelaySeconds, 0, at('DelaySeconds')),
        fifo: resolve(p.FifoQueue, this.ctx, at('FifoQueue')) === true,
        ...(redriveModel && { redrive: redriveModel }),
      };
    });
  }

  private eventSourceMappings(functions: readonly FunctionModel[]): EventSourceMappingModel[] {
    return this.of('AWS::Lambda::EventSourceMapping').map(([logicalId, p]) => {
      const at = (prop: string) => this.at(logicalId, prop);
      const fnValue = this.str(p.FunctionName, at('FunctionName'));
      const parts = fnValue.startsWith('arn:') ? fnValue.split(':').slice(6) : fnValue.split(':');
      const name = parts[0];
      const qualifier = parts[1];
      const fn = functions.find((f) => f.functionName === name || f.logicalId === name);
      if (!fn)
        throw new IntrinsicError(
          at('FunctionName'),
          `no function named ${fnValue} in ${this.stack.stackName}`,
        );
      const settings = (p.ScalingConfig ?? {}) as { MaximumConcurrency?: unknown };
      const responseTypes = (resolve(p.FunctionResponseTypes, this.ctx, at('FunctionResponseTypes')) ??
        []) as string[];
      return {
        logicalId,
        functionLogicalId: fn.logicalId,
        ...(qualifier && { qualifier }),
        source: this.ref(p.EventSourceArn, at('EventSourceArn')),
        batchSize: this.num(p.BatchSize, 10, at('BatchSize')),
        maximumBatchingWindowSeconds: this.num(
          p.MaximumBatchingWindowInSeconds,
          0,
          at('MaximumBatchingWindowInSeconds'),
        ),
        reportBatchItemFailures: responseTypes.includes('ReportBatchItemFailures'),
        ...(settings.MaximumConcurrency !== undefined && {
          maximumConcurrency: this.num(
            settings.MaximumConcurrency,
            0,
            at('ScalingConfig.MaximumConcurrency'),
          ),
        }),
        enabled: p.Enabled === undefined ? true : resolve(p.Enabled, this.ctx, at('Enabled')) !== false,
      };
    });
  }

  private topics(): TopicModel[] {
    const subscriptions = this.of('AWS::SNS::Subscription');
    return this.of('AWS::SNS::Topic').map(([logicalId]) => {
      const arn = this.str({ Ref: logicalId }, this.at(logicalId));
      return {
        logicalId,
        name: this.str({ 'Fn::GetAtt': [logicalId, 'TopicName'] }, this.at(logicalId)),
        arn,
        subscriptions: subscriptions
          .filter(([id, s]) => this.str(s.TopicArn, this.at(id, 'TopicArn')) === arn)
          .map(([id, s]) => ({
            logicalId: id,
            protocol: this.str(s.Protocol, this.at(id, 'Protocol')),
            endpoint: this.str(s.Endpoint, this.at(id, 'Endpoint')),
          })),
      };
    });
  }

  private eventBuses(): EventBusModel[] {
    return this.of('AWS::Events::EventBus').map(([logicalId]) => ({
      logicalId,
      name: this.str({ Ref: logicalId }, this.at(logicalId)),
      arn: this.str({ 'Fn::GetAtt': [logicalId, 'Arn'] }, this.at(logicalId)),
    }));
  }

  private secrets(): SecretModel[] {
    return this.of('AWS::SecretsManager::Secret').map(([logicalId, p]) => {
      const arn = this.str({ Ref: logicalId }, this.at(logicalId));
      const generate = resolve(p.GenerateSecretString, this.ctx, this.at(logicalId, 'GenerateSecretString'));
      return {
        logicalId,
        name: parseArn(arn)?.name ?? arn,
        arn,
        ...(generate !== undefined && { generate: generate as Record<string, unknown> }),
        ...(p.SecretString !== undefined && {
          secretString: this.str(p.SecretString, this.at(logicalId, 'SecretString')),
        }),
      };
    });
  }

  private experimentTemplates(): ExperimentTemplateModel[] {
    return this.of('AWS::FIS::ExperimentTemplate').map(([logicalId, p]) => {
      const at = this.at(logicalId);
      const props = resolve(p, this.ctx, at) as {
        Description?: string;
        RoleArn?: string;
        Targets?: Record<string, { ResourceType: string; ResourceArns?: string[]; SelectionMode: string }>;
        Actions?: Record<
          string,
          {
            ActionId: string;
            Description?: string;
            Parameters?: Record<string, string>;
            Targets?: Record<string, string>;
            StartAfter?: string[];
          }
        >;
        StopConditions?: { Source: string; Value?: string }[];
        Tags?: Record<string, string>;
      };
      const map = <T, U>(o: Record<string, T> | undefined, f: (v: T) => U): Record<string, U> =>
        Object.fromEntries(Object.entries(o ?? {}).map(([k, v]) => [k, f(v)]));
      return {
        logicalId,
        description: props.Description ?? '',
        roleArn: props.RoleArn ?? '',
        targets: map(props.Targets, (t) => ({
          resourceType: t.ResourceType,
          resourceArns: t.ResourceArns ?? [],
          selectionMode: t.SelectionMode,
        })),
        actions: map(props.Actions, (a) => ({
          actionId: a.ActionId,
          ...(a.Description !== undefined && { description: a.Description }),
          parameters: a.Parameters ?? {},
          targets: a.Targets ?? {},
          ...(a.StartAfter && { startAfter: a.StartAfter }),
        })),
        stopConditions: (props.StopConditions ?? []).map((c) => ({
          source: c.Source,
          ...(c.Value !== undefined && { value: c.Value }),
        })),
        tags: props.Tags ?? {},
      };
    });
  }

  private outputs(): Record<string, OutputModel> {
    const outputs: Record<string, OutputModel> = {};
    for (const [name, output] of Object.entries(this.stack.template.Outputs ?? {})) {
      const at = `${this.stack.stackName}:$.Outputs.${name}`;
      outputs[name] = {
        value: this.str(output.Value, `${at}.Value`),
        ...(output.Description !== undefined && { description: output.Description }),
        ...(output.Export && { exportName: this.str(output.Export.Name, `${at}.Export.Name`) }),
      };
    }
    return outputs;
  }
}

/** The logical ids every `Ref` and `Fn::GetAtt` in a raw value names. */
function collectRefs(raw: unknown, acc: string[] = []): string[] {
  if (Array.isArray(raw)) raw.forEach((v) => collectRefs(v, acc));
  else if (raw && typeof raw === 'object') {
    const o = raw as Record<string, unknown>;
    if (typeof o.Ref === 'string') acc.push(o.Ref);
    const getAtt = o['Fn::GetAtt'];
    if (Array.isArray(getAtt) && typeof getAtt[0] === 'string') acc.push(getAtt[0]);
    for (const v of Object.values(o)) collectRefs(v, acc);
  }
  return acc;
}

function substitute(text: string, substitutions: unknown, reader: RegionReader, logicalId: string): string {
  if (substitutions === undefined) return text;
  const vars = substitutions as Record<string, unknown>;
  return text.replace(/\$\{([^}]+)\}/g, (whole, name: string) =>
    name in vars
      ? reader.resolveSubstitution(vars[name], `${logicalId}.DefinitionSubstitutions.${name}`)
      : whole,
  );
}

/** A rule's `EventBusName` may be a name or an ARN. */
function busNameOf(value: string): string {
  return value.startsWith('arn:') ? (parseArn(value)?.name ?? value) : value;
}

function targetKind(arn: string, at: string): RuleTargetKind {
  const parsed = parseArn(arn);
  switch (parsed?.service) {
    case 'lambda':
      return 'lambda';
    case 'sqs':
      return 'sqs';
    case 'states':
      return 'states';
    case 'sns':
      return 'sns';
    case 'events':
      if (parsed.resource.startsWith('event-bus/')) return 'event-bus';
  }
  throw new IntrinsicError(at, `a rule target the local runtime does not serve: ${arn}`);
}

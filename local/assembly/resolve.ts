/**
 * A small resolver for the CloudFormation intrinsics CDK emits, evaluated against one stack of the
 * cloud assembly and mapped to local names, ARNs and URLs.
 *
 * Supported: `Ref` (resources, parameters with a default, pseudo parameters), `Fn::GetAtt` (both forms),
 * `Fn::Join`, `Fn::Sub` (string and `[string, variables]` forms), `Fn::Select`, `Fn::Split`,
 * `Fn::GetStackOutput` and `Fn::ImportValue` (through the caller's cross-stack lookups), and the pseudo
 * parameters `AWS::Region`, `AWS::AccountId`, `AWS::Partition`, `AWS::URLSuffix`, `AWS::StackName`,
 * `AWS::StackId`, `AWS::NoValue`. Dynamic references (`{{resolve:...}}`) are left as they are and reported.
 * Anything else throws an {@link IntrinsicError} naming the path of the value.
 */

/** A resource of a template, as CloudFormation reads it. */
export interface TemplateResource {
  readonly Type: string;
  readonly Properties?: Record<string, unknown>;
  readonly Metadata?: Record<string, unknown>;
  readonly DependsOn?: string | string[];
}

/** A template's parameter. */
export interface TemplateParameter {
  readonly Type?: string;
  readonly Default?: unknown;
}

/** A template resource as the naming callback sees it. */
export interface ResourceInfo {
  readonly logicalId: string;
  readonly type: string;
  readonly properties: Record<string, unknown>;
  readonly region: string;
  readonly accountId: string;
  readonly partition: string;
  readonly urlSuffix: string;
  readonly stackName: string;
  /** Resolves a property of this resource (for names that are themselves intrinsics). */
  readonly property: (name: string) => unknown;
}

/**
 * Maps template resources to local physical values. Each method returns `undefined` to fall back to the
 * default ({@link defaultRef}, {@link defaultGetAtt}).
 */
export interface LocalNaming {
  /** What `{ Ref: logicalId }` of this resource is locally. */
  ref?(resource: ResourceInfo): string | undefined;
  /** What `{ 'Fn::GetAtt': [logicalId, attribute] }` of this resource is locally. */
  getAtt?(resource: ResourceInfo, attribute: string): string | undefined;
}

/** One dynamic reference found while resolving (left as-is in the result). */
export interface DynamicReference {
  readonly path: string;
  readonly value: string;
}

/** Everything the resolver needs to evaluate the values of one stack. */
export interface ResolveContext {
  readonly region: string;
  readonly accountId: string;
  /** @default 'aws' */
  readonly partition?: string;
  /** @default 'amazonaws.com' */
  readonly urlSuffix?: string;
  readonly stackName: string;
  /** The stack's resources, by logical id. */
  readonly resources: Readonly<Record<string, TemplateResource>>;
  /** The stack's parameters: a `Ref` to one resolves to its `Default`. */
  readonly parameters?: Readonly<Record<string, TemplateParameter>>;
  /** Overrides of the default local naming. */
  readonly naming?: LocalNaming;
  /** `Fn::GetStackOutput`: the value of another stack's output (already resolved). */
  readonly stackOutput?: (stackName: string, region: string, outputName: string) => string | undefined;
  /** `Fn::ImportValue`: the value of an export of the assembly (already resolved). */
  readonly importValue?: (exportName: string) => string | undefined;
  /** Where dynamic references found are recorded; none are recorded without it. */
  readonly dynamicReferences?: DynamicReference[];
}

/** A value the resolver cannot evaluate; `path` locates it (`$.Resources.X.Properties.Y[0]`). */
export class IntrinsicError extends Error {
  readonly path: string;
  constructor(path: string, reason: string) {
    super(`${path}: ${reason}`);
    this.name = 'IntrinsicError';
    this.path = path;
  }
}

/** The marker `AWS::NoValue` resolves to: removed from objects and arrays. */
const NO_VALUE = Symbol('AWS::NoValue');

const DYNAMIC_REFERENCE = /\{\{resolve:[^}]+\}\}/;

/** Resolves every intrinsic in `value`; `path` names it in errors and reports. */
export function resolve(value: unknown, ctx: ResolveContext, path = '$'): unknown {
  const out = evaluate(value, ctx, path);
  return out === NO_VALUE ? undefined : out;
}

/** {@link resolve} for a value that must come out as a string. */
export function resolveString(value: unknown, ctx: ResolveContext, path = '$'): string {
  const out = resolve(value, ctx, path);
  if (typeof out === 'string') return out;
  if (typeof out === 'number' || typeof out === 'boolean') return String(out);
  throw new IntrinsicError(path, `expected a string, got ${JSON.stringify(out)}`);
}

function evaluate(value: unknown, ctx: ResolveContext, path: string): unknown {
  if (typeof value === 'string') {
    if (DYNAMIC_REFERENCE.test(value)) ctx.dynamicReferences?.push({ path, value });
    return value;
  }
  if (Array.isArray(value)) {
    return value.map((v, i) => evaluate(v, ctx, `${path}[${i}]`)).filter((v) => v !== NO_VALUE);
  }
  if (value === null || typeof value !== 'object') return value;
  const obj = value as Record<string, unknown>;
  const keys = Object.keys(obj);
  if (keys.length === 1) {
    const key = keys[0]!;
    if (key === 'Ref' || key.startsWith('Fn::')) return intrinsic(key, obj[key], ctx, `${path}.${key}`);
  }
  const out: Record<string, unknown> = {};
  for (const key of keys) {
    const v = evaluate(obj[key], ctx, `${path}.${key}`);
    if (v !== NO_VALUE) out[key] = v;
  }
  return out;
}

function intrinsic(name: string, arg: unknown, ctx: ResolveContext, path: string): unknown {
  switch (name) {
    case 'Ref':
      if (typeof arg !== 'string') throw new IntrinsicError(path, 'Ref takes a logical id or parameter name');
      return ref(arg, ctx, path);
    case 'Fn::GetAtt': {
      const [logicalId, attribute] = getAttArgs(arg, ctx, path);
      return getAtt(logicalId, attribute, ctx, path);
    }
    case 'Fn::Join': {
      if (!Array.isArray(arg) || arg.length !== 2 || typeof arg[0] !== 'string') {
        throw new IntrinsicError(path, 'Fn::Join takes [delimiter, [values]]');
      }
      const list = evaluate(arg[1], ctx, `${path}[1]`);
      if (!Array.isArray(list)) throw new IntrinsicError(path, 'Fn::Join: the values must be a list');
      return list.map((v, i) => scalar(v, `${path}[1][${i}]`)).join(arg[0]);
    }
    case 'Fn::Sub':
      return sub(arg, ctx, path);
    case 'Fn::Select': {
      if (!Array.isArray(arg) || arg.length !== 2)
        throw new IntrinsicError(path, 'Fn::Select takes [index, list]');
      const index = Number(evaluate(arg[0], ctx, `${path}[0]`));
      const list = evaluate(arg[1], ctx, `${path}[1]`);
      if (!Array.isArray(list))
        throw new IntrinsicError(path, 'Fn::Select: the second argument must be a list');
      if (!Number.isInteger(index) || index < 0 || index >= list.length) {
        throw new IntrinsicError(
          path,
          `Fn::Select: index ${String(arg[0])} is out of range (${list.length})`,
        );
      }
      return list[index];
    }
    case 'Fn::Split': {
      if (!Array.isArray(arg) || arg.length !== 2 || typeof arg[0] !== 'string') {
        throw new IntrinsicError(path, 'Fn::Split takes [delimiter, string]');
      }
      return scalar(evaluate(arg[1], ctx, `${path}[1]`), `${path}[1]`).split(arg[0]);
    }
    case 'Fn::GetStackOutput': {
      const spec = evaluate(arg, ctx, path) as Record<string, unknown> | null;
      const stackName = spec?.StackName;
      const outputName = spec?.OutputName;
      const region = spec?.Region ?? ctx.region;
      if (typeof stackName !== 'string' || typeof outputName !== 'string' || typeof region !== 'string') {
        throw new IntrinsicError(path, 'Fn::GetStackOutput takes { StackName, OutputName, Region? }');
      }
      const out = ctx.stackOutput?.(stackName, region, outputName);
      if (out === undefined) {
        throw new IntrinsicError(path, `no output ${outputName} of stack ${stackName} in ${region}`);
      }
      return out;
    }
    case 'Fn::ImportValue': {
      const exportName = scalar(evaluate(arg, ctx, path), path);
      const out = ctx.importValue?.(exportName);
      if (out === undefined) throw new IntrinsicError(path, `no export named ${exportName}`);
      return out;
    }
    default:
      throw new IntrinsicError(path, `unsupported intrinsic ${name}`);
  }
}

function scalar(value: unknown, path: string): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  throw new IntrinsicError(path, `expected a string, got ${JSON.stringify(value)}`);
}

function getAttArgs(arg: unknown, ctx: ResolveContext, path: string): [string, string] {
  if (typeof arg === 'string') {
    const dot = arg.indexOf('.');
    if (dot > 0) return [arg.slice(0, dot), arg.slice(dot + 1)];
  } else if (Array.isArray(arg) && arg.length === 2 && typeof arg[0] === 'string') {
    return [arg[0], scalar(evaluate(arg[1], ctx, `${path}[1]`), `${path}[1]`)];
  }
  throw new IntrinsicError(path, 'Fn::GetAtt takes [logicalId, attribute] or "logicalId.attribute"');
}

function sub(arg: unknown, ctx: ResolveContext, path: string): string {
  let template: unknown = arg;
  let variables: Record<string, unknown> = {};
  if (Array.isArray(arg)) {
    if (arg.length !== 2 || typeof arg[1] !== 'object' || arg[1] === null) {
      throw new IntrinsicError(path, 'Fn::Sub takes a string or [string, { variables }]');
    }
    template = arg[0];
    variables = arg[1] as Record<string, unknown>;
  }
  if (typeof template !== 'string') throw new IntrinsicError(path, 'Fn::Sub: the template must be a string');
  if (DYNAMIC_REFERENCE.test(template)) ctx.dynamicReferences?.push({ path, value: template });
  return template.replace(/\$\{([^}]*)\}/g, (whole, name: string) => {
    if (name.startsWith('!')) return `\${${name.slice(1)}}`;
    if (name in variables) return scalar(evaluate(variables[name], ctx, `${path}[1].${name}`), path);
    const dot = name.indexOf('.');
    if (dot > 0 && !name.startsWith('AWS::')) {
      return scalar(getAtt(name.slice(0, dot), name.slice(dot + 1), ctx, `${path}(${whole})`), path);
    }
    return scalar(ref(name, ctx, `${path}(${whole})`), path);
  });
}

function partitionOf(ctx: ResolveContext): string {
  return ctx.partition ?? 'aws';
}

function urlSuffixOf(ctx: ResolveContext): string {
  return ctx.urlSuffix ?? 'amazonaws.com';
}

function ref(name: string, ctx: ResolveContext, path: string): unknown {
  switch (name) {
    case 'AWS::Region':
      return ctx.region;
    case 'AWS::AccountId':
      return ctx.accountId;
    case 'AWS::Partition':
      return partitionOf(ctx);
    case 'AWS::URLSuffix':
      return urlSuffixOf(ctx);
    case 'AWS::StackName':
      return ctx.stackName;
    case 'AWS::StackId':
      return `arn:${partitionOf(ctx)}:cloudformation:${ctx.region}:${ctx.accountId}:stack/${ctx.stackName}/local`;
    case 'AWS::NoValue':
      return NO_VALUE;
  }
  const parameter = ctx.parameters?.[name];
  if (parameter) {
    if (parameter.Default === undefined) throw new IntrinsicError(path, `parameter ${name} has no default`);
    return parameter.Default;
  }
  const info = resourceInfo(name, ctx, path);
  return ctx.naming?.ref?.(info) ?? defaultRef(info, ctx, path);
}

function getAtt(logicalId: string, attribute: string, ctx: ResolveContext, path: string): string {
  const info = resourceInfo(logicalId, ctx, path);
  return ctx.naming?.getAtt?.(info, attribute) ?? defaultGetAtt(info, attribute, ctx, path);
}

function resourceInfo(logicalId: string, ctx: ResolveContext, path: string): ResourceInfo {
  const resource = ctx.resources[logicalId];
  if (!resource) throw new IntrinsicError(path, `no resource or parameter ${logicalId} in ${ctx.stackName}`);
  const properties = resource.Properties ?? {};
  return {
    logicalId,
    type: resource.Type,
    properties,
    region: ctx.region,
    accountId: ctx.accountId,
    partition: partitionOf(ctx),
    urlSuffix: urlSuffixOf(ctx),
    stackName: ctx.stackName,
    property: (prop) => resolve(properties[prop], ctx, `${path}<${logicalId}.${prop}>`),
  };
}

/** The property holding each resource type's explicit physical name. */
const NAME_PROPERTY: Record<string, string> = {
  'AWS::Lambda::Function': 'FunctionName',
  'AWS::SQS::Queue': 'QueueName',
  'AWS::SNS::Topic': 'TopicName',
  'AWS::Events::EventBus': 'Name',
  'AWS::Events::Rule': 'Name',
  'AWS::StepFunctions::StateMachine': 'StateMachineName',
  'AWS::DynamoDB::Table': 'TableName',
  'AWS::DynamoDB::GlobalTable': 'TableName',
  'AWS::SecretsManager::Secret': 'Name',
  'AWS::Logs::LogGroup': 'LogGroupName',
  'AWS::IAM::Role': 'RoleName',
  'AWS::ApiGateway::RestApi': 'Name',
  'AWS::CodeDeploy::Application': 'ApplicationName',
  'AWS::CodeDeploy::DeploymentGroup': 'DeploymentGroupName',
  'AWS::CloudWatch::Alarm': 'AlarmName',
  'AWS::Events::Archive': 'ArchiveName',
};

/** The physical name of a resource: its explicit name property, else its logical id. */
export function physicalName(info: ResourceInfo): string {
  const prop = NAME_PROPERTY[info.type];
  const explicit = prop ? info.property(prop) : undefined;
  return typeof explicit === 'string' ? explicit : info.logicalId;
}

function arn(info: ResourceInfo, service: string, resource: string, regional = true): string {
  return `arn:${info.partition}:${service}:${regional ? info.region : ''}:${info.accountId}:${resource}`;
}

function lambdaArn(info: ResourceInfo, functionRef: unknown, qualifier: string): string {
  const name = String(functionRef);
  const fn = name.startsWith('arn:') ? name : arn(info, 'lambda', `function:${name}`);
  return `${fn}:${qualifier}`;
}

/** The local `Ref` of a resource when the naming callback has none. */
export function defaultRef(info: ResourceInfo, ctx: ResolveContext, path: string): string {
  const name = physicalName(info);
  switch (info.type) {
    case 'AWS::Lambda::Alias':
      return lambdaArn(info, info.property('FunctionName'), String(info.property('Name')));
    case 'AWS::Lambda::Version':
      return lambdaArn(info, info.property('FunctionName'), '1');
    case 'AWS::SQS::Queue':
      return defaultGetAtt(info, 'QueueUrl', ctx, path);
    case 'AWS::SNS::Topic':
    case 'AWS::StepFunctions::StateMachine':
    case 'AWS::SecretsManager::Secret':
    case 'AWS::CloudWatch::Alarm':
      return defaultGetAtt(info, 'Arn', ctx, path);
    case 'AWS::ApiGateway::Stage':
      return String(info.property('StageName'));
    default:
      return name;
  }
}

/** The local `Fn::GetAtt` of a resource when the naming callback has none. */
export function defaultGetAtt(
  info: ResourceInfo,
  attribute: string,
  ctx: ResolveContext,
  path: string,
): string {
  const name = physicalName(info);
  const key = `${info.type}.${attribute}`;
  switch (key) {
    case 'AWS::Lambda::Function.Arn':
      return arn(info, 'lambda', `function:${name}`);
    case 'AWS::Lambda::Version.Version':
      return '1';
    case 'AWS::Lambda::Alias.AliasArn':
      return defaultRef(info, ctx, path);
    case 'AWS::SQS::Queue.Arn':
      return arn(info, 'sqs', name);
    case 'AWS::SQS::Queue.QueueName':
      return name;
    case 'AWS::SQS::Queue.QueueUrl':
      return `https://sqs.${info.region}.${info.urlSuffix}/${info.accountId}/${name}`;
    case 'AWS::SNS::Topic.TopicArn':
    case 'AWS::SNS::Topic.Arn':
      return arn(info, 'sns', name);
    case 'AWS::SNS::Topic.TopicName':
      return name;
    case 'AWS::Events::EventBus.Arn':
      return arn(info, 'events', `event-bus/${name}`);
    case 'AWS::Events::EventBus.Name':
      return name;
    case 'AWS::Events::Rule.Arn':
      return arn(info, 'events', `rule/${name}`);
    case 'AWS::Events::Archive.Arn':
      return arn(info, 'events', `archive/${name}`);
    case 'AWS::StepFunctions::StateMachine.Arn':
      return arn(info, 'states', `stateMachine:${name}`);
    case 'AWS::StepFunctions::StateMachine.Name':
      return name;
    case 'AWS::DynamoDB::Table.Arn':
    case 'AWS::DynamoDB::GlobalTable.Arn':
      return arn(info, 'dynamodb', `table/${name}`);
    case 'AWS::DynamoDB::Table.StreamArn':
    case 'AWS::DynamoDB::GlobalTable.StreamArn':
      return arn(info, 'dynamodb', `table/${name}/stream/local`);
    case 'AWS::SecretsManager::Secret.Id':
    case 'AWS::SecretsManager::Secret.Arn':
      return arn(info, 'secretsmanager', `secret:${name}`);
    case 'AWS::Logs::LogGroup.Arn':
      return arn(info, 'logs', `log-group:${name}:*`);
    case 'AWS::IAM::Role.Arn':
      return arn(info, 'iam', `role/${name}`, false);
    case 'AWS::KMS::Key.Arn':
      return arn(info, 'kms', `key/${name}`);
    case 'AWS::KMS::Key.KeyId':
      return name;
    case 'AWS::ApiGateway::RestApi.RootResourceId':
      return `${name}-root`;
    case 'AWS::CloudWatch::Alarm.Arn':
      return arn(info, 'cloudwatch', `alarm:${name}`);
    default:
      throw new IntrinsicError(
        path,
        `no local value for Fn::GetAtt ${info.logicalId}.${attribute} (${info.type})`,
      );
  }
}

/**
 * A naming whose queue URLs point at local endpoints: `endpoint(service, region)` returns e.g.
 * `http://127.0.0.1:4101` for `sqs` in a region (or `undefined` to keep the AWS-shaped default), and a
 * queue's URL becomes `<endpoint>/<account>/<queue name>`. ARNs keep the default local shape.
 */
export function endpointNaming(
  endpoint: (service: string, region: string) => string | undefined,
): LocalNaming {
  return {
    getAtt(info, attribute) {
      if (info.type !== 'AWS::SQS::Queue' || attribute !== 'QueueUrl') return undefined;
      const base = endpoint('sqs', info.region);
      return base === undefined
        ? undefined
        : `${base.replace(/\/$/, '')}/${info.accountId}/${physicalName(info)}`;
    },
    ref(info) {
      return info.type === 'AWS::SQS::Queue' ? this.getAtt?.(info, 'QueueUrl') : undefined;
    },
  };
}

/** The typed model of the local environment's cloud assembly that the local runtime serves. */
import type { DynamicReference } from './resolve';

/** A resource named by a template value: its resolved ARN (or URL/name), and what it is when known. */
export interface ResourceRef {
  /** The resolved value (an ARN for targets and destinations). */
  readonly arn: string;
  /** The logical id, when the resource is in the same stack. */
  readonly logicalId?: string;
  /** The resource type, when the resource is in the same stack. */
  readonly type?: string;
  /** For a Lambda function, alias or version: the logical id of the function. */
  readonly functionLogicalId?: string;
  /** The region named by the ARN. */
  readonly region?: string;
  /** The last part of the ARN's resource (function, queue, bus, state machine name). */
  readonly name?: string;
}

export interface FunctionModel {
  readonly logicalId: string;
  /** The local function name (`FunctionName`, else the logical id). */
  readonly functionName?: string;
  readonly arn: string;
  /** `file.export` in the bundle, e.g. `index.api`. */
  readonly handler: string;
  readonly runtime: string;
  readonly architecture?: string;
  readonly timeoutSeconds: number;
  readonly memoryMb: number;
  readonly reservedConcurrency?: number;
  /** The environment variables, every intrinsic resolved to local values. */
  readonly environment: Readonly<Record<string, string>>;
  /** Absolute path of the code directory (the esbuild bundle when bundling ran). */
  readonly assetPath: string;
  /** Whether the asset is a bundle (`aws:asset:is-bundled`). */
  readonly bundled: boolean;
  /** The aliases of the function (`live`), by logical id. */
  readonly aliasLogicalIds: readonly string[];
  readonly aliases: readonly { readonly logicalId: string; readonly name: string; readonly arn: string }[];
  /** The asynchronous invocation configuration (EventInvokeConfig), when there is one. */
  readonly asyncInvoke?: {
    readonly qualifier?: string;
    readonly maximumRetryAttempts?: number;
    readonly maximumEventAgeSeconds?: number;
    readonly onFailure?: ResourceRef;
    readonly onSuccess?: ResourceRef;
  };
  /** `aws:cdk:path` of the resource. */
  readonly cdkPath?: string;
}

export interface RouteModel {
  readonly method: string;
  /** The resource path, e.g. `/orders/{id}`. */
  readonly path: string;
  readonly functionLogicalId: string;
  /** The alias the integration invokes, when it invokes one. */
  readonly aliasLogicalId?: string;
  readonly integrationType: string;
  /** `method.request.path.id` → required. */
  readonly requestParameters: Readonly<Record<string, boolean>>;
  readonly logicalId: string;
}

export interface ApiModel {
  readonly logicalId: string;
  readonly name: string;
  readonly stageName: string;
  readonly routes: readonly RouteModel[];
  /** Gateway-made answers (`MISSING_AUTHENTICATION_TOKEN` → 404, …). */
  readonly gatewayResponses: readonly {
    readonly responseType: string;
    readonly statusCode?: string;
    readonly templates: Readonly<Record<string, string>>;
  }[];
  /** Stage throttling (`/*` method settings), when set. */
  readonly throttling?: { readonly rateLimit?: number; readonly burstLimit?: number };
}

export interface StateMachineModel {
  readonly logicalId: string;
  readonly name: string;
  readonly arn: string;
  readonly type: string;
  /** The Amazon States Language definition, every intrinsic resolved. */
  readonly definition: Record<string, unknown>;
}

export type RuleTargetKind = 'lambda' | 'sqs' | 'states' | 'event-bus' | 'sns';

export interface RuleTargetModel {
  readonly id: string;
  readonly kind: RuleTargetKind;
  readonly ref: ResourceRef;
  readonly deadLetterQueue?: ResourceRef;
  readonly retryPolicy?: { readonly maximumRetryAttempts?: number; readonly maximumEventAgeSeconds?: number };
  readonly input?: string;
  readonly inputPath?: string;
}

export interface RuleModel {
  readonly logicalId: string;
  /** The bus the rule is on (`default` for schedules). */
  readonly busName: string;
  readonly eventPattern?: Record<string, unknown>;
  readonly scheduleExpression?: string;
  readonly enabled: boolean;
  readonly description?: string;
  readonly targets: readonly RuleTargetModel[];
}

export interface QueueModel {
  readonly logicalId: string;
  readonly name: string;
  readonly arn: string;
  readonly url: string;
  readonly visibilityTimeoutSeconds: number;
  readonly messageRetentionSeconds: number;
  readonly delaySeconds: number;
  readonly fifo: boolean;
  readonly redrive?: {
    readonly dlqLogicalId?: string;
    readonly dlqArn: string;
    readonly maxReceiveCount: number;
  };
}

export interface EventSourceMappingModel {
  readonly logicalId: string;
  readonly functionLogicalId: string;
  /** The qualifier invoked (`live`), when the mapping names one. */
  readonly qualifier?: string;
  readonly source: ResourceRef;
  readonly batchSize: number;
  readonly maximumBatchingWindowSeconds: number;
  readonly reportBatchItemFailures: boolean;
  readonly maximumConcurrency?: number;
  readonly enabled: boolean;
}

export interface TopicModel {
  readonly logicalId: string;
  readonly name: string;
  readonly arn: string;
  readonly subscriptions: readonly {
    readonly logicalId: string;
    readonly protocol: string;
    readonly endpoint: string;
  }[];
}

export interface EventBusModel {
  readonly logicalId: string;
  readonly name: string;
  readonly arn: string;
}

export interface SecretModel {
  readonly logicalId: string;
  readonly name: string;
  readonly arn: string;
  /** `GenerateSecretString` as in the template (the local runtime generates the value). */
  readonly generate?: Readonly<Record<string, unknown>>;
  readonly secretString?: string;
}

/** An AWS FIS experiment template (`AWS::FIS::ExperimentTemplate`), intrinsics resolved. */
export interface ExperimentTemplateModel {
  readonly logicalId: string;
  readonly description: string;
  readonly roleArn: string;
  readonly targets: Readonly<
    Record<
      string,
      {
        readonly resourceType: string;
        readonly resourceArns: readonly string[];
        readonly selectionMode: string;
      }
    >
  >;
  readonly actions: Readonly<
    Record<
      string,
      {
        readonly actionId: string;
        readonly description?: string;
        readonly parameters: Readonly<Record<string, string>>;
        readonly targets: Readonly<Record<string, string>>;
        readonly startAfter?: readonly string[];
      }
    >
  >;
  readonly stopConditions: readonly { readonly source: string; readonly value?: string }[];
  readonly tags: Readonly<Record<string, string>>;
}

export interface TableKey {
  readonly partitionKey: { readonly name: string; readonly type: string };
  readonly sortKey?: { readonly name: string; readonly type: string };
}

export interface TableModel extends TableKey {
  readonly logicalId: string;
  readonly tableName: string;
  readonly globalSecondaryIndexes: readonly (TableKey & {
    readonly indexName: string;
    readonly projection: string;
  })[];
  readonly ttlAttribute?: string;
  readonly streamViewType?: string;
  /** Every region holding a replica. */
  readonly replicaRegions: readonly string[];
  /** The stack that defines it (the Global Tables stack). */
  readonly stackName: string;
}

export interface OutputModel {
  readonly value: string;
  readonly description?: string;
  readonly exportName?: string;
}

export interface RegionModel {
  readonly region: string;
  readonly accountId: string;
  readonly stackName: string;
  /** Absolute path of the stack's template. */
  readonly templatePath: string;
  readonly functions: readonly FunctionModel[];
  readonly api?: ApiModel;
  readonly stateMachines: readonly StateMachineModel[];
  readonly rules: readonly RuleModel[];
  readonly queues: readonly QueueModel[];
  readonly eventSourceMappings: readonly EventSourceMappingModel[];
  readonly topics: readonly TopicModel[];
  readonly eventBuses: readonly EventBusModel[];
  readonly secrets: readonly SecretModel[];
  readonly experimentTemplates: readonly ExperimentTemplateModel[];
  /** The tables with a replica in this region. */
  readonly tables: readonly TableModel[];
  readonly outputs: Readonly<Record<string, OutputModel>>;
  /** Dynamic references (`{{resolve:...}}`) left unresolved in the values above. */
  readonly dynamicReferences: readonly DynamicReference[];
}

export interface LocalAssembly {
  /** Absolute path of the cloud assembly. */
  readonly dir: string;
  /** The regional stacks, in the assembly's order (the primary region first). */
  readonly regions: readonly RegionModel[];
  /** Every table of the environment (from the Global Tables stack). */
  readonly tables: readonly TableModel[];
}

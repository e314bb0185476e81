/**
 * One local region: every AWS service the regional stack uses, served on loopback from the synthesized
 * template of that region and its asset bundles, in this one OS process (so `meridian region kill` is a
 * real kill). Components talk to each other through injected functions; the handler bundles talk to them
 * through their AWS SDK clients and `AWS_ENDPOINT_URL_*`.
 */
import { mkdirSync } from 'node:fs';
import * as path from 'node:path';
import { DynamoDBClient, UpdateItemCommand, type UpdateItemCommandInput } from '@aws-sdk/client-dynamodb';
import { endpointNaming, readAssembly, type RegionModel } from '../assembly';
import { RegionalDynamo, type ChangeRecord } from '../dynamodb';
import { LocalEventBridge, eventBridgeServer, type EventBridgeEvent } from '../eventbridge';
import { LambdaService, lambdaHttpServer, type InvokeResult } from '../lambda';
import { LinkReceiver, PeerLinks } from '../link';
import { apiGatewayServer } from '../apigateway';
import { listOutbox, secretsManagerServer, sesServer, snsServer } from '../messaging';
import {
  EventSourceMapping,
  FileSqsStore,
  SqsQueues,
  sqsHttpServer,
  type MessageAttributeValue,
  type SqsStats,
} from '../sqs';
import { LocalStepFunctions, stepFunctionsServer, type JsonValue } from '../stepfunctions';
import { loopback, type LinkState, type RegionConfig } from './config';
import { controlServer } from './control';
import { endpointEnvironment, localizeFunction } from './environment';

/** A running region; `close()` stops it cleanly (a kill skips that, and must lose nothing acknowledged). */
export interface LocalRegion {
  readonly region: string;
  readonly model: RegionModel;
  readonly apiBaseUrl: string;
  setLinks(links: Record<string, LinkState>): void;
  status(): Promise<RegionStatus>;
  close(): Promise<void>;
}

export interface RegionStatus {
  readonly region: string;
  readonly pid: number;
  readonly uptimeSeconds: number;
  readonly endpoints: Record<string, string>;
  readonly replication: { outgoing: unknown; incoming: unknown };
  readonly dynamodb: unknown;
  readonly queues: Record<string, unknown>;
  /** Message and request counters of all the region's queues. */
  readonly sqs: SqsStats;
  readonly executions: unknown;
  readonly lambda: unknown;
  readonly events: unknown;
}

type Log = (line: string) => void;

/** Maps an error Lambda reported to the Error Step Functions routes on (`name` = the `errorType`). */
function functionErrorOf(result: InvokeResult): Error {
  const error = new Error(result.errorMessage ?? 'function error');
  error.name = result.errorType ?? 'Error';
  return error;
}

/** The region an ARN names (`arn:aws:events:eu-west-1:…`). */
function regionOfArn(arn: string): string | undefined {
  return arn.split(':')[3] || undefined;
}

/** Starts every service of one region from the assembly. */
export async function startRegion(config: RegionConfig, log: Log = () => {}): Promise<LocalRegion> {
  const started = Date.now();
  const { region, ports, stateDir, timeScale } = config;
  const dir = (name: string) => {
    const d = path.join(stateDir, name);
    mkdirSync(d, { recursive: true });
    return d;
  };
  const assembly = readAssembly(config.assemblyDir, {
    naming: endpointNaming((service, r) =>
      service === 'sqs' && r === region ? loopback(ports.sqs) : undefined,
    ),
  });
  const model = assembly.regions.find((r) => r.region === region);
  if (!model) {
    throw new Error(
      `region ${region} is not in the assembly at ${config.assemblyDir} (it has ${assembly.regions.map((r) => r.region).join(', ')})`,
    );
  }
  const closers: (() => Promise<void> | void)[] = [];

  // DynamoDB (dynalite on disk) with change capture, and the durable link that replicates to the peers.
  // Requests the handlers sign for a peer region go to that peer's endpoint (ADR 007 reads its marker there).
  const dynamoPeers: Record<string, string> = {};
  for (const p of config.peers) if (p.dynamodbUrl !== undefined) dynamoPeers[p.region] = p.dynamodbUrl;
  const dynamo = await RegionalDynamo.start({
    region,
    port: ports.dynamodb,
    dir: dir('dynamodb'),
    tables: model.tables,
    timeScale,
    peers: dynamoPeers,
    log: (line) => log(`[dynamodb] ${line}`),
  });
  closers.push(() => dynamo.close());
  const links = new PeerLinks({
    self: region,
    dir: dir('link-out'),
    peers: config.peers.map((p) => ({ region: p.region, url: p.controlUrl })),
    log: (line) => log(`[link] ${line}`),
  });
  closers.push(() => links.close());
  const applyLinks = (states: Record<string, LinkState>) => {
    for (const [peer, state] of Object.entries(states)) {
      if (!config.peers.some((p) => p.region === peer)) continue;
      links.setLag(peer, state.lagMs);
      if (state.partitioned) links.partition(peer);
      else links.heal(peer);
    }
  };
  applyLinks(config.links);
  dynamo.onChange((change: ChangeRecord) => {
    links.append('dynamodb', change);
  });
  // A kill between a write and its change would otherwise leave that write unreplicated for good.
  await dynamo.recoverInterruptedWrites();

  // SQS, persisted; the queues of the template, dead-letter queues first.
  const queues = new SqsQueues({ region, store: new FileSqsStore(dir('sqs')), timeScale });
  const byDlqFirst = [...model.queues].sort((a, b) => Number(!!a.redrive) - Number(!!b.redrive));
  for (const q of byDlqFirst) {
    queues.createQueue(q.name, {
      visibilityTimeout: q.visibilityTimeoutSeconds,
      messageRetentionPeriod: q.messageRetentionSeconds,
      delaySeconds: q.delaySeconds,
      ...(q.redrive && {
        redrivePolicy: { deadLetterTargetArn: q.redrive.dlqArn, maxReceiveCount: q.redrive.maxReceiveCount },
      }),
    });
  }
  const queueNameOf = (ref: string): string => ref.split(/[:/]/).filter(Boolean).pop() ?? '';
  const sendToQueue = (
    ref: string,
    body: string,
    messageAttributes?: Record<string, MessageAttributeValue>,
  ) => {
    queues.send(queueNameOf(ref), { body, ...(messageAttributes && { messageAttributes }) });
  };
  const sqsServer = await sqsHttpServer(queues, { port: ports.sqs });
  closers.push(() => sqsServer.close());

  // Messaging endpoints: SNS and SES land in the outbox, the secret is generated once and kept.
  const outboxDir = dir('outbox');
  const sns = await snsServer({
    region,
    accountId: model.accountId,
    port: ports.sns,
    topics: model.topics,
    outboxDir,
    log: (line: string) => log(`[sns] ${line}`),
  });
  closers.push(() => sns.close());
  const ses = await sesServer({
    region,
    port: ports.ses,
    outboxDir,
    log: (line: string) => log(`[ses] ${line}`),
  });
  closers.push(() => ses.close());
  const secrets = await secretsManagerServer({
    region,
    accountId: model.accountId,
    port: ports.secrets,
    secrets: model.secrets,
    dir: dir('secrets'),
    log: (line: string) => log(`[secrets] ${line}`),
  });
  closers.push(() => secrets.close());

  // Lambda: the template's functions, each in worker threads with its own environment.
  const bus = { put: async (_arn: string, _detail: unknown) => {} };
  const lambda = new LambdaService({
    region,
    accountId: model.accountId,
    functions: model.functions.map((fn) => localizeFunction(fn, config)),
    extraEnvironment: () => endpointEnvironment(config),
    // Queued Event invocations are journaled, so a kill does not lose them. Function timeouts are not
    // scaled: a cold start on a busy laptop needs the real budget.
    dir: dir('lambda'),
    sendToDestination: async (arn: string, record: unknown) => {
      const service = arn.split(':')[2];
      if (service === 'sqs') sendToQueue(arn, JSON.stringify(record));
      else if (service === 'events') await bus.put(arn, record);
      else log(`[lambda] destination ${arn} is not served locally; record dropped`);
    },
    log: (fn: string, line: string) => log(`[${fn}] ${line}`),
  });
  closers.push(() => lambda.close());
  const invokeOrThrow = async (ref: string, payload: unknown): Promise<JsonValue> => {
    const result = await lambda.invoke(ref, payload);
    if (result.functionError) throw functionErrorOf(result);
    return result.payload as JsonValue;
  };
  const lambdaServer = await lambdaHttpServer(lambda, { port: ports.lambda });
  closers.push(() => lambdaServer.close());

  // Step Functions: the saga, persisted so a killed region resumes its executions.
  const ddb = new DynamoDBClient({
    region,
    endpoint: dynamo.endpoint,
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
  closers.push(() => ddb.destroy());
  const stepFunctions = new LocalStepFunctions({
    region,
    accountId: model.accountId,
    machines: model.stateMachines,
    dir: dir('stepfunctions'),
    timeScale,
    invokeFunction: invokeOrThrow,
    sendMessage: (queueUrl: string, body: string) => sendToQueue(queueUrl, body),
    updateItem: async (params: Record<string, JsonValue>) => {
      const out = await ddb.send(new UpdateItemCommand(params as unknown as UpdateItemCommandInput));
      return JSON.parse(JSON.stringify(out.Attributes ? { Attributes: out.Attributes } : {})) as JsonValue;
    },
    log: (line: string) => log(`[states] ${line}`),
  });
  closers.push(() => stepFunctions.close());
  const sfnServer = await stepFunctionsServer(stepFunctions, { port: ports.sfn });
  closers.push(() => sfnServer.close());

  // EventBridge: the template's buses and rules; peer buses are reached over the lagged link.
  const eventBridge = new LocalEventBridge({
    region,
    accountId: model.accountId,
    buses: model.eventBuses,
    rules: model.rules,
    timeScale,
    targets: {
      lambda: async (arn: string, payload: unknown) => {
        lambda.invokeAsync(arn, payload);
      },
      sqs: async (arn: string, body: string, attributes?: Record<string, MessageAttributeValue>) =>
        sendToQueue(arn, body, attributes),
      states: async (arn: string, input: string) => {
        await stepFunctions.startExecution(arn, { input });
      },
      eventBus: async (arn: string, event: EventBridgeEvent) => {
        const to = regionOfArn(arn);
        if (to === region) eventBridge.receiveForwarded(event, arn);
        else links.append('events', { to, busArn: arn, event });
      },
    },
    log: (line: string) => log(`[events] ${line}`),
  });
  bus.put = async (arn, detail) => {
    eventBridge.putEvents([
      {
        EventBusName: arn,
        Source: 'lambda',
        DetailType: 'Lambda Function Invocation Result',
        Detail: JSON.stringify(detail),
      },
    ]);
  };
  eventBridge.start();
  closers.push(() => eventBridge.close());
  const eventsServer = await eventBridgeServer(eventBridge, { port: ports.events });
  closers.push(() => eventsServer.close());

  // SQS event source mappings: competing pollers per mapping, invoking the alias the mapping names.
  const mappings: EventSourceMapping[] = [];
  for (const esm of model.eventSourceMappings.filter((m) => m.enabled)) {
    const fn = model.functions.find((f) => f.logicalId === esm.functionLogicalId);
    if (!fn) throw new Error(`event source mapping ${esm.logicalId}: no function ${esm.functionLogicalId}`);
    const ref = esm.qualifier ? `${fn.arn}:${esm.qualifier}` : fn.arn;
    const pollers = Math.min(esm.maximumConcurrency ?? 5, 5);
    for (let i = 0; i < pollers; i++) {
      const mapping = new EventSourceMapping({
        queues,
        queueName: queueNameOf(esm.source.arn),
        batchSize: Math.min(esm.batchSize, 10),
        reportBatchItemFailures: esm.reportBatchItemFailures,
        handler: async (event) => (await invokeOrThrow(ref, event)) as never,
        onError: (err) => log(`[esm ${fn.logicalId}] ${err instanceof Error ? err.message : String(err)}`),
      });
      mapping.start();
      mappings.push(mapping);
    }
  }
  closers.push(async () => {
    await Promise.all(mappings.map((m) => m.stop()));
  });

  // API Gateway: the template's routes on real HTTP.
  const api = model.api;
  if (!api) throw new Error(`region ${region}: the regional stack has no REST API`);
  const apiServer = await apiGatewayServer({
    api,
    region,
    accountId: model.accountId,
    port: ports.api,
    invoke: async (functionLogicalId: string, aliasLogicalId: string | undefined, event: unknown) => {
      const fn = model.functions.find((f) => f.logicalId === functionLogicalId);
      const alias = fn?.aliases.find((a) => a.logicalId === aliasLogicalId);
      return lambda.invoke(alias?.arn ?? fn?.arn ?? functionLogicalId, event);
    },
    log: (line: string) => log(`[api] ${line}`),
  });
  closers.push(() => apiServer.close());

  // The inbound side of the link: replicated writes and forwarded events from the peers.
  const receiver = new LinkReceiver({
    dir: dir('link-in'),
    handlers: {
      dynamodb: async (entry) => {
        await dynamo.apply(entry.payload as ChangeRecord);
      },
      events: async (entry) => {
        const { to, busArn, event } = entry.payload as {
          to?: string;
          busArn?: string;
          event: EventBridgeEvent;
        };
        if (to === region) eventBridge.receiveForwarded(event, busArn);
      },
    },
  });

  const endpoints = {
    api: apiServer.baseUrl,
    dynamodb: dynamo.endpoint,
    sqs: sqsServer.endpoint,
    states: sfnServer.endpoint,
    events: eventsServer.endpoint,
    lambda: lambdaServer.endpoint,
    sns: sns.endpoint,
    ses: ses.endpoint,
    secretsmanager: secrets.endpoint,
    control: loopback(ports.control),
  };

  const status = async (): Promise<RegionStatus> => ({
    region,
    pid: process.pid,
    uptimeSeconds: Math.round((Date.now() - started) / 1000),
    endpoints,
    replication: { outgoing: links.stats(), incoming: receiver.stats() },
    dynamodb: dynamo.stats(),
    queues: Object.fromEntries(model.queues.map((q) => [q.name, queues.counts(q.name)])),
    sqs: queues.stats(),
    executions: stepFunctions.stats(),
    lambda: lambda.stats(),
    events: eventBridge.stats(),
  });

  const control = await controlServer({
    port: ports.control,
    receiver,
    status,
    scanTable: (table) => dynamo.scanAll(table),
    outbox: () => listOutbox(outboxDir),
    log: (line) => log(`[control] ${line}`),
  });
  closers.push(() => control.close());

  log(`region ${region} ready in ${Date.now() - started} ms: API ${apiServer.baseUrl}`);
  return {
    region,
    model,
    apiBaseUrl: apiServer.baseUrl,
    setLinks: applyLinks,
    status,
    async close() {
      for (const close of closers.reverse()) {
        try {
          await close();
        } catch (err) {
          log(`close: ${err instanceof Error ? err.message : String(err)}`);
        }
      }
    },
  };
}

/**
 * The EventBridge API on loopback, AWS JSON 1.1 (`X-Amz-Target: AWSEvents.<Operation>`), so the unchanged
 * handler bundles and `@aws-sdk/client-eventbridge` talk to a {@link LocalEventBridge}.
 */
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { EventBusDescription, EventRuleTarget, LocalEventBridge, RuleDescription } from './bus';
import { EventBridgeError } from './errors';

/** A running EventBridge endpoint. */
export interface EventBridgeHttpServer {
  readonly port: number;
  readonly endpoint: string;
  close(): Promise<void>;
}

/** Options of {@link eventBridgeServer}. */
export interface EventBridgeServerOptions {
  /** @default 0 (an ephemeral port) */
  readonly port?: number;
  readonly log?: (line: string) => void;
}

type Json = Record<string, unknown>;

const TARGET_PREFIX = 'AWSEvents.';
const CONTENT_TYPE = 'application/x-amz-json-1.1';
/** Ten 256 KB entries plus JSON overhead; anything larger is refused without buffering it all. */
const MAX_BODY_BYTES = 4 * 1024 * 1024;

function optString(input: Json, key: string): string | undefined {
  const v = input[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'string') {
    throw new EventBridgeError('ValidationException', `Value at '${lowerFirst(key)}' must be a string.`);
  }
  return v;
}

function reqString(input: Json, key: string): string {
  const v = optString(input, key);
  if (v === undefined || v.length === 0) {
    throw new EventBridgeError(
      'ValidationException',
      `1 validation error detected: Value null at '${lowerFirst(key)}' failed to satisfy constraint: Member must not be null`,
    );
  }
  return v;
}

function lowerFirst(s: string): string {
  return s.charAt(0).toLowerCase() + s.slice(1);
}

/** NextToken/Limit pagination over an in-memory list (the token is the next offset). */
function page<T>(items: readonly T[], input: Json): { items: T[]; nextToken?: string } {
  const limitRaw = input.Limit;
  let limit = 100;
  if (limitRaw !== undefined && limitRaw !== null) {
    if (typeof limitRaw !== 'number' || !Number.isInteger(limitRaw) || limitRaw < 1 || limitRaw > 100) {
      throw new EventBridgeError('ValidationException', "Value at 'limit' must be an integer from 1 to 100.");
    }
    limit = limitRaw;
  }
  let offset = 0;
  const token = optString(input, 'NextToken');
  if (token !== undefined) {
    const decoded = Buffer.from(token, 'base64url').toString('utf8');
    offset = /^offset:\d+$/.test(decoded) ? Number(decoded.slice(7)) : -1;
    if (offset < 0 || offset > items.length) {
      throw new EventBridgeError('ValidationException', 'The NextToken provided is not valid.');
    }
  }
  const slice = items.slice(offset, offset + limit);
  const next = offset + limit;
  return {
    items: slice,
    ...(next < items.length && { nextToken: Buffer.from(`offset:${next}`).toString('base64url') }),
  };
}

const epochSeconds = (d: Date): number => Math.floor(d.getTime() / 1000);

function busJson(b: EventBusDescription): Json {
  return {
    Name: b.name,
    Arn: b.arn,
    CreationTime: epochSeconds(b.creationTime),
    LastModifiedTime: epochSeconds(b.creationTime),
  };
}

function ruleJson(r: RuleDescription): Json {
  return {
    Name: r.name,
    Arn: r.arn,
    EventBusName: r.eventBusName,
    State: r.state,
    ...(r.eventPattern !== undefined && { EventPattern: r.eventPattern }),
    ...(r.scheduleExpression !== undefined && { ScheduleExpression: r.scheduleExpression }),
    ...(r.description !== undefined && { Description: r.description }),
  };
}

function targetJson(t: EventRuleTarget): Json {
  return {
    Id: t.id,
    Arn: t.ref.arn,
    ...(t.input !== undefined && { Input: t.input }),
    ...(t.inputPath !== undefined && { InputPath: t.inputPath }),
    ...(t.inputTransformer && {
      InputTransformer: {
        ...(t.inputTransformer.inputPathsMap && { InputPathsMap: t.inputTransformer.inputPathsMap }),
        InputTemplate: t.inputTransformer.inputTemplate,
      },
    }),
    ...(t.retryPolicy && {
      RetryPolicy: {
        ...(t.retryPolicy.maximumRetryAttempts !== undefined && {
          MaximumRetryAttempts: t.retryPolicy.maximumRetryAttempts,
        }),
        ...(t.retryPolicy.maximumEventAgeSeconds !== undefined && {
          MaximumEventAgeInSeconds: t.retryPolicy.maximumEventAgeSeconds,
        }),
      },
    }),
    ...(t.deadLetterQueue && { DeadLetterConfig: { Arn: t.deadLetterQueue.arn } }),
  };
}

function parseJsonField(input: Json, key: string): unknown {
  const text = reqString(input, key);
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new EventBridgeError('InvalidEventPatternException', `${key} is not valid JSON.`);
  }
}

/** Starts the EventBridge API for `service` on 127.0.0.1. */
export async function eventBridgeServer(
  service: LocalEventBridge,
  options: EventBridgeServerOptions = {},
): Promise<EventBridgeHttpServer> {
  const log = options.log ?? (() => undefined);

  const handlers: Record<string, (input: Json) => Json> = {
    PutEvents: (input) => {
      const result = service.putEvents(input.Entries);
      return { FailedEntryCount: result.FailedEntryCount, Entries: result.Entries };
    },
    DescribeEventBus: (input) => busJson(service.describeEventBus(optString(input, 'Name'))),
    ListEventBuses: (input) => {
      const { items, nextToken } = page(service.listEventBuses(optString(input, 'NamePrefix')), input);
      return { EventBuses: items.map(busJson), ...(nextToken && { NextToken: nextToken }) };
    },
    ListRules: (input) => {
      const rules = service.listRules(optString(input, 'EventBusName'), optString(input, 'NamePrefix'));
      const { items, nextToken } = page(rules, input);
      return { Rules: items.map(ruleJson), ...(nextToken && { NextToken: nextToken }) };
    },
    DescribeRule: (input) => ({
      ...ruleJson(service.describeRule(reqString(input, 'Name'), optString(input, 'EventBusName'))),
      CreatedBy: service.accountId,
    }),
    ListTargetsByRule: (input) => {
      const targets = service.listTargetsByRule(reqString(input, 'Rule'), optString(input, 'EventBusName'));
      const { items, nextToken } = page(targets, input);
      return { Targets: items.map(targetJson), ...(nextToken && { NextToken: nextToken }) };
    },
    TestEventPattern: (input) => {
      const pattern = parseJsonField(input, 'EventPattern');
      const event = parseJsonField(input, 'Event');
      return { Result: service.testEventPattern(pattern, event) };
    },
  };

  const send = (res: ServerResponse, status: number, body: Json): void => {
    const text = JSON.stringify(body);
    res.writeHead(status, {
      'content-type': CONTENT_TYPE,
      'content-length': Buffer.byteLength(text),
      'x-amzn-requestid': randomUUID(),
    });
    res.end(text);
  };
  const sendError = (res: ServerResponse, err: EventBridgeError): void => {
    send(res, err.status, { __type: err.name, message: err.message });
  };

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of req) {
      size += (chunk as Buffer).length;
      if (size <= MAX_BODY_BYTES) chunks.push(chunk as Buffer);
    }
    if (size > MAX_BODY_BYTES) {
      sendError(
        res,
        new EventBridgeError('ValidationException', `Request body exceeds ${MAX_BODY_BYTES} bytes.`, 413),
      );
      return;
    }
    const target = String(req.headers['x-amz-target'] ?? '');
    const operation = target.startsWith(TARGET_PREFIX) ? target.slice(TARGET_PREFIX.length) : '';
    const handler = req.method === 'POST' ? handlers[operation] : undefined;
    if (!handler || !Object.prototype.hasOwnProperty.call(handlers, operation)) {
      sendError(
        res,
        new EventBridgeError(
          'UnknownOperationException',
          `Unsupported operation: ${req.method ?? ''} ${target || '(no X-Amz-Target)'}`,
        ),
      );
      return;
    }
    let input: unknown;
    try {
      const text = Buffer.concat(chunks).toString('utf8');
      input = text.trim().length > 0 ? JSON.parse(text) : {};
    } catch {
      sendError(res, new EventBridgeError('SerializationException', 'The request body is not valid JSON.'));
      return;
    }
    if (typeof input !== 'object' || input === null || Array.isArray(input)) {
      sendError(
        res,
        new EventBridgeError('SerializationException', 'The request body must be a JSON object.'),
      );
      return;
    }
    try {
      send(res, 200, handler(input as Json));
    } catch (err) {
      if (err instanceof EventBridgeError) {
        sendError(res, err);
      } else {
        log(
          `eventbridge: ${operation} failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`,
        );
        sendError(res, new EventBridgeError('InternalException', 'An internal error occurred.'));
      }
    }
  };

  const server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      log(`eventbridge: request failed: ${err instanceof Error ? err.message : String(err)}`);
      if (!res.headersSent)
        sendError(res, new EventBridgeError('InternalException', 'An internal error occurred.'));
      else res.destroy();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  return {
    port,
    endpoint: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

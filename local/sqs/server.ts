import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { MessageAttributeValue } from './md5';
import { ACCOUNT_ID, SqsError, type QueueConfig, type ReceivedMessage, type SqsQueues } from './queues';

/** An SQS endpoint speaking the AWS JSON 1.0 protocol (with query-compatible error headers) on loopback. */
export interface SqsHttpServer {
  port: number;
  endpoint: string;
  queueUrl(name: string): string;
  close(): Promise<void>;
}

type Json = Record<string, unknown>;

const TARGET_PREFIX = 'AmazonSQS.';

function str(input: Json, key: string): string {
  const v = input[key];
  if (typeof v !== 'string' || v.length === 0) {
    throw new SqsError('MissingParameter', `The request must contain the parameter ${key}.`);
  }
  return v;
}

function optInt(input: Json, key: string): number | undefined {
  const v = input[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'number') throw new SqsError('InvalidParameterValue', `${key} must be a number.`);
  return v;
}

function attrInt(attrs: Record<string, string>, key: string): number | undefined {
  const v = attrs[key];
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isInteger(n))
    throw new SqsError('InvalidAttributeValue', `Invalid value for the parameter ${key}.`);
  return n;
}

function wants(names: string[], name: string): boolean {
  return names.includes('All') || names.includes(name);
}

function filterMessageAttributes(
  attributes: Record<string, MessageAttributeValue>,
  names: string[],
): Record<string, MessageAttributeValue> | undefined {
  const out: Record<string, MessageAttributeValue> = {};
  for (const [k, v] of Object.entries(attributes)) {
    const match = names.some(
      (n) => n === 'All' || n === '.*' || n === k || (n.endsWith('.*') && k.startsWith(n.slice(0, -1))),
    );
    if (match) out[k] = v;
  }
  return Object.keys(out).length > 0 ? out : undefined;
}

export async function sqsHttpServer(
  queues: SqsQueues,
  options: { port?: number } = {},
): Promise<SqsHttpServer> {
  let port = options.port ?? 0;
  const polls = new Set<AbortController>();
  const queueUrl = (name: string): string => `http://127.0.0.1:${port}/${ACCOUNT_ID}/${name}`;
  const nameOf = (url: string): string => {
    const name = url.split('/').filter(Boolean).pop() ?? '';
    if (!queues.hasQueue(name)) {
      throw new SqsError(
        'QueueDoesNotExist',
        'The specified queue does not exist.',
        'AWS.SimpleQueueService.NonExistentQueue',
      );
    }
    return name;
  };

  const toMessage = (m: ReceivedMessage, attrNames: string[], msgAttrNames: string[]): Json => {
    const attributes: Record<string, string> = {};
    for (const [k, v] of Object.entries(m.attributes)) if (wants(attrNames, k)) attributes[k] = v;
    const msgAttrs = filterMessageAttributes(m.messageAttributes, msgAttrNames);
    return {
      MessageId: m.messageId,
      ReceiptHandle: m.receiptHandle,
      MD5OfBody: m.md5OfBody,
      Body: m.body,
      ...(Object.keys(attributes).length > 0 ? { Attributes: attributes } : {}),
      ...(msgAttrs ? { MessageAttributes: msgAttrs, MD5OfMessageAttributes: m.md5OfMessageAttributes } : {}),
    };
  };

  const batch = <T>(input: Json, run: (entry: Json) => T): { Successful: T[]; Failed: Json[] } => {
    const entries = input.Entries;
    if (!Array.isArray(entries) || entries.length === 0) {
      throw new SqsError(
        'EmptyBatchRequest',
        'There should be at least one entry in the request.',
        'AWS.SimpleQueueService.EmptyBatchRequest',
      );
    }
    if (entries.length > 10) {
      throw new SqsError(
        'TooManyEntriesInBatchRequest',
        'Maximum number of entries per request are 10.',
        'AWS.SimpleQueueService.TooManyEntriesInBatchRequest',
      );
    }
    const ids = entries.map((e: Json) => e.Id);
    if (new Set(ids).size !== ids.length) {
      throw new SqsError(
        'BatchEntryIdsNotDistinct',
        'Two or more batch entries in the request have the same Id.',
        'AWS.SimpleQueueService.BatchEntryIdsNotDistinct',
      );
    }
    const Successful: T[] = [];
    const Failed: Json[] = [];
    for (const entry of entries as Json[]) {
      try {
        Successful.push(run(entry));
      } catch (err) {
        if (!(err instanceof SqsError)) throw err;
        Failed.push({
          Id: entry.Id,
          SenderFault: err.senderFault,
          Code: err.queryCode,
          Message: err.message,
        });
      }
    }
    return { Successful, Failed };
  };

  const handlers: Record<string, (input: Json) => Json | Promise<Json>> = {
    CreateQueue: (input) => {
      const name = str(input, 'QueueName');
      const attrs = (input.Attributes ?? {}) as Record<string, string>;
      const config: QueueConfig = {};
      const vt = attrInt(attrs, 'VisibilityTimeout');
      if (vt !== undefined) config.visibilityTimeout = vt;
      const rp = attrInt(attrs, 'MessageRetentionPeriod');
      if (rp !== undefined) config.messageRetentionPeriod = rp;
      const ds = attrInt(attrs, 'DelaySeconds');
      if (ds !== undefined) config.delaySeconds = ds;
      const wt = attrInt(attrs, 'ReceiveMessageWaitTimeSeconds');
      if (wt !== undefined) config.receiveMessageWaitTimeSeconds = wt;
      if (attrs.RedrivePolicy) {
        const policy = JSON.parse(attrs.RedrivePolicy) as {
          deadLetterTargetArn?: string;
          maxReceiveCount?: unknown;
        };
        if (!policy.deadLetterTargetArn || policy.maxReceiveCount === undefined) {
          throw new SqsError('InvalidAttributeValue', 'Invalid value for the parameter RedrivePolicy.');
        }
        config.redrivePolicy = {
          deadLetterTargetArn: policy.deadLetterTargetArn,
          maxReceiveCount: Number(policy.maxReceiveCount),
        };
      }
      queues.createQueue(name, config);
      return { QueueUrl: queueUrl(name) };
    },
    GetQueueUrl: (input) => {
      const name = str(input, 'QueueName');
      nameOf(name);
      return { QueueUrl: queueUrl(name) };
    },
    ListQueues: (input) => {
      const prefix = typeof input.QueueNamePrefix === 'string' ? input.QueueNamePrefix : '';
      return { QueueUrls: queues.listQueues(prefix).map(queueUrl) };
    },
    GetQueueAttributes: (input) => {
      const name = nameOf(str(input, 'QueueUrl'));
      const names = (input.AttributeNames as string[] | undefined) ?? [];
      const config = queues.queueConfig(name);
      const counts = queues.counts(name);
      const all: Record<string, string> = {
        QueueArn: queues.arnOf(name),
        ApproximateNumberOfMessages: String(counts.visible),
        ApproximateNumberOfMessagesNotVisible: String(counts.inFlight),
        ApproximateNumberOfMessagesDelayed: String(counts.delayed),
        CreatedTimestamp: String(Math.floor(queues.createdTimestamp(name) / 1000)),
        LastModifiedTimestamp: String(Math.floor(queues.createdTimestamp(name) / 1000)),
        VisibilityTimeout: String(config.visibilityTimeout),
        MessageRetentionPeriod: String(config.messageRetentionPeriod),
        DelaySeconds: String(config.delaySeconds),
        ReceiveMessageWaitTimeSeconds: String(config.receiveMessageWaitTimeSeconds),
        MaximumMessageSize: '262144',
        ...(config.redrivePolicy ? { RedrivePolicy: JSON.stringify(config.redrivePolicy) } : {}),
      };
      const Attributes: Record<string, string> = {};
      for (const [k, v] of Object.entries(all)) if (wants(names, k)) Attributes[k] = v;
      return Object.keys(Attributes).length > 0 ? { Attributes } : {};
    },
    SendMessage: (input) => {
      const name = nameOf(str(input, 'QueueUrl'));
      const r = queues.send(name, {
        body: str(input, 'MessageBody'),
        messageAttributes: input.MessageAttributes as Record<string, MessageAttributeValue> | undefined,
        delaySeconds: optInt(input, 'DelaySeconds'),
      });
      return {
        MessageId: r.messageId,
        MD5OfMessageBody: r.md5OfMessageBody,
        ...(r.md5OfMessageAttributes ? { MD5OfMessageAttributes: r.md5OfMessageAttributes } : {}),
      };
    },
    SendMessageBatch: (input) => {
      const name = nameOf(str(input, 'QueueUrl'));
      return batch(input, (entry) => {
        const r = queues.send(name, {
          body: str(entry, 'MessageBody'),
          messageAttributes: entry.MessageAttributes as Record<string, MessageAttributeValue> | undefined,
          delaySeconds: optInt(entry, 'DelaySeconds'),
        });
        return {
          Id: entry.Id,
          MessageId: r.messageId,
          MD5OfMessageBody: r.md5OfMessageBody,
          ...(r.md5OfMessageAttributes ? { MD5OfMessageAttributes: r.md5OfMessageAttributes } : {}),
        };
      });
    },
    ReceiveMessage: async (input) => {
      const name = nameOf(str(input, 'QueueUrl'));
      const controller = new AbortController();
      polls.add(controller);
      try {
        const messages = await queues.receive(name, {
          maxNumberOfMessages: optInt(input, 'MaxNumberOfMessages'),
          visibilityTimeout: optInt(input, 'VisibilityTimeout'),
          waitTimeSeconds: optInt(input, 'WaitTimeSeconds'),
          signal: controller.signal,
        });
        const attrNames = [
          ...((input.AttributeNames as string[] | undefined) ?? []),
          ...((input.MessageSystemAttributeNames as string[] | undefined) ?? []),
        ];
        const msgAttrNames = (input.MessageAttributeNames as string[] | undefined) ?? [];
        return { Messages: messages.map((m) => toMessage(m, attrNames, msgAttrNames)) };
      } finally {
        polls.delete(controller);
      }
    },
    DeleteMessage: (input) => {
      queues.deleteMessage(nameOf(str(input, 'QueueUrl')), str(input, 'ReceiptHandle'));
      return {};
    },
    DeleteMessageBatch: (input) => {
      const name = nameOf(str(input, 'QueueUrl'));
      return batch(input, (entry) => {
        queues.deleteMessage(name, str(entry, 'ReceiptHandle'));
        return { Id: entry.Id };
      });
    },
    ChangeMessageVisibility: (input) => {
      const timeout = optInt(input, 'VisibilityTimeout');
      if (timeout === undefined) {
        throw new SqsError('MissingParameter', 'The request must contain the parameter VisibilityTimeout.');
      }
      queues.changeMessageVisibility(nameOf(str(input, 'QueueUrl')), str(input, 'ReceiptHandle'), timeout);
      return {};
    },
    PurgeQueue: (input) => {
      queues.purge(nameOf(str(input, 'QueueUrl')));
      return {};
    },
  };

  const send = (
    res: ServerResponse,
    status: number,
    body: Json,
    headers: Record<string, string> = {},
  ): void => {
    const text = JSON.stringify(body);
    res.writeHead(status, {
      'content-type': 'application/x-amz-json-1.0',
      'content-length': Buffer.byteLength(text),
      'x-amzn-requestid': crypto.randomUUID(),
      ...headers,
    });
    res.end(text);
  };

  const sendError = (res: ServerResponse, err: SqsError): void => {
    send(
      res,
      400,
      { __type: `com.amazonaws.sqs#${err.code}`, message: err.message },
      { 'x-amzn-query-error': `${err.queryCode};${err.senderFault ? 'Sender' : 'Receiver'}` },
    );
  };

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const target = String(req.headers['x-amz-target'] ?? '');
    if (req.method !== 'POST' || !target.startsWith(TARGET_PREFIX)) {
      sendError(res, new SqsError('InvalidAction', `Unsupported request: ${req.method} ${target}`));
      return;
    }
    const action = target.slice(TARGET_PREFIX.length);
    const handler = handlers[action];
    if (!handler) {
      sendError(
        res,
        new SqsError(
          'UnsupportedOperation',
          `${action} is not supported locally.`,
          'AWS.SimpleQueueService.UnsupportedOperation',
        ),
      );
      return;
    }
    let input: Json;
    try {
      const text = Buffer.concat(chunks).toString('utf8');
      input = (text.length > 0 ? JSON.parse(text) : {}) as Json;
    } catch {
      sendError(res, new SqsError('InvalidParameterValue', 'The request body is not valid JSON.'));
      return;
    }
    try {
      send(res, 200, await handler(input));
    } catch (err) {
      if (err instanceof SqsError) sendError(res, err);
      else if (err instanceof SyntaxError) sendError(res, new SqsError('InvalidAttributeValue', err.message));
      else {
        send(res, 500, { __type: 'com.amazonaws.sqs#InternalError', message: String(err) });
      }
    }
  };

  const server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      if (!res.headersSent)
        send(res, 500, { __type: 'com.amazonaws.sqs#InternalError', message: String(err) });
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  port = (server.address() as AddressInfo).port;

  return {
    port,
    endpoint: `http://127.0.0.1:${port}`,
    queueUrl,
    close: async () => {
      for (const c of polls) c.abort();
      for (let i = 0; i < 200 && polls.size > 0; i++) await new Promise((r) => setTimeout(r, 5));
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
    },
  };
}

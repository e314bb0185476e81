/** Amazon SNS on loopback (AWS Query protocol): published messages land as files in the outbox. */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { TopicModel } from '../assembly/model';
import { BodyTooLargeError, listen, readBody, type LocalEndpoint } from './http';
import { fileOrderKey, safeName, writeFileAtomic, type SnsAttribute, type SnsOutboxMessage } from './outbox';
import {
  listMembers,
  mapEntries,
  parseQueryParams,
  QueryError,
  queryErrorResponse,
  queryResponse,
  type QueryParams,
  type XmlNode,
} from './query';

const XMLNS = 'http://sns.amazonaws.com/doc/2010-03-31/';
/** SNS's limit on a message and its attributes together. */
export const MAX_MESSAGE_BYTES = 262_144;
const MAX_ATTRIBUTES = 10;
const MAX_BATCH_ENTRIES = 10;
const LIST_PAGE = 100;
/** Generous: a full batch, form-encoded, stays far below it. */
const MAX_REQUEST_BYTES = 4 * 1024 * 1024;

/** A subscription of a topic, as the template declares it. */
export type TopicSubscription = TopicModel['subscriptions'][number];

/** Options of {@link snsServer}. */
export interface SnsServerOptions {
  readonly region: string;
  readonly accountId: string;
  /** @default 0 (an ephemeral port) */
  readonly port?: number;
  readonly topics: readonly TopicModel[];
  /** Where each published message is written (`.meridian/<region>/outbox/`). */
  readonly outboxDir: string;
  /**
   * Delivers a message to one of the topic's subscriptions (Lambda, SQS…), after the outbox file is
   * written; a failure is logged and does not fail the Publish, as SNS delivers asynchronously.
   */
  readonly deliver?: (subscription: TopicSubscription, message: SnsOutboxMessage) => Promise<void>;
  /** @default () => new Date() */
  readonly now?: () => Date;
  readonly log?: (line: string) => void;
}

const invalid = (what: string): QueryError =>
  new QueryError('InvalidParameter', `Invalid parameter: ${what}`);

/** `arn:aws:sns:<region>:<account>:<name>` */
const TOPIC_ARN = /^arn:aws[a-z-]*:sns:([a-z0-9-]+):(\d{12}):([A-Za-z0-9_-]{1,256}(?:\.fifo)?)$/;
const ATTRIBUTE_NAME = /^[A-Za-z0-9_\-.]{1,256}$/;
const DATA_TYPE = /^(String|Number|Binary|String\.Array)(\.[A-Za-z0-9_\-.]+)?$/;
/** ASCII, starting with a letter, digit or punctuation, no control characters, under 100 characters. */
const SUBJECT = /^[\x21-\x7e][\x20-\x7e]{0,98}$/;

function attributeError(name: string, reason: string): QueryError {
  return invalid(`MessageAttributes. Reason: ${reason.replace('%s', name)}`);
}

/** Validates `MessageAttributes.entry.N` into SNS's notification form, and returns their byte size. */
function parseAttributes(params: QueryParams): { attributes: Record<string, SnsAttribute>; bytes: number } {
  const entries = mapEntries(params, 'MessageAttributes');
  if (entries.length > MAX_ATTRIBUTES) {
    throw attributeError(
      '',
      `Number of message attributes [${entries.length}] exceeds the allowed maximum [${MAX_ATTRIBUTES}].`,
    );
  }
  const attributes: Record<string, SnsAttribute> = {};
  let bytes = 0;
  for (const entry of entries) {
    const name = entry.get('Name') ?? '';
    if (
      !ATTRIBUTE_NAME.test(name) ||
      /^(aws|amazon)\./i.test(name) ||
      name.startsWith('.') ||
      name.endsWith('.') ||
      name.includes('..')
    ) {
      throw attributeError(name, `Message attribute name '%s' is invalid.`);
    }
    if (name in attributes) throw attributeError(name, `Message attribute name '%s' is duplicated.`);
    const type = entry.get('Value.DataType') ?? '';
    if (!DATA_TYPE.test(type)) {
      throw attributeError(
        name,
        `The message attribute '%s' has an invalid message attribute type, the set of supported type prefixes is Binary, Number, and String.`,
      );
    }
    const base = type.startsWith('String.Array') ? 'String.Array' : type.split('.')[0]!;
    let value: string;
    if (base === 'Binary') {
      value = entry.get('Value.BinaryValue') ?? '';
      if (value === '' || !/^[A-Za-z0-9+/]*={0,2}$/.test(value)) {
        throw attributeError(
          name,
          `The message attribute '%s' must contain non-empty message attribute value for message attribute type 'Binary'.`,
        );
      }
      bytes += Buffer.from(value, 'base64').length;
    } else {
      value = entry.get('Value.StringValue') ?? '';
      if (value === '') {
        throw attributeError(
          name,
          `The message attribute '%s' must contain non-empty message attribute value for message attribute type '${base}'.`,
        );
      }
      if (base === 'Number' && !/^-?\d+(\.\d{1,5})?$/.test(value.trim())) {
        throw attributeError(name, `Could not cast message attribute '%s' value to number.`);
      }
      if (base === 'String.Array') {
        let parsed: unknown;
        try {
          parsed = JSON.parse(value);
        } catch {
          parsed = undefined;
        }
        if (!Array.isArray(parsed) || parsed.some((v) => v !== null && typeof v === 'object')) {
          throw attributeError(
            name,
            `The message attribute '%s' with type 'String.Array' must be a JSON array of strings, numbers, booleans or nulls.`,
          );
        }
      }
      bytes += Buffer.byteLength(value);
    }
    bytes += Buffer.byteLength(name) + Buffer.byteLength(type);
    attributes[name] = { Type: type, Value: value };
  }
  return { attributes, bytes };
}

interface PublishInput {
  readonly message?: string;
  readonly subject?: string;
  readonly messageStructure?: string;
  readonly messageGroupId?: string;
  readonly messageDeduplicationId?: string;
  readonly params: QueryParams;
}

function publishInput(params: QueryParams): PublishInput {
  return {
    message: params.get('Message'),
    subject: params.get('Subject'),
    messageStructure: params.get('MessageStructure'),
    messageGroupId: params.get('MessageGroupId'),
    messageDeduplicationId: params.get('MessageDeduplicationId'),
    params,
  };
}

/** Starts the SNS endpoint on 127.0.0.1. */
export async function snsServer(opts: SnsServerOptions): Promise<LocalEndpoint> {
  const log = opts.log ?? (() => undefined);
  const now = opts.now ?? (() => new Date());
  const topics = new Map(opts.topics.map((t) => [t.arn, t]));

  const topicOf = (arn: string | undefined, param = 'TopicArn'): TopicModel => {
    if (arn === undefined || arn === '') {
      throw invalid(`TopicArn or TargetArn Reason: no value for required parameter`);
    }
    const m = TOPIC_ARN.exec(arn);
    if (!m) throw invalid(param);
    if (m[1] !== opts.region) throw invalid(`${param} Reason: the topic is in ${m[1]}, not ${opts.region}`);
    const topic = topics.get(arn);
    if (!topic) throw new QueryError('NotFound', 'Topic does not exist', 404);
    return topic;
  };

  /** Validates one message and writes it to the outbox; returns its id. */
  const publish = (topic: TopicModel, input: PublishInput): string => {
    const { message, subject, messageStructure } = input;
    if (message === undefined || message === '') throw invalid('Empty message');
    if (subject !== undefined && !SUBJECT.test(subject)) throw invalid('Subject');
    if (messageStructure !== undefined) {
      if (messageStructure !== 'json') throw invalid('MessageStructure');
      let parsed: unknown;
      try {
        parsed = JSON.parse(message);
      } catch {
        throw invalid('Message Structure - JSON message body failed to parse');
      }
      if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
        throw invalid('Message Structure - JSON message body failed to parse');
      }
      if (typeof (parsed as Record<string, unknown>).default !== 'string') {
        throw invalid('Message Structure - No default entry in JSON message body');
      }
    }
    const fifo = topic.name.endsWith('.fifo');
    if (fifo && !input.messageGroupId) {
      throw invalid('The MessageGroupId parameter is required for FIFO topics');
    }
    const { attributes, bytes } = parseAttributes(input.params);
    if (Buffer.byteLength(message) + bytes > MAX_MESSAGE_BYTES) throw invalid('Message too long');

    const messageId = randomUUID();
    const timestamp = now().toISOString();
    const record: SnsOutboxMessage = {
      kind: 'sns',
      topicArn: topic.arn,
      topicName: topic.name,
      ...(subject !== undefined && { subject }),
      message,
      ...(messageStructure !== undefined && { messageStructure }),
      messageAttributes: attributes,
      ...(input.messageGroupId !== undefined && { messageGroupId: input.messageGroupId }),
      ...(input.messageDeduplicationId !== undefined && {
        messageDeduplicationId: input.messageDeduplicationId,
      }),
      messageId,
      timestamp,
    };
    // Written before the answer: a message the caller saw accepted survives a kill of the region.
    writeFileAtomic(
      opts.outboxDir,
      `sns-${safeName(topic.name)}-${fileOrderKey(timestamp)}-${messageId}.json`,
      `${JSON.stringify(record, null, 2)}\n`,
    );
    log(`sns: ${topic.name} ${messageId}${subject ? ` "${subject}"` : ''}`);
    if (opts.deliver) {
      for (const subscription of topic.subscriptions) {
        const deliver = opts.deliver;
        void Promise.resolve()
          .then(() => deliver(subscription, record))
          .catch((err: unknown) =>
            log(
              `sns: delivery of ${messageId} to ${subscription.protocol}:${subscription.endpoint} failed: ${String(err)}`,
            ),
          );
      }
    }
    return messageId;
  };

  const actions: Record<string, (params: QueryParams) => XmlNode | undefined> = {
    Publish: (params) => {
      if (params.get('PhoneNumber') !== undefined && !params.get('TopicArn') && !params.get('TargetArn')) {
        throw invalid('PhoneNumber Reason: SMS is not emulated by the local runtime');
      }
      const topic = topicOf(
        params.get('TopicArn') || params.get('TargetArn'),
        params.get('TopicArn') ? 'TopicArn' : 'TargetArn',
      );
      return { MessageId: publish(topic, publishInput(params)) };
    },
    PublishBatch: (params) => {
      const topic = topicOf(params.get('TopicArn'));
      const entries = listMembers(params, 'PublishBatchRequestEntries');
      if (entries.length === 0) {
        throw new QueryError('EmptyBatchRequest', "The batch request doesn't contain any entries.");
      }
      if (entries.length > MAX_BATCH_ENTRIES) {
        throw new QueryError(
          'TooManyEntriesInBatchRequest',
          'The batch request contains more entries than permissible.',
        );
      }
      const ids = entries.map((e) => e.get('Id') ?? '');
      for (const id of ids) {
        if (!/^[A-Za-z0-9_-]{1,80}$/.test(id)) {
          throw new QueryError(
            'InvalidBatchEntryId',
            'A batch entry id can only contain alphanumeric characters, hyphens and underscores. It can be at most 80 letters long.',
          );
        }
      }
      if (new Set(ids).size !== ids.length) {
        throw new QueryError(
          'BatchEntryIdsNotDistinct',
          'Two or more batch entries in the request have the same Id.',
        );
      }
      const total = entries.reduce((n, e) => n + Buffer.byteLength(e.get('Message') ?? ''), 0);
      if (total > MAX_MESSAGE_BYTES) {
        throw new QueryError(
          'BatchRequestTooLong',
          'The length of all the messages put together is more than the limit.',
        );
      }
      const successful: XmlNode[] = [];
      const failed: XmlNode[] = [];
      for (const entry of entries) {
        const id = entry.get('Id')!;
        try {
          successful.push({ member: { Id: id, MessageId: publish(topic, publishInput(entry)) } });
        } catch (err) {
          if (!(err instanceof QueryError)) throw err;
          failed.push({
            member: { Id: id, Code: err.code, Message: err.message, SenderFault: err.type === 'Sender' },
          });
        }
      }
      return { Successful: successful, Failed: failed };
    },
    ListTopics: (params) => {
      const all = [...topics.keys()].sort();
      const token = params.get('NextToken');
      let start = 0;
      if (token !== undefined) {
        start = Number(Buffer.from(token, 'base64').toString('utf8'));
        if (!Number.isInteger(start) || start < 0 || start > all.length) throw invalid('NextToken');
      }
      const page = all.slice(start, start + LIST_PAGE);
      const next =
        start + LIST_PAGE < all.length
          ? Buffer.from(String(start + LIST_PAGE)).toString('base64')
          : undefined;
      return { Topics: page.map((arn) => ({ member: { TopicArn: arn } })), NextToken: next };
    },
    GetTopicAttributes: (params) => {
      const topic = topicOf(params.get('TopicArn'));
      const fifo = topic.name.endsWith('.fifo');
      const attributes: Record<string, string> = {
        TopicArn: topic.arn,
        Owner: opts.accountId,
        DisplayName: '',
        Policy: JSON.stringify(defaultPolicy(topic.arn, opts.accountId)),
        SubscriptionsConfirmed: String(topic.subscriptions.length),
        SubscriptionsPending: '0',
        SubscriptionsDeleted: '0',
        EffectiveDeliveryPolicy: JSON.stringify(DELIVERY_POLICY),
        ...(fifo && { FifoTopic: 'true', ContentBasedDeduplication: 'false' }),
      };
      return {
        Attributes: Object.entries(attributes).map(([key, value]) => ({ entry: { key, value } })),
      };
    },
  };

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const requestId = randomUUID();
    const reply = (status: number, xml: string): void => {
      res.writeHead(status, { 'Content-Type': 'text/xml', 'x-amzn-RequestId': requestId });
      res.end(xml);
    };
    try {
      let body: Buffer;
      try {
        body = await readBody(req, MAX_REQUEST_BYTES);
      } catch (err) {
        if (err instanceof BodyTooLargeError)
          throw new QueryError('RequestEntityTooLarge', 'Request is too large.', 413);
        throw err;
      }
      const url = req.url ?? '/';
      const params = parseQueryParams(
        body.toString('utf8'),
        url.includes('?') ? url.slice(url.indexOf('?') + 1) : '',
      );
      const action = params.get('Action');
      if (!action) throw new QueryError('MissingAction', 'Missing Action');
      const run = Object.hasOwn(actions, action) ? actions[action] : undefined;
      if (!run)
        throw new QueryError('InvalidAction', `The action ${action} is not valid for this web service.`);
      reply(200, queryResponse(action, XMLNS, run(params), requestId));
    } catch (err) {
      if (err instanceof QueryError) {
        reply(err.status, queryErrorResponse(err, XMLNS, requestId));
        return;
      }
      log(`sns: internal failure: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
      reply(
        500,
        queryErrorResponse(new QueryError('InternalError', 'Internal Error', 500), XMLNS, requestId),
      );
    }
  };

  return listen(opts.port, handle, (line) => log(`sns: ${line}`));
}

/** The access policy SNS gives a new topic. */
function defaultPolicy(topicArn: string, accountId: string): Record<string, unknown> {
  return {
    Version: '2008-10-17',
    Id: '__default_policy_ID',
    Statement: [
      {
        Sid: '__default_statement_ID',
        Effect: 'Allow',
        Principal: { AWS: '*' },
        Action: [
          'SNS:GetTopicAttributes',
          'SNS:SetTopicAttributes',
          'SNS:AddPermission',
          'SNS:RemovePermission',
          'SNS:DeleteTopic',
          'SNS:Subscribe',
          'SNS:ListSubscriptionsByTopic',
          'SNS:Publish',
        ],
        Resource: topicArn,
        Condition: { StringEquals: { 'AWS:SourceOwner': accountId } },
      },
    ],
  };
}

const DELIVERY_POLICY = {
  http: {
    defaultHealthyRetryPolicy: {
      minDelayTarget: 20,
      maxDelayTarget: 20,
      numRetries: 3,
      numMaxDelayRetries: 0,
      numNoDelayRetries: 0,
      numMinDelayRetries: 0,
      backoffFunction: 'linear',
    },
    disableSubscriptionOverrides: false,
    defaultRequestPolicy: { headerContentType: 'text/plain; charset=UTF-8' },
  },
};

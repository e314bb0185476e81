/** Amazon SES v2 on loopback (REST-JSON `SendEmail`): each email lands in the outbox as JSON plus `.eml`. */
import { randomBytes, randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { BodyTooLargeError, listen, readBody, type LocalEndpoint } from './http';
import { fileOrderKey, writeFileAtomic, type SesOutboxMessage } from './outbox';

/** SES v2's limit on a message, attachments included. */
export const MAX_EMAIL_BYTES = 40 * 1024 * 1024;
const MAX_RECIPIENTS = 50;

/** Options of {@link sesServer}. */
export interface SesServerOptions {
  readonly region: string;
  /** @default 0 (an ephemeral port) */
  readonly port?: number;
  /** Where each email is written (`.meridian/<region>/outbox/`). */
  readonly outboxDir: string;
  /** @default () => new Date() */
  readonly now?: () => Date;
  readonly log?: (line: string) => void;
}

/** A REST-JSON error: the `x-amzn-ErrorType`, the status and the message. */
class SesError extends Error {
  constructor(
    readonly type: string,
    message: string,
    readonly status = 400,
  ) {
    super(message);
  }
}

const badRequest = (message: string): SesError => new SesError('BadRequestException', message);

type Json = Record<string, unknown>;

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** `a@b.c` or `Name <a@b.c>`; the address part must have one `@` and a dotless-or-dotted domain. */
const ADDRESS =
  /^(?:[^<>]*<\s*)?([^\s@<>"]+@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)*)\s*>?$/;

function address(value: unknown, field: string): string {
  if (typeof value !== 'string' || value.trim() === '') throw badRequest(`Missing required field ${field}`);
  if (!ADDRESS.test(value.trim()) || /[\r\n]/.test(value))
    throw badRequest(`Illegal address in ${field}: ${value}`);
  return value.trim();
}

function addressList(value: unknown, field: string): string[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) throw badRequest(`${field} must be a list of email addresses`);
  return value.map((v, i) => address(v, `${field}[${i}]`));
}

function optionalString(value: unknown, field: string): string | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string') throw badRequest(`${field} must be a string`);
  return value;
}

function content(value: unknown, field: string, required: boolean): string | undefined {
  if (value === undefined || value === null) {
    if (required) throw badRequest(`Missing required field ${field}`);
    return undefined;
  }
  if (!isObject(value)) throw badRequest(`${field} must be an object with Data`);
  const data = value.Data;
  if (typeof data !== 'string') throw badRequest(`Missing required field ${field}.Data`);
  return data;
}

/** Handlebars-style `{{name}}` / `{{a.b}}` substitution, as SES templates do for simple variables. */
function renderTemplate(template: string, data: Json): string {
  return template.replace(/\{\{\s*([A-Za-z0-9_.]+)\s*\}\}/g, (_whole, key: string) => {
    let value: unknown = data;
    for (const part of key.split('.')) value = isObject(value) ? value[part] : undefined;
    return value === undefined || value === null ? '' : String(value);
  });
}

/** `Wed, 01 May 2024 12:00:00 +0000` */
function rfc2822(date: Date): string {
  return date.toUTCString().replace('GMT', '+0000');
}

/** A readable `.eml` rendering of a simple or templated email (multipart/alternative when both bodies). */
function renderEml(msg: SesOutboxMessage, date: Date): string {
  const headers = [
    `Message-ID: <${msg.messageId}@email.amazonses.com>`,
    `Date: ${rfc2822(date)}`,
    `From: ${msg.from ?? ''}`,
    ...(msg.to.length > 0 ? [`To: ${msg.to.join(', ')}`] : []),
    ...(msg.cc.length > 0 ? [`Cc: ${msg.cc.join(', ')}`] : []),
    ...(msg.replyTo.length > 0 ? [`Reply-To: ${msg.replyTo.join(', ')}`] : []),
    `Subject: ${msg.subject ?? ''}`,
    'MIME-Version: 1.0',
  ];
  const part = (type: string, body: string): string =>
    `Content-Type: ${type}; charset=UTF-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n${body}`;
  if (msg.text !== undefined && msg.html !== undefined) {
    const boundary = `----=_Part_${randomBytes(8).toString('hex')}`;
    return (
      `${headers.join('\r\n')}\r\nContent-Type: multipart/alternative; boundary="${boundary}"\r\n\r\n` +
      `--${boundary}\r\n${part('text/plain', msg.text)}\r\n--${boundary}\r\n${part('text/html', msg.html)}\r\n` +
      `--${boundary}--\r\n`
    );
  }
  const [type, body] = msg.html !== undefined ? ['text/html', msg.html] : ['text/plain', msg.text ?? ''];
  return `${headers.join('\r\n')}\r\n${part(type, body)}\r\n`;
}

/** The value of a header in a raw MIME message (unfolded), or undefined. */
function rawHeader(raw: string, name: string): string | undefined {
  const end = raw.search(/\r?\n\r?\n/);
  const head = (end < 0 ? raw : raw.slice(0, end)).replace(/\r?\n[ \t]+/g, ' ');
  const re = new RegExp(`^${name}:[ \\t]*(.*)$`, 'im');
  return re.exec(head)?.[1]?.trim();
}

function splitAddresses(value: string | undefined): string[] {
  return value === undefined
    ? []
    : value
        .split(',')
        .map((s) => s.trim())
        .filter((s) => s !== '');
}

/** SES's message id shape: `0100` + hex time, a UUID, `-000000`. */
function sesMessageId(nowMs: number): string {
  return `0100${nowMs.toString(16).padStart(12, '0')}-${randomUUID()}-000000`;
}

/** Starts the SES v2 endpoint on 127.0.0.1. */
export async function sesServer(opts: SesServerOptions): Promise<LocalEndpoint> {
  const log = opts.log ?? (() => undefined);
  const now = opts.now ?? (() => new Date());

  const sendEmail = (input: Json): { MessageId: string } => {
    const c = input.Content;
    if (c === undefined || c === null) throw badRequest('Missing required field Content');
    if (!isObject(c)) throw badRequest('Content must be an object');
    const kinds = (['Simple', 'Raw', 'Template'] as const).filter((k) => c[k] !== undefined && c[k] !== null);
    if (kinds.length !== 1) throw badRequest('Content must contain exactly one of Simple, Raw or Template');
    const kind = kinds[0]!;

    const destination = input.Destination;
    if (destination !== undefined && destination !== null && !isObject(destination)) {
      throw badRequest('Destination must be an object');
    }
    let to = addressList(destination?.ToAddresses, 'Destination.ToAddresses');
    let cc = addressList(destination?.CcAddresses, 'Destination.CcAddresses');
    const bcc = addressList(destination?.BccAddresses, 'Destination.BccAddresses');
    const replyTo = addressList(input.ReplyToAddresses, 'ReplyToAddresses');
    let from =
      input.FromEmailAddress === undefined || input.FromEmailAddress === null
        ? undefined
        : address(input.FromEmailAddress, 'FromEmailAddress');

    const tags: Record<string, string> = {};
    if (input.EmailTags !== undefined && input.EmailTags !== null) {
      if (!Array.isArray(input.EmailTags)) throw badRequest('EmailTags must be a list');
      for (const [i, tag] of (input.EmailTags as unknown[]).entries()) {
        if (!isObject(tag) || typeof tag.Name !== 'string' || typeof tag.Value !== 'string') {
          throw badRequest(`Missing required field EmailTags[${i}].Name or EmailTags[${i}].Value`);
        }
        for (const [field, v] of [
          ['Name', tag.Name],
          ['Value', tag.Value],
        ] as const) {
          if (!/^[A-Za-z0-9_-]{1,256}$/.test(v)) {
            throw badRequest(
              `Invalid tag ${field.toLowerCase()} <${v}>: only alphanumeric ASCII characters, '_', and '-' are allowed.`,
            );
          }
        }
        tags[tag.Name] = tag.Value;
      }
    }
    const configurationSetName = optionalString(input.ConfigurationSetName, 'ConfigurationSetName');

    let subject: string | undefined;
    let text: string | undefined;
    let html: string | undefined;
    let raw: string | undefined;
    let template: SesOutboxMessage['template'];
    if (kind === 'Simple') {
      const simple = c.Simple;
      if (!isObject(simple)) throw badRequest('Content.Simple must be an object');
      if (simple.Attachments !== undefined && simple.Attachments !== null) {
        throw badRequest(
          'Content.Simple.Attachments are not supported by the local runtime; use Content.Raw',
        );
      }
      subject = content(simple.Subject, 'Content.Simple.Subject', true);
      const body = simple.Body;
      if (!isObject(body)) throw badRequest('Missing required field Content.Simple.Body');
      text = content(body.Text, 'Content.Simple.Body.Text', false);
      html = content(body.Html, 'Content.Simple.Body.Html', false);
      if (text === undefined && html === undefined) {
        throw badRequest('Missing required field Content.Simple.Body.Text or Content.Simple.Body.Html');
      }
    } else if (kind === 'Template') {
      const t = c.Template;
      if (!isObject(t)) throw badRequest('Content.Template must be an object');
      const name =
        optionalString(t.TemplateName, 'Content.Template.TemplateName') ??
        optionalString(t.TemplateArn, 'Content.Template.TemplateArn');
      const inline = t.TemplateContent;
      if (!isObject(inline)) {
        // No CreateEmailTemplate locally: a stored template can never exist.
        if (name !== undefined)
          throw new SesError('NotFoundException', `Template ${name} does not exist.`, 404);
        throw badRequest('Missing required field Content.Template.TemplateContent (or TemplateName)');
      }
      const dataText = optionalString(t.TemplateData, 'Content.Template.TemplateData') ?? '{}';
      let data: unknown;
      try {
        data = JSON.parse(dataText);
      } catch {
        throw badRequest('Content.Template.TemplateData is not valid JSON');
      }
      if (!isObject(data)) throw badRequest('Content.Template.TemplateData must be a JSON object');
      const part = (field: string): string | undefined => {
        const v = optionalString(inline[field], `Content.Template.TemplateContent.${field}`);
        return v === undefined ? undefined : renderTemplate(v, data);
      };
      subject = part('Subject');
      text = part('Text');
      html = part('Html');
      if (subject === undefined)
        throw badRequest('Missing required field Content.Template.TemplateContent.Subject');
      if (text === undefined && html === undefined) {
        throw badRequest('Missing required field Content.Template.TemplateContent.Text or Html');
      }
      template = { ...(name !== undefined && { name }), data: dataText };
    } else {
      const r = c.Raw;
      if (!isObject(r) || typeof r.Data !== 'string' || r.Data === '') {
        throw badRequest('Missing required field Content.Raw.Data');
      }
      if (!/^[A-Za-z0-9+/\r\n]*={0,2}\s*$/.test(r.Data))
        throw badRequest('Content.Raw.Data is not valid base64');
      raw = Buffer.from(r.Data, 'base64').toString('utf8');
      if (!/\r?\n\r?\n/.test(raw) && !/^[A-Za-z-]+:/m.test(raw)) {
        throw badRequest('Content.Raw.Data is not a MIME message (no headers)');
      }
      from ??= rawHeader(raw, 'From');
      if (to.length + cc.length + bcc.length === 0) {
        to = splitAddresses(rawHeader(raw, 'To'));
        cc = splitAddresses(rawHeader(raw, 'Cc'));
      }
      subject = rawHeader(raw, 'Subject');
      if (from === undefined)
        throw badRequest("Missing required field FromEmailAddress (or a 'From' header in Content.Raw.Data)");
    }
    if (from === undefined) throw badRequest('Missing required field FromEmailAddress');
    const recipients = to.length + cc.length + bcc.length;
    if (recipients === 0) throw badRequest('Missing required field Destination (no recipients)');
    if (recipients > MAX_RECIPIENTS) throw badRequest(`Recipient count exceeds ${MAX_RECIPIENTS}.`);
    const size = Buffer.byteLength(raw ?? '') + Buffer.byteLength(text ?? '') + Buffer.byteLength(html ?? '');
    if (size > MAX_EMAIL_BYTES) throw badRequest('Message length is more than 40 MB');

    const date = now();
    const messageId = sesMessageId(date.getTime());
    const base = `ses-${fileOrderKey(date.toISOString())}-${messageId}`;
    const record: SesOutboxMessage = {
      kind: 'ses',
      messageId,
      timestamp: date.toISOString(),
      from,
      to,
      cc,
      bcc,
      replyTo,
      ...(subject !== undefined && { subject }),
      ...(text !== undefined && { text }),
      ...(html !== undefined && { html }),
      ...(raw !== undefined && { raw }),
      ...(template !== undefined && { template }),
      tags,
      ...(configurationSetName !== undefined && { configurationSetName }),
      emlFile: `${base}.eml`,
    };
    // The .eml first: the JSON file is what marks the email as sent.
    writeFileAtomic(opts.outboxDir, `${base}.eml`, raw ?? renderEml(record, date));
    writeFileAtomic(opts.outboxDir, `${base}.json`, `${JSON.stringify(record, null, 2)}\n`);
    log(`ses: ${from} → ${[...to, ...cc, ...bcc].join(', ')} "${subject ?? ''}" ${messageId}`);
    return { MessageId: messageId };
  };

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const requestId = randomUUID();
    const reply = (status: number, body: Json, errorType?: string): void => {
      res.writeHead(status, {
        'Content-Type': 'application/json',
        'x-amzn-RequestId': requestId,
        ...(errorType && { 'x-amzn-ErrorType': errorType }),
      });
      res.end(JSON.stringify(body));
    };
    try {
      let body: Buffer;
      try {
        // Base64 makes a 40 MB email ~54 MB of JSON.
        body = await readBody(req, Math.ceil((MAX_EMAIL_BYTES * 4) / 3) + 1024 * 1024);
      } catch (err) {
        if (err instanceof BodyTooLargeError) throw badRequest('Message length is more than 40 MB');
        throw err;
      }
      const path = (req.url ?? '/').split('?')[0]!.replace(/\/+$/, '');
      if (path !== '/v2/email/outbound-emails') {
        throw new SesError(
          'UnknownOperationException',
          `No operation at ${req.method} ${path || '/'} in the local SES`,
          404,
        );
      }
      if (req.method !== 'POST') {
        throw new SesError('UnknownOperationException', `${req.method} is not allowed on ${path}`, 405);
      }
      let input: unknown;
      try {
        input = body.length === 0 ? {} : JSON.parse(body.toString('utf8'));
      } catch {
        throw new SesError('SerializationException', 'The request body is not valid JSON');
      }
      if (!isObject(input))
        throw new SesError('SerializationException', 'The request body must be a JSON object');
      reply(200, sendEmail(input));
    } catch (err) {
      if (err instanceof SesError) {
        reply(err.status, { message: err.message }, err.type);
        return;
      }
      log(`ses: internal failure: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
      reply(500, { message: 'Internal failure' }, 'InternalFailure');
    }
  };

  const endpoint = await listen(opts.port, handle, (line) => log(`ses: ${line}`));
  log(`ses: ${opts.region} on ${endpoint.endpoint}, writing to ${opts.outboxDir}`);
  return endpoint;
}

import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SendEmailCommand, SESv2Client, type SendEmailCommandInput } from '@aws-sdk/client-sesv2';
import { listOutbox, sesServer, type LocalEndpoint, type SesOutboxMessage } from '../../../local/messaging';

describe('local SES v2 over the real SDK client', () => {
  let outbox: string;
  let server: LocalEndpoint;
  let ses: SESv2Client;

  beforeEach(async () => {
    outbox = mkdtempSync(join(tmpdir(), 'ses-outbox-'));
    server = await sesServer({ region: 'eu-west-1', outboxDir: outbox });
    ses = new SESv2Client({
      endpoint: server.endpoint,
      region: 'eu-west-1',
      credentials: { accessKeyId: 'x', secretAccessKey: 'x' },
      maxAttempts: 1,
    });
  });

  afterEach(async () => {
    ses.destroy();
    await server.close();
    rmSync(outbox, { recursive: true, force: true });
  });

  const simple: SendEmailCommandInput = {
    FromEmailAddress: 'Meridian <orders@meridian.example>',
    Destination: {
      ToAddresses: ['ada@example.com'],
      CcAddresses: ['ops@example.com'],
      BccAddresses: ['audit@example.com'],
    },
    ReplyToAddresses: ['support@meridian.example'],
    Content: {
      Simple: {
        Subject: { Data: 'Order o-1 confirmed ✓', Charset: 'UTF-8' },
        Body: {
          Text: { Data: 'Thanks for your order.', Charset: 'UTF-8' },
          Html: { Data: '<p>Thanks for your <b>order</b>.</p>', Charset: 'UTF-8' },
        },
      },
    },
    EmailTags: [{ Name: 'template', Value: 'order-confirmed' }],
  };

  it('sends a simple email into the outbox as JSON plus an .eml rendering', async () => {
    const out = await ses.send(new SendEmailCommand(simple));
    expect(out.MessageId).toMatch(/^0100[0-9a-f]{12}-[0-9a-f-]{36}-000000$/);
    const [message] = listOutbox(outbox) as (SesOutboxMessage & { file: string })[];
    expect(message).toEqual({
      kind: 'ses',
      messageId: out.MessageId,
      timestamp: expect.stringMatching(/Z$/),
      from: 'Meridian <orders@meridian.example>',
      to: ['ada@example.com'],
      cc: ['ops@example.com'],
      bcc: ['audit@example.com'],
      replyTo: ['support@meridian.example'],
      subject: 'Order o-1 confirmed ✓',
      text: 'Thanks for your order.',
      html: '<p>Thanks for your <b>order</b>.</p>',
      tags: { template: 'order-confirmed' },
      emlFile: expect.stringMatching(new RegExp(`^ses-\\d{8}T\\d{9}Z-\\d{8}-${out.MessageId}\\.eml$`)),
      file: join(outbox, message!.emlFile!.replace(/\.eml$/, '.json')),
    });
    const eml = readFileSync(join(outbox, message!.emlFile!), 'utf8');
    expect(eml).toContain('From: Meridian <orders@meridian.example>\r\n');
    expect(eml).toContain('To: ada@example.com\r\n');
    expect(eml).toContain('Subject: Order o-1 confirmed ✓\r\n');
    expect(eml).toContain('Content-Type: multipart/alternative');
    expect(eml).toContain('<p>Thanks for your <b>order</b>.</p>');
    expect(eml).not.toContain('audit@example.com'); // Bcc never appears in the headers
  });

  it('stores a raw MIME message, taking sender and recipients from its headers', async () => {
    const raw =
      'From: a@example.com\r\nTo: b@example.com, c@example.com\r\nSubject: Raw one\r\n\r\nbody text\r\n';
    const out = await ses.send(new SendEmailCommand({ Content: { Raw: { Data: Buffer.from(raw) } } }));
    const [message] = listOutbox(outbox) as SesOutboxMessage[];
    expect(message).toMatchObject({
      messageId: out.MessageId,
      from: 'a@example.com',
      to: ['b@example.com', 'c@example.com'],
      subject: 'Raw one',
      raw,
    });
    expect(readFileSync(join(outbox, message!.emlFile!), 'utf8')).toBe(raw);
  });

  it('renders an inline template and rejects a stored template name with NotFoundException', async () => {
    await ses.send(
      new SendEmailCommand({
        FromEmailAddress: 'orders@meridian.example',
        Destination: { ToAddresses: ['ada@example.com'] },
        Content: {
          Template: {
            TemplateContent: { Subject: 'Hi {{name}}', Text: 'Order {{order.id}} is {{ status }}.' },
            TemplateData: JSON.stringify({ name: 'Ada', order: { id: 'o-7' }, status: 'shipped' }),
          },
        },
      }),
    );
    expect(listOutbox(outbox)[0]).toMatchObject({ subject: 'Hi Ada', text: 'Order o-7 is shipped.' });
    await expect(
      ses.send(
        new SendEmailCommand({
          FromEmailAddress: 'orders@meridian.example',
          Destination: { ToAddresses: ['ada@example.com'] },
          Content: { Template: { TemplateName: 'welcome', TemplateData: '{}' } },
        }),
      ),
    ).rejects.toMatchObject({ name: 'NotFoundException', $metadata: { httpStatusCode: 404 } });
  });

  it('answers BadRequestException naming the missing or bad field', async () => {
    const cases: [SendEmailCommandInput, RegExp][] = [
      [{ ...simple, Content: undefined }, /Content/],
      [{ ...simple, FromEmailAddress: undefined }, /FromEmailAddress/],
      [{ ...simple, Destination: {} }, /Destination/],
      [
        { ...simple, Destination: { ToAddresses: ['not-an-address'] } },
        /Illegal address in Destination\.ToAddresses\[0\]/,
      ],
      [
        { ...simple, Content: { Simple: { Subject: { Data: 's' }, Body: {} } } },
        /Content\.Simple\.Body\.Text or Content\.Simple\.Body\.Html/,
      ],
      [
        { ...simple, Content: { Simple: { Body: { Text: { Data: 't' } } } } as never },
        /Content\.Simple\.Subject/,
      ],
      [{ ...simple, EmailTags: [{ Name: 'bad tag', Value: 'v' }] }, /Invalid tag name/],
      [
        {
          ...simple,
          Destination: { ToAddresses: Array.from({ length: 51 }, (_, i) => `u${i}@example.com`) },
        },
        /Recipient count exceeds 50/,
      ],
    ];
    for (const [input, message] of cases) {
      const error = await ses.send(new SendEmailCommand(input)).catch((e: unknown) => e);
      expect(error).toMatchObject({ name: 'BadRequestException', $metadata: { httpStatusCode: 400 } });
      expect((error as Error).message).toMatch(message);
    }
    expect(listOutbox(outbox)).toEqual([]);
  });

  it('answers REST-JSON errors for unknown routes and bad JSON, and keeps serving', async () => {
    const unknown = await fetch(`${server.endpoint}/v2/email/identities`, { method: 'GET' });
    expect(unknown.status).toBe(404);
    expect(unknown.headers.get('x-amzn-errortype')).toBe('UnknownOperationException');
    const bad = await fetch(`${server.endpoint}/v2/email/outbound-emails`, { method: 'POST', body: '{oops' });
    expect(bad.status).toBe(400);
    expect(bad.headers.get('x-amzn-errortype')).toBe('SerializationException');
    expect(await bad.json()).toEqual({ message: 'The request body is not valid JSON' });
    await ses.send(new SendEmailCommand(simple));
    expect(listOutbox(outbox)).toHaveLength(1);
  });
});

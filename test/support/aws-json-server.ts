import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** One request received by the fake: the operation (from X-Amz-Target) and its JSON input. */
export interface AwsJsonCall {
  readonly operation: string;
  readonly input: Record<string, unknown>;
}

/** The fake's answer: a status and a JSON body (errors carry `__type`, as AWS JSON protocols do). */
export interface AwsJsonReply {
  readonly status?: number;
  readonly body: unknown;
}

/**
 * A tiny real HTTP server on 127.0.0.1 speaking the AWS JSON 1.0/1.1 protocol (EventBridge, SFN, SQS
 * JSON...). Adapter tests point a real SDK v3 client at it, so the wire format is exercised end to end.
 */
export class AwsJsonServer {
  readonly calls: AwsJsonCall[] = [];
  private server?: Server;

  constructor(private readonly respond: (call: AwsJsonCall) => AwsJsonReply | Promise<AwsJsonReply>) {}

  async start(): Promise<string> {
    this.server = createServer((req, res) => {
      void this.handle(req).then(
        ({ status, body }) => {
          res.writeHead(status ?? 200, { 'content-type': 'application/x-amz-json-1.1' });
          res.end(JSON.stringify(body));
        },
        (err: Error) => {
          res.writeHead(500, { 'content-type': 'application/x-amz-json-1.1' });
          res.end(JSON.stringify({ __type: 'InternalFailure', message: err.message }));
        },
      );
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', () => resolve()));
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  async stop(): Promise<void> {
    if (this.server) await new Promise<void>((resolve) => this.server!.close(() => resolve()));
  }

  private async handle(req: IncomingMessage): Promise<AwsJsonReply> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const target = String(req.headers['x-amz-target'] ?? '');
    const operation = target.slice(target.lastIndexOf('.') + 1);
    const text = Buffer.concat(chunks).toString('utf8');
    const call: AwsJsonCall = { operation, input: text ? (JSON.parse(text) as Record<string, unknown>) : {} };
    this.calls.push(call);
    return this.respond(call);
  }
}

/** Static test credentials for SDK clients pointed at loopback fakes. */
export const TEST_CREDENTIALS = { accessKeyId: 'test', secretAccessKey: 'test' };

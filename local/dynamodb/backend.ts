import { Agent, request, type IncomingHttpHeaders, type OutgoingHttpHeaders } from 'node:http';

/** The DynamoDB JSON protocol's service prefix, used in every `__type` we produce. */
export const TARGET_PREFIX = 'DynamoDB_20120810';
const ERROR_PREFIX = 'com.amazonaws.dynamodb.v20120810#';

/** An answer of dynalite, kept as bytes so it can be relayed to the client unchanged. */
export interface RawResponse {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly body: Buffer;
}

/** A DynamoDB-shaped error: its short type (`ResourceNotFoundException`), message and HTTP status. */
export class DynamoError extends Error {
  constructor(
    readonly type: string,
    message: string,
    readonly status = 400,
  ) {
    super(message);
    this.name = 'DynamoError';
  }

  /** The JSON body of the error, as DynamoDB sends it. */
  toBody(): { __type: string; message: string } {
    return { __type: `${ERROR_PREFIX}${this.type}`, message: this.message };
  }
}

/** Headers relayed from a client to dynalite (it checks that a SigV4-looking Authorization is present). */
const FORWARDED = [
  'content-type',
  'x-amz-target',
  'authorization',
  'x-amz-date',
  'x-amz-security-token',
  'origin',
];

// dynalite verifies the shape of the Authorization header, never the signature: internal calls carry a
// well-formed dummy one.
const INTERNAL_AUTH =
  'AWS4-HMAC-SHA256 Credential=meridian/20200101/local/dynamodb/aws4_request, SignedHeaders=host, Signature=0';

/** The HTTP client of the regional layer towards its private dynalite (keep-alive, loopback). */
export class Backend {
  private readonly agent = new Agent({ keepAlive: true, maxSockets: 64 });

  constructor(private readonly port: number) {}

  /** Sends a client's request to dynalite as it came and returns dynalite's answer as bytes. */
  forward(method: string, body: Buffer, headers: IncomingHttpHeaders): Promise<RawResponse> {
    const out: OutgoingHttpHeaders = { 'content-length': body.length };
    for (const name of FORWARDED) if (headers[name] !== undefined) out[name] = headers[name];
    return this.send(method, body, out);
  }

  /** Calls a DynamoDB operation on dynalite; resolves with its output, rejects with a DynamoError. */
  async call<T>(op: string, input: unknown): Promise<T> {
    const res = await this.raw(op, input);
    if (res.status === 200) return JSON.parse(res.body.toString('utf8')) as T;
    throw errorOf(res);
  }

  /** Calls a DynamoDB operation on dynalite and returns its raw answer (errors included). */
  raw(op: string, input: unknown): Promise<RawResponse> {
    const body = Buffer.from(JSON.stringify(input), 'utf8');
    return this.send('POST', body, {
      'content-type': 'application/x-amz-json-1.0',
      'content-length': body.length,
      'x-amz-target': `${TARGET_PREFIX}.${op}`,
      'x-amz-date': new Date().toISOString().replace(/[-:]|\.\d{3}/g, ''),
      authorization: INTERNAL_AUTH,
    });
  }

  close(): void {
    this.agent.destroy();
  }

  private send(method: string, body: Buffer, headers: OutgoingHttpHeaders): Promise<RawResponse> {
    return new Promise((resolve, reject) => {
      const req = request(
        { host: '127.0.0.1', port: this.port, method, path: '/', agent: this.agent, headers },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () =>
            resolve({ status: res.statusCode ?? 500, headers: res.headers, body: Buffer.concat(chunks) }),
          );
          res.on('error', reject);
        },
      );
      req.on('error', reject);
      req.end(body);
    });
  }
}

/** The DynamoError of a non-200 dynalite answer. */
export function errorOf(res: RawResponse): DynamoError {
  try {
    const parsed = JSON.parse(res.body.toString('utf8')) as {
      __type?: string;
      message?: string;
      Message?: string;
    };
    const type = (parsed.__type ?? 'InternalServerError').split('#').pop()!;
    return new DynamoError(type, parsed.message ?? parsed.Message ?? '', res.status);
  } catch {
    return new DynamoError('InternalServerError', `dynalite answered HTTP ${res.status}`, 500);
  }
}

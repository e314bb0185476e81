import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomUUID } from 'node:crypto';
import { LambdaError } from './errors';
import type { ThrottleMode } from './pool';
import { ASYNC_PAYLOAD_LIMIT, SYNC_PAYLOAD_LIMIT, type LambdaService } from './service';

/** A Lambda Invoke API endpoint on loopback. */
export interface LambdaHttpServer {
  port: number;
  endpoint: string;
  close(): Promise<void>;
}

/** Options of `lambdaHttpServer`. */
export interface LambdaHttpServerOptions {
  /** 0 (default) picks an ephemeral port. */
  port?: number;
  /** Beyond a function's concurrency: 'reject' answers 429 as AWS does. @default 'reject' */
  throttle?: ThrottleMode;
  /** Internal failures (500s) are reported here. */
  log?: (line: string) => void;
}

const INVOKE_PATH = /^\/2015-03-31\/functions\/([^/]+)\/invocations\/?$/;

class BodyTooLarge extends Error {}

/** Reads the body, stopping at `limit` + 1 bytes (the rest is drained, not buffered). */
function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let tooLarge = false;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) tooLarge = true;
      if (!tooLarge) chunks.push(chunk);
    });
    req.on('end', () => (tooLarge ? reject(new BodyTooLarge()) : resolve(Buffer.concat(chunks))));
    req.on('error', reject);
  });
}

function sendError(res: ServerResponse, err: LambdaError, requestId: string): void {
  const body = JSON.stringify(err.toBody());
  res.writeHead(err.statusCode, {
    'content-type': 'application/json',
    'x-amzn-errortype': err.code,
    'x-amzn-requestid': requestId,
    'content-length': Buffer.byteLength(body),
    ...(err.code === 'TooManyRequestsException' ? { 'retry-after': '1' } : {}),
  });
  res.end(body);
}

function header(req: IncomingMessage, name: string): string | undefined {
  const v = req.headers[name];
  return Array.isArray(v) ? v[0] : v;
}

/**
 * Lambda's Invoke REST API (`POST /2015-03-31/functions/{FunctionName}/invocations`) for one region's
 * functions: RequestResponse, Event (202) and DryRun (204), `X-Amz-Log-Type: Tail`, and AWS's errors.
 */
export async function lambdaHttpServer(
  service: LambdaService,
  options: LambdaHttpServerOptions = {},
): Promise<LambdaHttpServer> {
  const throttle = options.throttle ?? 'reject';

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const match = INVOKE_PATH.exec(url.pathname);
    if (!match || req.method !== 'POST') {
      req.resume();
      throw new LambdaError('UnknownOperationException', `Unknown operation ${req.method} ${url.pathname}`);
    }
    let functionName: string;
    try {
      functionName = decodeURIComponent(match[1] as string);
    } catch {
      req.resume();
      throw new LambdaError('InvalidParameterValueException', 'FunctionName is not a valid URI component.');
    }
    const qualifier = url.searchParams.get('Qualifier') ?? undefined;
    const invocationType = header(req, 'x-amz-invocation-type') ?? 'RequestResponse';
    if (!['RequestResponse', 'Event', 'DryRun'].includes(invocationType)) {
      req.resume();
      throw new LambdaError(
        'ValidationException',
        `1 validation error detected: Value '${invocationType}' at 'invocationType' failed to satisfy constraint: ` +
          'Member must satisfy enum value set: [Event, RequestResponse, DryRun]',
      );
    }
    const logType = header(req, 'x-amz-log-type') ?? 'None';
    if (logType !== 'None' && logType !== 'Tail') {
      req.resume();
      throw new LambdaError(
        'ValidationException',
        `1 validation error detected: Value '${logType}' at 'logType' failed to satisfy constraint: ` +
          'Member must satisfy enum value set: [None, Tail]',
      );
    }
    const limit = invocationType === 'Event' ? ASYNC_PAYLOAD_LIMIT : SYNC_PAYLOAD_LIMIT;
    let body: string;
    try {
      body = (await readBody(req, limit)).toString('utf8');
    } catch (err) {
      if (err instanceof BodyTooLarge) {
        throw new LambdaError(
          'RequestTooLargeException',
          `Request must be smaller than ${limit} bytes for the InvokeFunction operation`,
        );
      }
      throw err;
    }
    if (body.trim() !== '') {
      try {
        JSON.parse(body);
      } catch (err) {
        throw new LambdaError(
          'InvalidRequestContentException',
          `Could not parse request body into json: Could not parse payload into json: ${(err as Error).message}`,
        );
      }
    }
    let clientContext: unknown;
    const rawContext = header(req, 'x-amz-client-context');
    if (rawContext !== undefined && invocationType === 'RequestResponse') {
      try {
        clientContext = JSON.parse(Buffer.from(rawContext, 'base64').toString('utf8')) as unknown;
      } catch {
        throw new LambdaError(
          'InvalidRequestContentException',
          'Client context must be a valid Base64-encoded JSON object.',
        );
      }
    }
    const q = qualifier !== undefined ? { qualifier } : {};

    if (invocationType === 'DryRun') {
      service.check(functionName, qualifier);
      res.writeHead(204, { 'x-amzn-requestid': randomUUID() });
      res.end();
      return;
    }
    if (invocationType === 'Event') {
      const { requestId } = service.invokeAsyncJson(functionName, body, q);
      res.writeHead(202, { 'x-amzn-requestid': requestId, 'content-length': 0 });
      res.end();
      return;
    }
    const result = await service.invokeJson(functionName, body, {
      ...q,
      throttle,
      logType,
      ...(clientContext !== undefined ? { clientContext } : {}),
    });
    res.writeHead(200, {
      'content-type': 'application/json',
      'content-length': Buffer.byteLength(result.payloadJson),
      'x-amzn-requestid': result.requestId,
      'x-amz-executed-version': result.executedVersion,
      ...(result.functionError ? { 'x-amz-function-error': result.functionError } : {}),
      ...(result.logResult !== undefined ? { 'x-amz-log-result': result.logResult } : {}),
    });
    res.end(result.payloadJson);
  };

  const server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      const requestId = randomUUID();
      if (res.headersSent) {
        res.destroy();
        return;
      }
      if (err instanceof LambdaError) {
        sendError(res, err, requestId);
        return;
      }
      options.log?.(`lambda: internal error ${requestId}: ${err instanceof Error ? err.stack : String(err)}`);
      sendError(res, new LambdaError('ServiceException', 'An internal error occurred.'), requestId);
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
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

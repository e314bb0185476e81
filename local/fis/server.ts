import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { signingRegionOf } from '../dynamodb';
import { loopback } from '../region/config';
import { FisError, type Experiments } from './experiments';

/** The FIS endpoint of the local runtime (REST-JSON, as `@aws-sdk/client-fis` speaks it). */
export interface FisServer {
  readonly port: number;
  readonly endpoint: string;
  close(): Promise<void>;
}

const MAX_BODY_BYTES = 64 * 1024;
const TOKEN = /^[\x21-\x7e]{1,1024}$/;

async function readBody(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY_BYTES)
      throw new FisError(413, 'ValidationException', 'The request body is too large.');
    chunks.push(chunk);
  }
  const text = Buffer.concat(chunks).toString('utf8');
  if (text.trim() === '') return {};
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new FisError(400, 'SerializationException', 'The request body is not valid JSON.');
  }
}

function decodePart(part: string): string {
  try {
    return decodeURIComponent(part);
  } catch {
    throw new FisError(
      400,
      'ValidationException',
      `The path segment "${part}" is not valid percent-encoding.`,
    );
  }
}

function stringField(body: Record<string, unknown>, name: string): string {
  const value = body[name];
  if (typeof value !== 'string' || value.length === 0) {
    throw new FisError(400, 'ValidationException', `${name} is required and must be a non-empty string.`);
  }
  return value;
}

function tagsField(body: Record<string, unknown>): Record<string, string> | undefined {
  const tags = body.tags;
  if (tags === undefined) return undefined;
  if (!tags || typeof tags !== 'object' || Array.isArray(tags)) {
    throw new FisError(400, 'ValidationException', 'tags must be a map of strings.');
  }
  for (const [k, v] of Object.entries(tags)) {
    if (typeof v !== 'string' || k.length === 0 || k.length > 128 || v.length > 256) {
      throw new FisError(400, 'ValidationException', `tag ${k}: keys are 1-128 and values 0-256 characters.`);
    }
  }
  return tags as Record<string, string>;
}

/** Serves `experiments` on loopback: templates, StartExperiment, GetExperiment, ListExperiments, StopExperiment. */
export async function startFisServer(
  experiments: Experiments,
  options: { port?: number } = {},
): Promise<FisServer> {
  const handle = async (req: IncomingMessage) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const parts = url.pathname.split('/').filter(Boolean).map(decodePart);
    const region = signingRegionOf(req.headers.authorization);
    if (!region) {
      throw new FisError(
        403,
        'MissingAuthenticationTokenException',
        'Sign the request with SigV4: its credential scope names the region.',
      );
    }
    if (!experiments.hasRegion(region)) {
      throw new FisError(400, 'ValidationException', `The local runtime does not run region ${region}.`);
    }
    const [collection, id, ...rest] = parts;
    const method = req.method ?? 'GET';
    if (rest.length === 0 && collection === 'experimentTemplates' && method === 'GET') {
      if (id === undefined) return { experimentTemplates: experiments.listTemplates(region) };
      return { experimentTemplate: experiments.getTemplate(region, id) };
    }
    if (rest.length === 0 && collection === 'experiments') {
      if (id === undefined && method === 'POST') {
        const body = await readBody(req);
        if (!body || typeof body !== 'object' || Array.isArray(body)) {
          throw new FisError(400, 'ValidationException', 'The request body must be a JSON object.');
        }
        const input = body as Record<string, unknown>;
        const clientToken = stringField(input, 'clientToken');
        if (!TOKEN.test(clientToken)) {
          throw new FisError(
            400,
            'ValidationException',
            'clientToken must be 1-1024 printable ASCII characters.',
          );
        }
        const tags = tagsField(input);
        return {
          experiment: experiments.start(region, {
            clientToken,
            experimentTemplateId: stringField(input, 'experimentTemplateId'),
            ...(tags && { tags }),
          }),
        };
      }
      if (id === undefined && method === 'GET') {
        const templateId = url.searchParams.get('experimentTemplateId') ?? undefined;
        return { experiments: experiments.list(region, templateId) };
      }
      if (id !== undefined && method === 'GET') return { experiment: experiments.get(region, id) };
      if (id !== undefined && method === 'DELETE') return { experiment: experiments.stop(region, id) };
    }
    throw new FisError(404, 'UnknownOperationException', `No FIS operation at ${method} ${url.pathname}.`);
  };

  const server = createServer((req, res) => {
    handle(req).then(
      (out) => {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify(out));
      },
      (err: unknown) => {
        const known = err instanceof FisError;
        const status = known ? err.status : 500;
        const code = known ? err.code : 'InternalServerException';
        const message = err instanceof Error ? err.message : String(err);
        // Whatever was not read of the body is drained, so the connection stays usable.
        req.resume();
        res.writeHead(status, { 'content-type': 'application/json', 'x-amzn-errortype': code });
        res.end(JSON.stringify({ message }));
      },
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  return {
    port,
    endpoint: loopback(port),
    close: () =>
      new Promise<void>((resolve) => {
        experiments.close();
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

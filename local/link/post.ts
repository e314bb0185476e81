import { Agent, request } from 'node:http';

/** The path a region's control server mounts the link receiver on. */
export const LINK_PATH = '/_meridian/link';

/** The outcome of one POST: the status and (the start of) the answer's body. */
export interface PostResult {
  readonly status: number;
  readonly body: string;
}

/**
 * POSTs a JSON body over the given keep-alive agent. Resolves with any HTTP answer, rejects on a
 * transport failure (refused, reset, timed out); `signal` aborts the request.
 */
export function postJson(
  url: string,
  body: string,
  agent: Agent,
  timeoutMs: number,
  signal: AbortSignal,
): Promise<PostResult> {
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      {
        method: 'POST',
        agent,
        signal,
        headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body, 'utf8') },
      },
      (res) => {
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (chunk: Buffer) => {
          // Only the start of an answer is kept: it is for error messages, not data.
          if (size < 4096) chunks.push(chunk);
          size += chunk.length;
        });
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            body: Buffer.concat(chunks).toString('utf8').slice(0, 4096),
          }),
        );
        res.on('error', reject);
      },
    );
    req.setTimeout(timeoutMs, () => req.destroy(new Error(`no answer within ${timeoutMs} ms`)));
    req.on('error', reject);
    req.end(body);
  });
}

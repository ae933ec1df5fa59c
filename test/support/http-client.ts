/**
 * One HTTP request over a fresh socket (no keep-alive agent) to 127.0.0.1:port with the path sent
 * as given (http.request does not normalise `..`); resolves with status, headers and the body.
 */
import { request as httpRequest, type IncomingHttpHeaders } from 'node:http';

export interface Reply {
  status: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
  // biome-ignore lint/suspicious/noExplicitAny: replies are JSON inspected field by field
  json: () => any;
}

export function send(
  port: number,
  opts: {
    method?: string;
    path: string;
    headers?: Record<string, string>;
    /** Several parts are written one by one (a chunked upload when Transfer-Encoding says so). */
    body?: string | Buffer | Buffer[];
  },
): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      {
        host: '127.0.0.1',
        port,
        method: opts.method ?? 'GET',
        path: opts.path,
        headers: opts.headers,
        agent: false,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const body = Buffer.concat(chunks);
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            body,
            json: () => JSON.parse(body.toString()),
          });
        });
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    if (opts.body !== undefined)
      for (const part of Array.isArray(opts.body) ? opts.body : [opts.body]) req.write(part);
    req.end();
  });
}

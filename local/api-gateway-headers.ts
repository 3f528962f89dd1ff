/**
 * In front of serverless-offline, what API Gateway does to a request's headers before a function
 * sees them and serverless-offline does not: a repeated header reaches the function once, its values
 * joined with commas (serverless-offline keeps only the last, so two Authorization headers would pass
 * locally while API Gateway's joined form is refused). Everything else is passed through as it is.
 */
import { Agent, createServer, request } from 'node:http';
import { listenOnLoopback } from './loopback.ts';

export interface HeaderJoiningProxy {
  url: string;
  close(): Promise<void>;
}

/** The request's headers as API Gateway's payload 2.0 gives them: lower-case, repeats joined. */
export function joinRepeatedHeaders(rawHeaders: readonly string[]): Record<string, string> {
  const headers: Record<string, string> = {};
  for (let i = 0; i + 1 < rawHeaders.length; i += 2) {
    const name = (rawHeaders[i] as string).toLowerCase();
    const value = rawHeaders[i + 1] as string;
    headers[name] = Object.hasOwn(headers, name) ? `${headers[name]},${value}` : value;
  }
  return headers;
}

/** Listens on `port` (0: a free one) of 127.0.0.1 and forwards every request to `target`. */
export async function startHeaderJoiningProxy(options: {
  port: number;
  target: string;
}): Promise<HeaderJoiningProxy> {
  const target = new URL(options.target);
  const agent = new Agent({ keepAlive: true });
  const server = createServer((incoming, outgoing) => {
    const forward = request(
      {
        host: target.hostname,
        port: target.port,
        method: incoming.method,
        path: incoming.url,
        headers: joinRepeatedHeaders(incoming.rawHeaders),
        agent,
      },
      (answer) => {
        outgoing.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(outgoing);
      },
    );
    forward.on('error', () => {
      if (!outgoing.headersSent) outgoing.writeHead(502, { 'content-type': 'application/json' });
      outgoing.end(
        JSON.stringify({
          error: { code: 'internal', message: 'the local API is not answering', requestId: '' },
        }),
      );
    });
    incoming.pipe(forward);
  });
  const listening = await listenOnLoopback(server, options.port);
  return {
    url: listening.url,
    close: () => {
      agent.destroy();
      return listening.close();
    },
  };
}

/**
 * A realistic issuer for the cold start: on AWS the issuer (Okta, Entra, Google) is an internet round
 * trip away, the dev issuer a loopback one. This proxy sits in front of the dev issuer on its own
 * port, answers each request (discovery, JWKS) only after `delayMs`, and rewrites the issuer's origin
 * in what it answers to its own, so that the discovery document's `jwks_uri` leads back through it.
 * Tokens for it carry its URL as `iss`, as they would the real issuer's.
 */
import { createServer, type Server } from 'node:http';
import { listenOnLoopback } from '../local/loopback.ts';

export interface DelayedIssuer {
  url: string;
  close(): Promise<void>;
}

export async function startDelayedIssuer(upstream: string, delayMs: number): Promise<DelayedIssuer> {
  const origin = new URL(upstream).origin;
  let url = '';
  const server: Server = createServer((req, res) => {
    const answered = fetch(new URL(req.url ?? '/', origin), { method: req.method ?? 'GET' }).then(
      async (response) => ({
        status: response.status,
        type: response.headers.get('content-type') ?? 'application/json',
        body: (await response.text()).replaceAll(origin, url),
      }),
    );
    const delayed = new Promise((resolve) => setTimeout(resolve, delayMs));
    Promise.all([answered, delayed]).then(
      ([{ status, type, body }]) => res.writeHead(status, { 'content-type': type }).end(body),
      () => res.writeHead(502).end(),
    );
  });
  const listening = await listenOnLoopback(server);
  url = listening.url;
  return { url, close: listening.close };
}

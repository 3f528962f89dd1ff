/**
 * hallpass's OIDC discovery document and JWKS over HTTP, for the test stack: the local STS fetches
 * them to verify the tokens of web-identity vends, as AWS STS fetches them from API Gateway. The
 * answers come from the real handler modules (functions/oidc-*.ts), driven with API Gateway events.
 */
import { createServer } from 'node:http';
import { apiEvent, lambdaContext } from '../../local/api-gateway.ts';
import { listenOnLoopback } from '../../local/loopback.ts';

type Handler = (
  event: unknown,
  context: unknown,
) => Promise<{ statusCode: number; headers?: object; body?: string }>;

const ROUTES: Record<string, () => Promise<{ handler: unknown }>> = {
  '/.well-known/openid-configuration': () => import('../../functions/oidc-configuration.ts'),
  '/.well-known/jwks.json': () => import('../../functions/oidc-jwks.ts'),
};

export async function startOidcRoutes(): Promise<{ url: string; close(): Promise<void> }> {
  const server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0] ?? '/';
    const route = ROUTES[path];
    if (req.method !== 'GET' || !route) {
      res.writeHead(404).end();
      return;
    }
    route()
      .then(async ({ handler }) => {
        const result = await (handler as Handler)(apiEvent({ method: 'GET', path }), lambdaContext());
        res.writeHead(result.statusCode, { ...(result.headers ?? {}) });
        res.end(result.body ?? '');
      })
      .catch(() => res.writeHead(500).end());
  });
  const listening = await listenOnLoopback(server, 0);
  return { url: listening.url, close: listening.close };
}

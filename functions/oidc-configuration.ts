/**
 * GET /.well-known/openid-configuration (no auth): hallpass's discovery document as an OIDC provider,
 * which STS reads to verify the tokens of web-identity sessions.
 */
import { config } from '../lib/config.ts';
import { discoveryDocument } from '../lib/core/web-identity.ts';
import { NotFoundError } from '../lib/errors.ts';
import { httpRoute, json } from '../lib/http/route.ts';
import { oidcConfigurationRoute } from '../lib/http/routes.ts';

export const handler = httpRoute(oidcConfigurationRoute).handler(async () => {
  const settings = config().webIdentity;
  if (!settings) throw new NotFoundError('hallpass is not configured as an OIDC provider');
  return json(200, discoveryDocument(settings.issuer), { maxAgeSeconds: 300 });
});

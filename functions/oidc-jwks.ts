/**
 * GET /.well-known/jwks.json (no auth): the public keys of the KMS keys that sign hallpass's tokens
 * (the signing key, then any other published one, for rotation), read once per container.
 */
import { jwtSigner } from '../lib/deps.ts';
import { NotFoundError } from '../lib/errors.ts';
import { httpRoute, json } from '../lib/http/route.ts';
import { oidcJwksRoute } from '../lib/http/routes.ts';

export const handler = httpRoute(oidcJwksRoute).handler(async () => {
  const signer = jwtSigner();
  if (!signer) throw new NotFoundError('hallpass is not configured as an OIDC provider');
  return json(200, await signer.jwks(), { maxAgeSeconds: 300 });
});

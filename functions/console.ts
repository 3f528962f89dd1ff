/**
 * POST /v1/console: vend a session as POST /v1/credentials does, and answer an AWS console sign-in
 * URL for it (no-store; the URL is a bearer secret, never logged).
 */
import { STSClient } from '@aws-sdk/client-sts';
import {
  authenticator,
  CLIENT_OPTIONS,
  consoleSettings,
  containerDeps,
  measured,
  webIdentityIssuer,
} from '../lib/deps.ts';
import { httpRoute, json } from '../lib/http/route.ts';
import { consoleRoute } from '../lib/http/routes.ts';
import { vendConsoleSignIn } from '../lib/use-cases/vend-credentials.ts';

const deps = {
  ...containerDeps(),
  sts: measured(new STSClient(CLIENT_OPTIONS), 'sts'),
  webIdentity: webIdentityIssuer(),
  console: consoleSettings(),
};

export const handler = httpRoute(consoleRoute, authenticator()).handler(async (event) => {
  const { principal, body, client } = event.hallpass;
  return json(200, await vendConsoleSignIn(deps, { principal, body, client }), { noStore: true });
});

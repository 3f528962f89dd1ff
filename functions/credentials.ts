/** POST /v1/credentials: vend temporary credentials for an entitlement (no-store). */
import { STSClient } from '@aws-sdk/client-sts';
import { authenticator, CLIENT_OPTIONS, containerDeps, measured, webIdentityIssuer } from '../lib/deps.ts';
import { httpRoute, json } from '../lib/http/route.ts';
import { credentialsRoute } from '../lib/http/routes.ts';
import { vendCredentials } from '../lib/use-cases/vend-credentials.ts';

// Only the vend functions build an STS client: the others neither load nor bundle it. Its calls are
// timed and counted in the container's metrics, as the DynamoDB client's are.
const deps = {
  ...containerDeps(),
  sts: measured(new STSClient(CLIENT_OPTIONS), 'sts'),
  webIdentity: webIdentityIssuer(),
};

export const handler = httpRoute(credentialsRoute, authenticator()).handler(async (event) => {
  const { principal, body, client } = event.hallpass;
  return json(200, await vendCredentials(deps, { principal, body, client }), { noStore: true });
});

/** POST /v1/credentials: vend temporary credentials for an entitlement (no-store). */
import { STSClient } from '@aws-sdk/client-sts';
import { CLIENT_OPTIONS, deps } from '../lib/deps.ts';
import { httpRoute, json } from '../lib/http/route.ts';
import { VendRequest } from '../lib/schemas.ts';
import { vendCredentials } from '../lib/use-cases/vend-credentials.ts';

const d = { ...deps(), sts: new STSClient(CLIENT_OPTIONS) };

export const handler = httpRoute({ auth: true, body: VendRequest }).handler(async (event) => {
  const { principal, body, client } = event.hallpass;
  return json(200, await vendCredentials(d, { principal, body, client }), { noStore: true });
});

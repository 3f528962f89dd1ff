/**
 * Starts the real local parts once per test run (local/stack.ts): dynalite (in memory) with the
 * tables of serverless.yml, the local STS, and a dev OIDC issuer with a key made for this run. Test
 * files receive their addresses through `inject('stack')`.
 */
import type { TestProject } from 'vitest/node';
import { startLocalStack } from '../../local/stack.ts';
import { startOidcRoutes } from './oidc-routes.ts';
import { AUDIENCE, TEST_STAGE, type TestStack } from './stack-info.ts';

export default async function setup(project: TestProject) {
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
  // hallpass's own OIDC documents, served by its handlers in this process, so the local STS can
  // verify the tokens of web-identity vends (it needs their URL at start, hence first).
  const oidc = await startOidcRoutes();
  const local = await startLocalStack({ stage: TEST_STAGE, audience: AUDIENCE, hallpassUrl: oidc.url });
  if (!local.urls.sts || !local.issuerKey) throw new Error('the test stack runs its own STS and issuer');
  Object.assign(process.env, local.env);

  const stack: TestStack = {
    dynamodb: local.urls.dynamodb,
    sts: local.urls.sts,
    issuer: local.urls.issuer,
    issuerKey: local.issuerKey,
    auditTable: local.tables.audit,
    requestsTable: local.tables.requests,
    env: local.env,
  };
  project.provide('stack', stack);

  return async () => {
    await local.stop();
    await oidc.close();
  };
}

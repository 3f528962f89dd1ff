/**
 * Runs before each test file: points the service's configuration at the local stack, exactly as
 * a deployment's environment would (the SDK's AWS_ENDPOINT_URL_* conventions included).
 */
import { readFileSync } from 'node:fs';
import { inject } from 'vitest';
import { parse } from 'yaml';
import { AUDIENCE } from './stack-info.ts';

const stack = inject('stack');
const caller = (
  parse(readFileSync('local/sts-roles.yaml', 'utf8')) as {
    callers: Array<{ accessKeyId: string; secretAccessKey: string; sessionToken: string }>;
  }
).callers[0];

Object.assign(process.env, {
  AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
  AWS_REGION: 'us-east-1',
  AWS_ENDPOINT_URL_STS: stack.sts,
  AWS_ENDPOINT_URL_DYNAMODB: stack.dynamodb,
  AWS_ACCESS_KEY_ID: caller?.accessKeyId,
  AWS_SECRET_ACCESS_KEY: caller?.secretAccessKey,
  AWS_SESSION_TOKEN: caller?.sessionToken,
  AWS_CONFIG_FILE: '/dev/null',
  AWS_SHARED_CREDENTIALS_FILE: '/dev/null',
  HALLPASS_ISSUER: stack.issuer,
  HALLPASS_AUDIENCE: AUDIENCE,
  HALLPASS_CATALOG: 'test/fixtures/catalog.yaml',
  HALLPASS_AUDIT_TABLE: stack.auditTable,
  HALLPASS_REQUESTS_TABLE: stack.requestsTable,
});

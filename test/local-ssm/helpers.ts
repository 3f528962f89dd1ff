import { SSMClient } from '@aws-sdk/client-ssm';
import { afterAll } from 'vitest';
import { type Caller, type LocalSsm, type LocalSsmOptions, startLocalSsm } from '../../local/ssm/server.ts';

export { failure } from '../local-sts/helpers.ts';

/** The functions' identity in a deployment: a role session, so its calls carry a token. */
export const FUNCTIONS: Caller = {
  accessKeyId: 'ASIAHALLPASSLOCALSSM',
  secretAccessKey: 'local-ssm-functions-secret-not-a-real-key',
  sessionToken: 'local-ssm-functions-session-token-not-a-real-token',
};
/** An IAM user's long-lived keys. */
export const OPERATOR: Caller = {
  accessKeyId: 'AKIALOCALSSMOPERATOR',
  secretAccessKey: 'local-ssm-operator-secret-not-real',
};

export const SIGNING_SECRET_PARAMETER = '/hallpass/local/slack-signing-secret';
export const BOT_TOKEN_PARAMETER = '/hallpass/local/slack-bot-token';
export const SIGNING_SECRET = '0123456789abcdef0123456789abcdef';
export const BOT_TOKEN = 'xoxb-local-ssm-test-bot-token';

/** A local SSM for this test file only, with the two Slack parameters, closed after it. */
export async function useLocalSsm(options: Partial<LocalSsmOptions> = {}): Promise<LocalSsm> {
  const ssm = await startLocalSsm({
    port: 0,
    callers: [FUNCTIONS, OPERATOR],
    parameters: { [SIGNING_SECRET_PARAMETER]: SIGNING_SECRET, [BOT_TOKEN_PARAMETER]: BOT_TOKEN },
    ...options,
  });
  afterAll(() => ssm.close());
  return ssm;
}

// One attempt: these tests assert on errors, and retries would only repeat them.
export const ssmClient = (url: string, credentials: Caller = FUNCTIONS) =>
  new SSMClient({ region: 'us-east-1', endpoint: url, credentials, maxAttempts: 1 });

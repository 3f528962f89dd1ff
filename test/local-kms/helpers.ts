import { KMSClient } from '@aws-sdk/client-kms';
import { afterAll } from 'vitest';
import { type Caller, type LocalKms, type LocalKmsOptions, startLocalKms } from '../../local/kms/server.ts';

export { failure } from '../local-sts/helpers.ts';

/** hallpass's signing role in a deployment: a session, so its calls carry a token. */
export const SIGNER: Caller = {
  accessKeyId: 'ASIAHALLPASSLOCALKMS',
  secretAccessKey: 'local-kms-signer-secret-not-a-real-key',
  sessionToken: 'local-kms-signer-session-token-not-a-real-token',
};
/** An IAM user's long-lived keys. */
export const OPERATOR: Caller = {
  accessKeyId: 'AKIALOCALKMSOPERATOR',
  secretAccessKey: 'local-kms-operator-secret-not-real',
};

/** A local KMS for this test file only, closed after it. */
export async function useLocalKms(options: Partial<LocalKmsOptions> = {}): Promise<LocalKms> {
  const kms = await startLocalKms({ port: 0, callers: [SIGNER, OPERATOR], ...options });
  afterAll(() => kms.close());
  return kms;
}

// One attempt: these tests assert on errors, and retries would only repeat them.
export const kmsClient = (url: string, credentials: Caller = SIGNER) =>
  new KMSClient({ region: 'us-east-1', endpoint: url, credentials, maxAttempts: 1 });

/**
 * A local STS inside the test's own process, so a test can see every key it issued (an STS call
 * that should not have happened is visible) and inject faults. Points AWS_ENDPOINT_URL_STS at it;
 * import handler modules after calling this.
 */
import { readFileSync } from 'node:fs';
import { afterAll } from 'vitest';
import { parse } from 'yaml';
import { type LocalSts, startLocalSts } from '../../local/sts/server.ts';

const TEST_ROLES = {
  roles: [
    {
      arn: 'arn:aws:iam::333333333333:role/hallpass-team-data',
      maxSessionDuration: 3600,
      trustedPrincipals: ['arn:aws:iam::000000000000:role/hallpass-local-vend'],
      externalId: 'hallpass-test-external-id',
    },
    {
      arn: 'arn:aws:iam::444444444444:role/hallpass-untrusted',
      maxSessionDuration: 3600,
      trustedPrincipals: ['arn:aws:iam::999999999999:role/someone-else'],
    },
  ],
};

export async function useLocalSts(): Promise<LocalSts> {
  const base = parse(readFileSync('local/sts-roles.yaml', 'utf8')) as {
    callers: unknown[];
    roles: unknown[];
  };
  const sts = await startLocalSts({
    port: 0,
    config: { callers: base.callers, roles: [...base.roles, ...TEST_ROLES.roles] } as never,
  });
  process.env.AWS_ENDPOINT_URL_STS = sts.url;
  afterAll(() => sts.close());
  return sts;
}

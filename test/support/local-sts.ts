/**
 * A local STS inside the test's own process, so a test can see every key it issued (an STS call
 * that should not have happened is visible) and inject faults. Points AWS_ENDPOINT_URL_STS at it;
 * import handler modules after calling this.
 */
import { afterAll } from 'vitest';
import { DEFAULT_ROLES_FILE, loadConfig } from '../../local/sts/config.ts';
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
  // hallpass's own issuer (the test stack serves its OIDC documents): what web-identity roles trust.
  const hallpassUrl = process.env.HALLPASS_WEB_IDENTITY_ISSUER;
  const base = await loadConfig(DEFAULT_ROLES_FILE, hallpassUrl ? { HALLPASS_URL: hallpassUrl } : undefined);
  const sts = await startLocalSts({
    port: 0,
    config: {
      callers: base.callers,
      roles: [...base.roles, ...TEST_ROLES.roles],
      oidcProviders: base.oidcProviders,
    },
  });
  process.env.AWS_ENDPOINT_URL_STS = sts.url;
  afterAll(() => sts.close());
  return sts;
}

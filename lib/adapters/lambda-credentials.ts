/**
 * The SDK's default credential provider, as the functions' bundles see it: serverless.yml's esbuild
 * `alias` puts this module in place of `@aws-sdk/credential-provider-node`, whose chain (SSO, INI
 * profiles, processes, web identity, IMDS and the STS and SSO clients they need) is about 120 KB of
 * every bundle that calls AWS. Lambda hands a function its role's credentials in the environment
 * (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN), and so does `npm start`'s local
 * stack: the environment is read first, as the full chain would.
 *
 * Without them (`npm start -- --aws-sts` with a developer's profile or SSO session), the full chain is
 * loaded from node_modules with a require esbuild does not bundle. On Lambda that never happens.
 * Tests and scripts, which are not bundled, use the SDK's own chain.
 */
import { createRequire } from 'node:module';
import { fromEnv } from '@aws-sdk/credential-provider-env';
import type { AwsCredentialIdentityProvider } from '@smithy/types';

type Init = Parameters<typeof fromEnv>[0] & Record<string, unknown>;

/** Environment credentials, else the SDK's full default chain (loaded on first need). */
export function defaultProvider(init: Init = {}): AwsCredentialIdentityProvider {
  const environment = fromEnv(init);
  let chain: AwsCredentialIdentityProvider | undefined;
  return async (options) => {
    try {
      return await environment(options);
    } catch (error) {
      if (chain) return chain(options);
      let full: { defaultProvider: (init: Init) => AwsCredentialIdentityProvider };
      try {
        full = createRequire(import.meta.url)('@aws-sdk/credential-provider-node');
      } catch {
        throw error;
      }
      chain = full.defaultProvider(init);
      return chain(options);
    }
  };
}

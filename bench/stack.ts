/**
 * The local services the benchmark measures against, all in this process and in memory
 * (local/stack.ts): dynalite with serverless.yml's tables, the local STS (SigV4-verified, the roles
 * of local/sts-roles.yaml) and the dev OIDC issuer with a key made for this run. `env` is the
 * environment a deployed function would have, pointed at them.
 */
import { randomUUID } from 'node:crypto';
import { type IssuerKey, signDevToken } from '../local/issuer/keys.ts';
import { DEFAULT_AUDIENCE } from '../local/paths.ts';
import { startLocalStack } from '../local/stack.ts';

export const STAGE = 'bench';
export const AUDIENCE = DEFAULT_AUDIENCE;
export const CATALOG = 'catalog/example.yaml';
export const ENTITLEMENT = 'sandbox-readonly';
/** The caller: in the group that may request ENTITLEMENT, with a display name (as most tokens have). */
export const CALLER = { sub: 'alice', groups: ['engineers'], name: 'Alice Doe' };

export interface Stack {
  urls: { dynamodb: string; sts: string; issuer: string };
  tables: { audit: string; requests: string };
  env: Record<string, string>;
  issuerKey: IssuerKey;
  /** A token of the dev issuer's key, naming `issuer` as its `iss` (by default the dev issuer). */
  token(issuer?: string): Promise<string>;
  close(): Promise<void>;
}

export async function startStack(): Promise<Stack> {
  // Node 20 is supported here: the SDK's notice about its future versions would only add noise.
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
  // hallpass as an OIDC provider (any URL: the bench vends an assume-role entitlement), so that the
  // example catalog's web-identity entitlement loads.
  const stack = await startLocalStack({
    stage: STAGE,
    audience: AUDIENCE,
    hallpassUrl: 'http://127.0.0.1:3000',
  });
  const { issuerKey, urls } = stack;
  if (!urls.sts || !issuerKey) throw new Error('the benchmark runs its own STS and issuer');

  return {
    urls: { dynamodb: urls.dynamodb, sts: urls.sts, issuer: urls.issuer },
    tables: stack.tables,
    env: { ...stack.env, HALLPASS_CATALOG: CATALOG },
    issuerKey,
    // Valid for an hour (longer than any run), and each one distinct (its own jti): RS256 signatures
    // are deterministic, so two tokens signed in the same second would otherwise be the same string.
    token: (issuer = urls.issuer) =>
      signDevToken(issuerKey, issuer, {
        sub: CALLER.sub,
        groups: CALLER.groups,
        name: CALLER.name,
        audience: AUDIENCE,
        expiresIn: 3600,
        extra: { jti: randomUUID() },
      }),
    close: () => stack.stop(),
  };
}

import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import { z } from 'zod';

/** IAM role ARN: optional path, then a name of at most 64 characters (IAM's own limits). */
export const ROLE_ARN = /^arn:aws:iam::(\d{12}):role\/(?:[\x21-\x7E]*\/)?([\w+=,.@-]{1,64})$/;

export const DEFAULT_ROLES_FILE = fileURLToPath(new URL('../sts-roles.yaml', import.meta.url));

const callerSchema = z.strictObject({
  accessKeyId: z.string().regex(/^[A-Z0-9]{16,128}$/),
  secretAccessKey: z.string().min(1),
  sessionToken: z.string().min(1).optional(),
  /** What GetCallerIdentity answers and what AccessDenied messages name. */
  arn: z.string().regex(/^arn:aws:(?:iam|sts)::\d{12}:\S+$/),
  /** What trust policies match; derived from `arn` when omitted (the role behind an assumed-role ARN). */
  principalArn: z
    .string()
    .regex(/^arn:aws:iam::\d{12}:\S+$/)
    .optional(),
});

/**
 * An OIDC provider URL as IAM stores it (https in AWS; http allowed here for loopback issuers), or a
 * `${NAME}` reference left unresolved because no variables were given (see `resolveConfig`).
 */
const providerUrl = z
  .string()
  .regex(
    /^(?:https?:\/\/[^\s?#]+|.*\$\{[A-Za-z_]\w*\}.*)$/,
    'must be an http(s) URL without query or fragment',
  );

/** IAM's OpenIDConnectProvider: which issuer an account trusts, and for which client ids (audiences). */
const oidcProviderSchema = z.strictObject({
  account: z.string().regex(/^\d{12}$/),
  url: providerUrl,
  /** IAM's "client ID list": a token's `aud` must be one of these. */
  audiences: z.array(z.string().min(1).max(255)).min(1).max(100),
});

/**
 * A trust statement `Principal: {Federated: <provider ARN>}`, `Action: sts:AssumeRoleWithWebIdentity`
 * (with sts:TagSession and sts:SetSourceIdentity), conditions `<provider>:aud` StringEquals and
 * optionally `<provider>:sub` StringLike.
 */
const federatedSchema = z.strictObject({
  /** The provider's URL, as in `oidcProviders` (the provider of the role's own account is meant). */
  provider: providerUrl,
  audience: z.string().min(1),
  /** `*` matches any run of characters, `?` any one character. */
  subject: z.string().min(1).optional(),
});

const roleSchema = z.strictObject({
  arn: z.string().regex(ROLE_ARN),
  // IAM only allows 1 h to 12 h.
  maxSessionDuration: z.number().int().min(3600).max(43200).default(3600),
  trustedPrincipals: z.array(z.string()).default([]),
  /** When set, AssumeRole must send exactly this ExternalId (the `sts:ExternalId` trust condition). */
  externalId: z
    .string()
    .regex(/^[\w+=,.@:/-]{2,1224}$/)
    .optional(),
  federated: federatedSchema.optional(),
});

const configSchema = z.strictObject({
  callers: z.array(callerSchema).default([]),
  oidcProviders: z.array(oidcProviderSchema).default([]),
  roles: z.array(roleSchema).default([]),
});

/** The roles file as written (defaults may be left out). */
export type LocalStsConfig = z.input<typeof configSchema>;
export type ResolvedConfig = z.output<typeof configSchema>;
export type CallerConfig = ResolvedConfig['callers'][number];
export type RoleConfig = ResolvedConfig['roles'][number];
export type OidcProviderConfig = ResolvedConfig['oidcProviders'][number];
export type FederatedTrust = NonNullable<RoleConfig['federated']>;

const REFERENCE = /\$\{([A-Za-z_]\w*)\}/g;

/** True while a string still holds a `${NAME}` no variable replaced: such a provider is unusable. */
export const isUnresolved = (text: string) => /\$\{[A-Za-z_]\w*\}/.test(text);

/**
 * Replaces `${NAME}` in every string of the config with `variables.NAME`. With `variables` given,
 * a name it lacks fails, naming it and where it is used. Without `variables` (callers that predate
 * them) references stay as they are, and what holds them is inert: a provider whose URL is
 * unresolved matches no token, a trust naming it trusts nobody.
 */
function substitute(value: unknown, variables: Record<string, string> | undefined, at: string): unknown {
  if (typeof value === 'string') {
    if (!variables) return value;
    return value.replace(REFERENCE, (_, name: string) => {
      const replacement = variables[name];
      if (replacement === undefined) throw new Error(`unknown variable \${${name}} at ${at || '(root)'}`);
      return replacement;
    });
  }
  if (Array.isArray(value)) return value.map((item, i) => substitute(item, variables, `${at}.${i}`));
  if (typeof value === 'object' && value !== null) {
    return Object.fromEntries(
      Object.entries(value).map(([key, item]) => [
        key,
        substitute(item, variables, at ? `${at}.${key}` : key),
      ]),
    );
  }
  return value;
}

// Programmatic configs go through the same schema as files: a typo should fail at start, not at the
// first AssumeRole.
export function resolveConfig(
  input: unknown,
  source = 'config',
  variables?: Record<string, string>,
): ResolvedConfig {
  let substituted: unknown;
  try {
    substituted = substitute(input, variables, '');
  } catch (error) {
    throw new Error(`invalid local STS ${source}: ${(error as Error).message}`);
  }
  const result = configSchema.safeParse(substituted);
  if (!result.success) throw new Error(`invalid local STS ${source}:\n${z.prettifyError(result.error)}`);
  return result.data;
}

export async function loadConfig(file: string, variables?: Record<string, string>): Promise<ResolvedConfig> {
  return resolveConfig(parse(await readFile(file, 'utf8')), file, variables);
}

/** A caller's keys as the AWS SDK reads them from the environment. */
export function credentialsEnv(caller: CallerConfig): Record<string, string> {
  return {
    AWS_ACCESS_KEY_ID: caller.accessKeyId,
    AWS_SECRET_ACCESS_KEY: caller.secretAccessKey,
    ...(caller.sessionToken ? { AWS_SESSION_TOKEN: caller.sessionToken } : {}),
  };
}

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
});

const configSchema = z.strictObject({
  callers: z.array(callerSchema).default([]),
  roles: z.array(roleSchema).default([]),
});

/** The roles file as written (defaults may be left out). */
export type LocalStsConfig = z.input<typeof configSchema>;
export type ResolvedConfig = z.output<typeof configSchema>;
export type CallerConfig = ResolvedConfig['callers'][number];
export type RoleConfig = ResolvedConfig['roles'][number];

// Programmatic configs go through the same schema as files: a typo should fail at start, not at the
// first AssumeRole.
export function resolveConfig(input: unknown, source = 'config'): ResolvedConfig {
  const result = configSchema.safeParse(input);
  if (!result.success) throw new Error(`invalid local STS ${source}:\n${z.prettifyError(result.error)}`);
  return result.data;
}

export async function loadConfig(file: string): Promise<ResolvedConfig> {
  return resolveConfig(parse(await readFile(file, 'utf8')), file);
}

/** A caller's keys as the AWS SDK reads them from the environment. */
export function credentialsEnv(caller: CallerConfig): Record<string, string> {
  return {
    AWS_ACCESS_KEY_ID: caller.accessKeyId,
    AWS_SECRET_ACCESS_KEY: caller.secretAccessKey,
    ...(caller.sessionToken ? { AWS_SESSION_TOKEN: caller.sessionToken } : {}),
  };
}

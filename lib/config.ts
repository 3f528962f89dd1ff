/**
 * The service's configuration: process.env parsed once, by zod. No other module reads process.env.
 * A bad value fails at start-up, naming the variable.
 */
import { ConfigError } from './errors.ts';
import * as z from './zod.ts';

/**
 * One variable: its schema, built only when the variable is set (or required), and what it is when
 * unset. Building every variable's schema (some 160 zod schemas, most for variables a deployment
 * leaves unset) and parsing them all cost every cold start several ms; parseConfig builds and runs
 * only the set variables' schemas, the way `z.object` with `z.optional` and `z._default` fields did.
 */
interface Setting<S extends z.ZodMiniType, U> {
  schema: () => S;
  /** An unset required variable is parsed anyway, so that zod reports it as it reports the rest. */
  required: boolean;
  unset: () => U;
}

/** A variable that must be set. */
const required = <S extends z.ZodMiniType>(schema: () => S): Setting<S, never> => ({
  schema,
  required: true,
  unset: () => undefined as never,
});
/** A variable that may be unset (undefined then). */
const optional = <S extends z.ZodMiniType>(schema: () => S): Setting<S, undefined> => ({
  schema,
  required: false,
  unset: () => undefined,
});
/** A variable with a default: `fallback` builds the value of an unset one (fresh, never shared). */
const withDefault = <S extends z.ZodMiniType>(
  schema: () => S,
  fallback: () => z.output<S>,
): Setting<S, z.output<S>> => ({ schema, required: false, unset: fallback });

/** A comma-separated list: items trimmed, empty ones dropped. */
const list = () =>
  z.pipe(
    z.string(),
    z.transform((value: string) =>
      value
        .split(',')
        .map((item) => item.trim())
        .filter(Boolean),
    ),
  );

const integer = (min: number, max: number) =>
  z.pipe(z.string(), z.pipe(z.transform(Number), z.int().check(z.gte(min), z.lte(max))));

const ASYMMETRIC_ALGORITHMS = [
  'RS256',
  'RS384',
  'RS512',
  'PS256',
  'PS384',
  'PS512',
  'ES256',
  'ES384',
  'ES512',
  'EdDSA',
];

const url = () => z.url({ protocol: /^https?$/ });
const claimName = () => z.string().check(z.minLength(1), z.maxLength(256));

/**
 * One more issuer (HALLPASS_ISSUERS is a JSON array of these): a workload issuer such as GitHub
 * Actions, or a second IdP. Its `name` prefixes its principals and groups (`<name>:<sub>`) and names
 * it in logs; the rest mirrors the primary issuer's HALLPASS_* settings, with the same defaults.
 */
const issuerSchema = () =>
  z.strictObject({
    name: z
      .string()
      .check(z.regex(/^[a-z][a-z0-9-]{0,31}$/, 'must be 1-32 of [a-z0-9-], starting with a letter')),
    issuer: url(),
    audience: z.string().check(z.minLength(1)),
    jwksUri: z.optional(url()),
    algorithms: z._default(
      z
        .array(
          z
            .string()
            .check(
              z.refine(
                (alg: string) => ASYMMETRIC_ALGORITHMS.includes(alg),
                `only asymmetric algorithms are allowed (${ASYMMETRIC_ALGORITHMS.join(', ')})`,
              ),
            ),
        )
        .check(z.minLength(1)),
      ASYMMETRIC_ALGORITHMS,
    ),
    claims: z._default(
      z.strictObject({
        principal: z._default(claimName(), 'sub'),
        name: z._default(z.array(claimName()), ['email', 'preferred_username']),
        groups: z._default(claimName(), 'groups'),
      }),
      { principal: 'sub', name: ['email', 'preferred_username'], groups: 'groups' },
    ),
  });

const issuerList = () =>
  z.pipe(
    z.string(),
    z.pipe(
      z.transform((text: string, ctx) => {
        try {
          return JSON.parse(text) as unknown;
        } catch {
          ctx.issues.push({ code: 'custom', message: 'must be a JSON array of issuers', input: text });
          return z.NEVER;
        }
      }),
      z.array(issuerSchema()).check(z.maxLength(10)),
    ),
  );

// An SSM parameter name: a path of letters, digits and _.-/ (AWS's own rule), at most 2048 characters.
const ssmParameterName = () =>
  z.string().check(z.regex(/^\/?[\w.\-/]{1,2047}$/, 'must be an SSM parameter name'));
// A Slack channel, user or team id: upper-case letters and digits (C0123ABCD, T0123ABCD).
const slackId = () => z.string().check(z.regex(/^[A-Z0-9]{2,32}$/, 'must be a Slack id such as C0123ABCD'));

/** Every variable parseConfig reads, in the order it reports them. */
const SETTINGS = {
  HALLPASS_ISSUER: required(url),
  HALLPASS_AUDIENCE: required(() => z.string().check(z.minLength(1))),
  HALLPASS_JWKS_URI: optional(url),
  // Keep the issuer's JWKS in the requests table (lib/adapters/jwks-store.ts); serverless.yml turns
  // it on for the functions whose role may read and write that item.
  HALLPASS_JWKS_STORE: withDefault(
    () => z.enum(['on', 'off']),
    () => 'off' as const,
  ),
  HALLPASS_ALGORITHMS: withDefault(list, () => [...ASYMMETRIC_ALGORITHMS]),
  HALLPASS_PRINCIPAL_CLAIM: withDefault(
    () => z.string().check(z.minLength(1)),
    () => 'sub',
  ),
  HALLPASS_NAME_CLAIMS: withDefault(list, () => ['email', 'preferred_username']),
  HALLPASS_GROUPS_CLAIM: withDefault(
    () => z.string().check(z.minLength(1)),
    () => 'groups',
  ),
  // Further issuers (workloads, a second IdP): a JSON array, see issuerSchema; HALLPASS_ISSUER and
  // the settings above are the first, primary one.
  HALLPASS_ISSUERS: withDefault(issuerList, () => []),
  HALLPASS_CATALOG: withDefault(
    () => z.string().check(z.minLength(1)),
    () => 'catalog/example.yaml',
  ),
  // Set by packaging (deploy/catalog-json.cjs) to the SHA-256 of the catalog JSON it validated and
  // wrote: a file with that hash is not validated against the schema again (README "Performance").
  HALLPASS_CATALOG_SHA256: optional(() =>
    z.string().check(z.regex(/^[0-9a-f]{64}$/, 'must be a SHA-256 in lowercase hex (64 characters)')),
  ),
  HALLPASS_AUDIT_TABLE: required(() => z.string().check(z.minLength(3))),
  HALLPASS_REQUESTS_TABLE: required(() => z.string().check(z.minLength(3))),
  // A Lambda function calling AssumeRole is itself a role session: role chaining caps sessions at 1 h.
  // This caps assume-role entitlements (it may lower the cap); web-identity ones go up to 12 h.
  HALLPASS_MAX_SESSION_SECONDS: withDefault(
    () => integer(900, 3600),
    () => 3600,
  ),
  // hallpass as an OIDC provider for AssumeRoleWithWebIdentity: its issuer URL (where it serves
  // /.well-known/openid-configuration), the audience of its tokens, and the KMS keys that sign them.
  HALLPASS_WEB_IDENTITY_ISSUER: optional(url),
  HALLPASS_WEB_IDENTITY_AUDIENCE: withDefault(
    () => z.string().check(z.minLength(1), z.maxLength(255)),
    () => 'sts.amazonaws.com',
  ),
  HALLPASS_SIGNING_KEY_ID: optional(() => z.string().check(z.minLength(1), z.maxLength(2048))),
  HALLPASS_PUBLISHED_KEY_IDS: withDefault(list, () => []),
  // The console sign-in: AWS's federation endpoint (each partition has its own) and console hosts.
  HALLPASS_FEDERATION_URL: withDefault(url, () => 'https://signin.aws.amazon.com/federation'),
  HALLPASS_CONSOLE_HOSTS: withDefault(list, () => ['console.aws.amazon.com']),
  // The role each target account's template makes for revocations (npm run target-template).
  HALLPASS_REVOKER_ROLE_NAME: withDefault(
    () => z.string().check(z.regex(/^[\w+=,.@-]{1,64}$/)),
    () => 'hallpass-local-revoker',
  ),
  AUDIT_RETENTION_DAYS: withDefault(
    () => integer(1, 36500),
    () => 400,
  ),
  HALLPASS_EVENT_BUS: optional(() => z.string().check(z.minLength(1), z.maxLength(256))),
  HALLPASS_WEBHOOK_URL: optional(url),
  HALLPASS_PUBLIC_URL: optional(url),
  HALLPASS_REVIEW_REMINDER_MINUTES: withDefault(
    () => integer(1, 10080),
    () => 60,
  ),
  // Break-glass sessions one person may take in an hour; 0: no limit.
  HALLPASS_BREAK_GLASS_MAX_PER_HOUR: withDefault(
    () => integer(0, 1000),
    () => 10,
  ),
  // Slack approvals (lib/use-cases/slack-*.ts): on when both secrets' SSM parameter names are set (a
  // Secrets Manager secret as /aws/reference/secretsmanager/<id>); the values are read at run time.
  HALLPASS_SLACK_TABLE: optional(() => z.string().check(z.minLength(3))),
  HALLPASS_SLACK_SIGNING_SECRET_PARAMETER: optional(ssmParameterName),
  HALLPASS_SLACK_BOT_TOKEN_PARAMETER: optional(ssmParameterName),
  HALLPASS_SLACK_API_URL: withDefault(url, () => 'https://slack.com/api/'),
  HALLPASS_SLACK_DEFAULT_CHANNEL: optional(slackId),
  HALLPASS_SLACK_SECURITY_CHANNEL: optional(slackId),
  HALLPASS_SLACK_TEAM_IDS: withDefault(list, () => []),
  // How old the groups a Slack decision uses may be (refreshed whenever the person calls hallpass).
  HALLPASS_SLACK_GROUPS_MAX_AGE_SECONDS: withDefault(
    () => integer(300, 30 * 86400),
    () => 86400,
  ),
  // Unset: the authenticator's default, 24 h (lib/adapters/auth.ts).
  HALLPASS_MAX_TOKEN_AGE_SECONDS: optional(() => integer(300, 30 * 86400)),
};

type SettingName = keyof typeof SETTINGS;
/** The parsed variables: each set one as its schema returned it, each unset one as its Setting says. */
type Env = {
  [K in SettingName]: (typeof SETTINGS)[K] extends Setting<infer S, infer U> ? z.output<S> | U : never;
};

/**
 * The variables this module reads, by name: what a stage's deploy config (config/<stage>.yaml, read
 * by deploy/settings.cjs) may set, validated there by parseConfig itself.
 */
export const SETTING_NAMES: readonly string[] = Object.keys(SETTINGS);

/** One trusted issuer of bearer tokens; `name` is `primary` for the one of HALLPASS_ISSUER. */
export interface IssuerSettings {
  name: string;
  issuer: string;
  audience: string;
  jwksUri: string | undefined;
  algorithms: string[];
  claims: { principal: string; name: string[]; groups: string };
}

export interface Config {
  /** The primary issuer (HALLPASS_ISSUER ...): also `issuers[0]`. */
  issuer: string;
  audience: string;
  jwksUri: string | undefined;
  /** Whether the issuer's JWKS is kept in the requests table (HALLPASS_JWKS_STORE). */
  jwksStore: boolean;
  algorithms: string[];
  claims: { principal: string; name: string[]; groups: string };
  /** Every trusted issuer, the primary one first (HALLPASS_ISSUER, then HALLPASS_ISSUERS). */
  issuers: IssuerSettings[];
  catalogPath: string;
  /** The SHA-256 of the catalog packaging validated (HALLPASS_CATALOG_SHA256), if packaged. */
  catalogSha256: string | undefined;
  tables: { audit: string; requests: string };
  /** The longest assume-role session (role chaining: at most 3600). */
  maxSessionSeconds: number;
  /** hallpass as an OIDC provider (web-identity issuance); undefined: not configured. */
  webIdentity: WebIdentitySettings | undefined;
  console: ConsoleSettings;
  /** The longest lifetime of a bearer token; undefined: 24 h (see lib/adapters/auth.ts). */
  maxTokenAgeSeconds?: number | undefined;
  auditRetentionDays: number;
  /** The revoker role's name in every target account. */
  revokerRoleName: string;
  /** Break-glass sessions one principal may take in any hour; 0: no limit. */
  breakGlassMaxPerHour: number;
  notifications: NotificationSettings;
  /** Slack approvals and messages; undefined: Slack is off. */
  slack: SlackSettings | undefined;
}

export interface SlackSettings {
  /** The Slack table: link codes, links, the requests' messages, replay markers. */
  table: string;
  /** SSM parameter names of the app's signing secret and bot token (values read at run time). */
  signingSecretParameter: string;
  botTokenParameter: string;
  /** The Web API's base URL, methods appended (`https://slack.com/api/chat.postMessage`). */
  apiUrl: string;
  /** Where requests are posted when their entitlement names no channel; undefined: not posted. */
  defaultChannel: string | undefined;
  /** Where break-glass sessions are posted; undefined: not posted. */
  securityChannel: string | undefined;
  /** Workspaces whose users may act; empty: any workspace the app is installed in. */
  teamIds: string[];
  /** The oldest groups (seconds since the person last called hallpass) a Slack decision uses. */
  groupsMaxAgeSeconds: number;
}

export interface WebIdentitySettings {
  /** hallpass's own issuer URL: the `iss` of its tokens, where STS finds its discovery document. */
  issuer: string;
  /** The `aud` of its tokens (the client id registered on the IAM OIDC provider). */
  audience: string;
  /** The KMS key that signs (id, ARN or alias). */
  signingKeyId: string;
  /** Further keys whose public keys the JWKS also serves (key rotation: the old or the next key). */
  publishedKeyIds: string[];
}

export interface ConsoleSettings {
  /** AWS's federation endpoint (getSigninToken, login). */
  federationUrl: string;
  /** Hosts a console destination may be on (their subdomains too). */
  hosts: string[];
}

export interface NotificationSettings {
  /** EventBridge bus name; unset: no EventBridge events. */
  eventBus: string | undefined;
  /** Slack-compatible incoming webhook; unset: no webhook messages. */
  webhookUrl: string | undefined;
  /** The API's base URL, for links in messages (e.g. https://hallpass.example.com/v1). */
  publicUrl: string | undefined;
  reviewReminderMinutes: number;
}

/** Parses an environment into a Config; throws ConfigError naming every bad variable. */
export function parseConfig(env: Record<string, string | undefined>): Config {
  // An empty variable is an unset one (serverless.yml writes '' for optional settings left out).
  const set = Object.fromEntries(
    Object.entries(env).filter(([, value]) => value !== undefined && value !== ''),
  );
  // The set variables' schemas (and the required ones', set or not), in SETTINGS' order; the unset
  // ones take their Setting's value without a schema.
  const shape: Record<string, z.ZodMiniType> = {};
  const unset: Record<string, unknown> = {};
  for (const [name, setting] of Object.entries(SETTINGS) as Array<
    [string, Setting<z.ZodMiniType, unknown>]
  >) {
    if (set[name] !== undefined || setting.required) shape[name] = setting.schema();
    else unset[name] = setting.unset();
  }
  const result = z.object(shape).safeParse(set);
  if (!result.success) {
    const problems = result.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`);
    throw new ConfigError(`invalid configuration: ${problems.join('; ')}`);
  }
  const e = { ...unset, ...result.data } as Env;
  const unsupported = e.HALLPASS_ALGORITHMS.filter((alg) => !ASYMMETRIC_ALGORITHMS.includes(alg));
  if (unsupported.length > 0 || e.HALLPASS_ALGORITHMS.length === 0) {
    throw new ConfigError(
      `invalid configuration: HALLPASS_ALGORITHMS: only asymmetric algorithms are allowed (${ASYMMETRIC_ALGORITHMS.join(', ')})`,
    );
  }
  const primary: IssuerSettings = {
    name: 'primary',
    issuer: e.HALLPASS_ISSUER,
    audience: e.HALLPASS_AUDIENCE,
    jwksUri: e.HALLPASS_JWKS_URI,
    algorithms: e.HALLPASS_ALGORITHMS,
    claims: {
      principal: e.HALLPASS_PRINCIPAL_CLAIM,
      name: e.HALLPASS_NAME_CLAIMS,
      groups: e.HALLPASS_GROUPS_CLAIM,
    },
  };
  const issuers = [primary, ...e.HALLPASS_ISSUERS.map((i) => ({ ...i, jwksUri: i.jwksUri }))];
  issuers.forEach((entry, index) => {
    if (index === 0) return;
    const earlier = issuers.slice(0, index);
    const where = `HALLPASS_ISSUERS.${index - 1}`;
    if (earlier.some((other) => other.name === entry.name)) {
      throw new ConfigError(
        `invalid configuration: ${where}.name: '${entry.name}' is taken (the primary issuer is 'primary'); each issuer needs its own name`,
      );
    }
    if (earlier.some((other) => other.issuer === entry.issuer)) {
      throw new ConfigError(
        `invalid configuration: ${where}.issuer: ${entry.issuer} is configured already; one entry per issuer`,
      );
    }
  });
  const slack = slackSettings(e);
  const issuer = e.HALLPASS_WEB_IDENTITY_ISSUER?.replace(/\/$/, '');
  const signingKeyId = e.HALLPASS_SIGNING_KEY_ID;
  if ((issuer === undefined) !== (signingKeyId === undefined)) {
    const missing = issuer === undefined ? 'HALLPASS_WEB_IDENTITY_ISSUER' : 'HALLPASS_SIGNING_KEY_ID';
    throw new ConfigError(
      `invalid configuration: ${missing}: web-identity issuance needs both HALLPASS_WEB_IDENTITY_ISSUER and HALLPASS_SIGNING_KEY_ID`,
    );
  }
  return {
    issuer: e.HALLPASS_ISSUER,
    audience: e.HALLPASS_AUDIENCE,
    jwksUri: e.HALLPASS_JWKS_URI,
    jwksStore: e.HALLPASS_JWKS_STORE === 'on',
    algorithms: e.HALLPASS_ALGORITHMS,
    claims: {
      principal: e.HALLPASS_PRINCIPAL_CLAIM,
      name: e.HALLPASS_NAME_CLAIMS,
      groups: e.HALLPASS_GROUPS_CLAIM,
    },
    issuers,
    catalogPath: e.HALLPASS_CATALOG,
    catalogSha256: e.HALLPASS_CATALOG_SHA256,
    tables: { audit: e.HALLPASS_AUDIT_TABLE, requests: e.HALLPASS_REQUESTS_TABLE },
    maxSessionSeconds: e.HALLPASS_MAX_SESSION_SECONDS,
    webIdentity:
      issuer !== undefined && signingKeyId !== undefined
        ? {
            issuer,
            audience: e.HALLPASS_WEB_IDENTITY_AUDIENCE,
            signingKeyId,
            publishedKeyIds: e.HALLPASS_PUBLISHED_KEY_IDS,
          }
        : undefined,
    console: { federationUrl: e.HALLPASS_FEDERATION_URL, hosts: e.HALLPASS_CONSOLE_HOSTS },
    maxTokenAgeSeconds: e.HALLPASS_MAX_TOKEN_AGE_SECONDS,
    auditRetentionDays: e.AUDIT_RETENTION_DAYS,
    revokerRoleName: e.HALLPASS_REVOKER_ROLE_NAME,
    breakGlassMaxPerHour: e.HALLPASS_BREAK_GLASS_MAX_PER_HOUR,
    notifications: {
      eventBus: e.HALLPASS_EVENT_BUS,
      webhookUrl: e.HALLPASS_WEBHOOK_URL,
      publicUrl: e.HALLPASS_PUBLIC_URL?.replace(/\/$/, ''),
      reviewReminderMinutes: e.HALLPASS_REVIEW_REMINDER_MINUTES,
    },
    slack,
  };
}

/** Slack is on when both secrets' parameters are set; one without the other is a mistake. */
function slackSettings(e: Env): SlackSettings | undefined {
  const secret = e.HALLPASS_SLACK_SIGNING_SECRET_PARAMETER;
  const token = e.HALLPASS_SLACK_BOT_TOKEN_PARAMETER;
  if (secret === undefined && token === undefined) return undefined;
  if (secret === undefined || token === undefined) {
    const missing =
      secret === undefined ? 'HALLPASS_SLACK_SIGNING_SECRET_PARAMETER' : 'HALLPASS_SLACK_BOT_TOKEN_PARAMETER';
    throw new ConfigError(
      `invalid configuration: ${missing}: Slack needs both HALLPASS_SLACK_SIGNING_SECRET_PARAMETER and HALLPASS_SLACK_BOT_TOKEN_PARAMETER`,
    );
  }
  if (!e.HALLPASS_SLACK_TABLE) {
    throw new ConfigError('invalid configuration: HALLPASS_SLACK_TABLE: Slack needs its table');
  }
  return {
    table: e.HALLPASS_SLACK_TABLE,
    signingSecretParameter: secret,
    botTokenParameter: token,
    apiUrl: e.HALLPASS_SLACK_API_URL.endsWith('/')
      ? e.HALLPASS_SLACK_API_URL
      : `${e.HALLPASS_SLACK_API_URL}/`,
    defaultChannel: e.HALLPASS_SLACK_DEFAULT_CHANNEL,
    securityChannel: e.HALLPASS_SLACK_SECURITY_CHANNEL,
    teamIds: e.HALLPASS_SLACK_TEAM_IDS,
    groupsMaxAgeSeconds: e.HALLPASS_SLACK_GROUPS_MAX_AGE_SECONDS,
  };
}

/**
 * The `service` dimension of every metric: each stage its own (serverless.yml sets
 * `hallpass-<stage>`), so alarms of one stage never count another's in the same account. Read on its
 * own, without the rest of the configuration, so routes that need none (health) still count answers.
 */
export const metricsService = (env: NodeJS.ProcessEnv = process.env): string =>
  env.HALLPASS_METRICS_SERVICE || 'hallpass';

let cached: Config | undefined;

/** The process's configuration, parsed on first use and kept for the life of the container. */
export function config(): Config {
  cached ??= parseConfig(process.env);
  return cached;
}

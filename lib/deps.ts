/**
 * Everything a use case needs from the outside world, built once per container (cold start) and
 * passed in: unit tests pass mocks, integration tests real clients pointed at local endpoints. The
 * SDK clients take their endpoints from the SDK's own conventions (AWS_ENDPOINT_URL_STS,
 * AWS_ENDPOINT_URL_DYNAMODB, AWS_ENDPOINT_URL_EVENTBRIDGE), so one build talks to AWS or to any
 * implementation. Every per-container singleton lives here, and nowhere else: the catalog, the
 * token verifier (with its JWKS cache), the cursor key, the SDK clients and the metrics (whose
 * values the route stack, or the function itself, flushes once per invocation). The one exception:
 * the metrics instance itself is kept by adapters/metrics.ts, so that the routes that need no deps
 * (health, openapi, the 404) count their answers without bundling these clients.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { KMSClient } from '@aws-sdk/client-kms';
import { SSMClient } from '@aws-sdk/client-ssm';
import { STSClient } from '@aws-sdk/client-sts';
import type { AuditTable } from './adapters/audit-table.ts';
import { type Authenticate, createAuthenticator } from './adapters/auth.ts';
import { loadCatalog } from './adapters/catalog-file.ts';
import { type CursorKeys, createCursorKeys } from './adapters/cursor-key.ts';
import { revokerPolicies, revokerSessions } from './adapters/iam.ts';
import { revocationCanaries } from './adapters/iam-canary.ts';
import { createJwksStore } from './adapters/jwks-store.ts';
import { createJwtSigner, type JwtSigner } from './adapters/kms.ts';
import { containerMetrics, type Dependency, instrumentClient, type Metrics } from './adapters/metrics.ts';
import type { RequestsTable } from './adapters/requests-table.ts';
import { createSlackApi } from './adapters/slack-api.ts';
import { groupRefresher } from './adapters/slack-links.ts';
import { secretReader } from './adapters/ssm-secrets.ts';
import { type Config, config, type SlackSettings } from './config.ts';
import { type Catalog, usesWebIdentity, workloadIssuers } from './core/catalog.ts';
import { ConfigError } from './errors.ts';
import type { NotifyDeps } from './use-cases/notify.ts';
import type { RevokeDeps } from './use-cases/revoke-sessions.ts';
import type { SlackCommandDeps } from './use-cases/slack-interactions.ts';
import type { LinkDeps } from './use-cases/slack-links.ts';
import { notifySlack, type SlackNotifyDeps } from './use-cases/slack-notify.ts';
import type { ConsoleDeps, WebIdentityIssuer } from './use-cases/vend-credentials.ts';

export interface Deps {
  config: Config;
  catalog: Catalog;
  audit: AuditTable;
  requests: RequestsTable;
  /** The key that signs the list routes' cursors (kept in the requests table). */
  cursorKey: CursorKeys;
  metrics: Metrics;
  now: () => Date;
}

/** What the approval use cases need: the catalog, both tables, the clock (and the metrics). */
export type RequestDeps = Pick<Deps, 'catalog' | 'requests' | 'audit' | 'now'> & { metrics?: Metrics };

/**
 * Options of every SDK client: bounded retries (the SDK's standard mode, exponential backoff with
 * jitter) well inside a function's time budget. Only the vend function builds an STS client (see
 * functions/credentials.ts): the others neither load nor bundle it.
 */
export const CLIENT_OPTIONS = {
  maxAttempts: 3,
  // throwOnRequestTimeout: without it the SDK only warns when the request timeout passes.
  requestHandler: { connectionTimeout: 1000, requestTimeout: 3000, throwOnRequestTimeout: true },
} as const;

/**
 * The Slack routes' clients: Slack gives a request 3 s, so each call gets less time and one retry
 * (a slow DynamoDB call fails the click, which the person may press again, rather than Slack's wait).
 */
export const SLACK_CLIENT_OPTIONS = {
  maxAttempts: 2,
  requestHandler: { connectionTimeout: 500, requestTimeout: 800, throwOnRequestTimeout: true },
} as const;

export function buildDeps(
  cfg: Config,
  recorder: Metrics = metrics(),
  clientOptions: typeof CLIENT_OPTIONS | typeof SLACK_CLIENT_OPTIONS = CLIENT_OPTIONS,
): Deps {
  const dynamodb = instrumentClient(new DynamoDBClient(clientOptions), 'dynamodb', recorder);
  const retentionDays = cfg.auditRetentionDays;
  const requests = { client: dynamodb, tableName: cfg.tables.requests, retentionDays };
  return {
    config: cfg,
    catalog: catalog(),
    audit: { client: dynamodb, tableName: cfg.tables.audit, retentionDays },
    requests,
    cursorKey: createCursorKeys(requests),
    metrics: recorder,
    now: () => new Date(),
  };
}

let cachedCatalog: Catalog | undefined;
let cachedDeps: Deps | undefined;
let cachedAuthenticator: Authenticate | undefined;
let cachedNotifyDeps: NotifyDeps | undefined;
let cachedSigner: JwtSigner | undefined;

/** The container's metrics: every function records into it and flushes it once per invocation. */
export const metrics: () => Metrics = containerMetrics;

/** An SDK client whose calls are timed and whose failures are counted in the container's metrics. */
export function measured<C>(client: C, dependency: Dependency): C {
  return instrumentClient(client, dependency, metrics());
}

/**
 * The configured catalog, read and validated once per container (a bad one fails the cold start, and
 * so does a web-identity entitlement when hallpass is not configured as an issuer).
 */
export function catalog(): Catalog {
  if (!cachedCatalog) {
    const { catalogPath, catalogSha256, maxSessionSeconds, webIdentity, issuers } = config();
    const loaded = loadCatalog(catalogPath, { maxSessionSeconds, sha256: catalogSha256 });
    if (usesWebIdentity(loaded) && !webIdentity) {
      const first = loaded.entitlements.find((e) => e.issuance === 'web-identity')?.id;
      throw new ConfigError(
        `invalid configuration: entitlement '${first}' has issuance: web-identity, which needs HALLPASS_WEB_IDENTITY_ISSUER and HALLPASS_SIGNING_KEY_ID`,
      );
    }
    // A workload principal names its issuer: one not configured would be a grant to nobody, or to
    // whoever is configured under that name later.
    const issuerNames = new Set(issuers.slice(1).map((issuer) => issuer.name));
    for (const [name, id] of workloadIssuers(loaded)) {
      if (!issuerNames.has(name)) {
        throw new ConfigError(
          `invalid configuration: entitlement '${id}' grants requesterPrincipals of issuer '${name}', which is not in HALLPASS_ISSUERS`,
        );
      }
    }
    cachedCatalog = loaded;
  }
  return cachedCatalog;
}

/**
 * The signer of hallpass's own tokens (KMS), built once per container: the public keys it publishes
 * are cached in its closure. Undefined when hallpass is not configured as an issuer.
 */
export function jwtSigner(): JwtSigner | undefined {
  const settings = config().webIdentity;
  if (!settings) return undefined;
  cachedSigner ??= createJwtSigner(measured(new KMSClient(CLIENT_OPTIONS), 'kms'), {
    signingKeyId: settings.signingKeyId,
    publishedKeyIds: settings.publishedKeyIds,
  });
  return cachedSigner;
}

/**
 * hallpass as an OIDC provider, for web-identity vends; undefined when not configured. The KMS
 * client is built at the first web-identity vend, not at container init: most vends assume a role
 * and never sign (a client's construction is a few ms of every cold start).
 */
export function webIdentityIssuer(): WebIdentityIssuer | undefined {
  const settings = config().webIdentity;
  if (!settings) return undefined;
  return {
    issuer: settings.issuer,
    audience: settings.audience,
    sign: (claims) => (jwtSigner() as JwtSigner).sign(claims),
  };
}

/** The console sign-in's settings: the federation endpoint, allowed hosts, hallpass's own URL. */
export function consoleSettings(): ConsoleDeps['console'] {
  const cfg = config();
  return {
    federationUrl: cfg.console.federationUrl,
    hosts: cfg.console.hosts,
    // Where AWS sends the browser when the console session ends.
    issuer: cfg.notifications.publicUrl ?? cfg.webIdentity?.issuer ?? cfg.issuer,
  };
}

let cachedRevokeDeps: RevokeDeps | undefined;

/**
 * What the revoke functions need: the container's deps, and the target accounts' revocation policies
 * through their revoker roles (an STS client for AssumeRole, then an IAM client per account), and
 * canary sessions made as those revokers for the follow-up check.
 */
export function revokeDeps(): RevokeDeps {
  if (!cachedRevokeDeps) {
    const deps = containerDeps();
    const sts = measured(new STSClient(CLIENT_OPTIONS), 'sts');
    const revoker = revokerSessions(sts, { roleName: deps.config.revokerRoleName });
    cachedRevokeDeps = {
      ...deps,
      policies: revokerPolicies(revoker, {
        roleName: deps.config.revokerRoleName,
        clientOptions: CLIENT_OPTIONS,
        instrument: (client) => measured(client, 'iam'),
      }),
      // The follow-up check: a canary of each role, made as its account's revoker.
      canaries: revocationCanaries(revoker, {
        revokerRoleName: deps.config.revokerRoleName,
        clientOptions: CLIENT_OPTIONS,
        instrument: (client) => measured(client, 'sts'),
      }),
    };
  }
  return cachedRevokeDeps;
}

/** The container's dependencies, built on first use. */
export function containerDeps(): Deps {
  cachedDeps ??= buildDeps(config());
  return cachedDeps;
}

/**
 * The bearer-token verifier, built once per container: its JWKS cache lives in its closure. Built
 * during the init phase (the functions call this at module load), it starts getting the issuer's
 * keys right away: with HALLPASS_JWKS_STORE on, one GetItem of the requests table (on the client the
 * function's other DynamoDB calls use, so it also opens their connection), else from the issuer.
 */
export function authenticator(): Authenticate {
  if (!cachedAuthenticator) {
    const cfg = config();
    const store = cfg.jwksStore ? createJwksStore(containerDeps().requests) : undefined;
    // Every configured issuer, the primary one first; each keeps its own JWKS item in the store.
    const issuers = cfg.issuers.map((issuer) => ({ ...issuer, maxTokenAgeSeconds: cfg.maxTokenAgeSeconds }));
    const verify = createAuthenticator(issuers, metrics(), { prefetch: true, store });
    // With Slack on, every call refreshes the groups a Slack decision of this principal may use.
    const slack = cfg.slack;
    cachedAuthenticator = slack
      ? Object.assign(verify, {
          onPrincipal: groupRefresher(
            { client: containerDeps().requests.client, tableName: slack.table },
            () => new Date(),
          ),
        })
      : verify;
  }
  return cachedAuthenticator;
}

/**
 * Slack's parts: its table (on the given DynamoDB client), the Web API with the bot token, and the
 * reader of both secrets from SSM (kept five minutes).
 */
export function slackParts(
  settings: SlackSettings,
  dynamodb: DynamoDBClient,
  ssm: SSMClient,
  recorder?: Metrics,
): SlackCommandDeps['slack'] {
  const readSecret = secretReader(ssm);
  return {
    table: { client: dynamodb, tableName: settings.table },
    settings,
    readSecret,
    api: createSlackApi({
      apiUrl: settings.apiUrl,
      token: () => readSecret(settings.botTokenParameter),
      metrics: recorder,
    }),
  };
}

/** What the notify function (and the local notifier) needs to post to Slack. */
export function slackNotifyDeps(
  deps: Pick<Deps, 'requests' | 'catalog' | 'config' | 'now'>,
  settings: SlackSettings,
  recorder: Metrics = metrics(),
  // The local notifier's, pointed at the local SSM (npm start); the function's own otherwise.
  ssm: SSMClient = measured(new SSMClient(CLIENT_OPTIONS), 'ssm'),
): SlackNotifyDeps {
  return {
    slack: slackParts(settings, deps.requests.client, ssm, recorder),
    requests: deps.requests,
    catalog: deps.catalog,
    publicUrl: deps.config.notifications.publicUrl,
    now: deps.now,
  };
}

/** Slack's part of the notifications, as the notify use case calls it. */
export const slackPoster =
  (deps: SlackNotifyDeps) =>
  (item: Record<string, unknown>): Promise<void> =>
    notifySlack(deps, item);

let cachedSlackNotifyDeps: NotifyDeps | undefined;

/**
 * What the slackNotify function needs: Slack alone, as a second consumer of the audit stream with
 * its own retries and dead letters, so that Slack failing never holds back the other channels (and
 * theirs never Slack). Undefined when Slack is off.
 */
export function slackStreamDeps(): NotifyDeps | undefined {
  const cfg = config();
  if (!cfg.slack) return undefined;
  cachedSlackNotifyDeps ??= {
    channels: {},
    publicUrl: cfg.notifications.publicUrl,
    metrics: metrics(),
    slack: slackPoster(slackNotifyDeps(containerDeps(), cfg.slack)),
  };
  return cachedSlackNotifyDeps;
}

let cachedSlackDeps: SlackCommandDeps | undefined;

/** What Slack's routes need; undefined when Slack is off (they answer `slack_not_configured`). */
export function slackDeps(): SlackCommandDeps | undefined {
  if (!cachedSlackDeps) {
    const cfg = config();
    const settings = cfg.slack;
    if (!settings) return undefined;
    const deps = buildDeps(cfg, metrics(), SLACK_CLIENT_OPTIONS);
    const slack = slackParts(
      settings,
      deps.requests.client,
      measured(new SSMClient(SLACK_CLIENT_OPTIONS), 'ssm'),
      deps.metrics,
    );
    // Both secrets are read during the init phase, side by side, not on the first click's 3 s.
    for (const name of [settings.signingSecretParameter, settings.botTokenParameter])
      slack.readSecret(name).catch(() => undefined);
    cachedSlackDeps = { ...deps, publicUrl: cfg.notifications.publicUrl, slack };
  }
  return cachedSlackDeps;
}

/** What the link routes need: Slack's table when Slack is on (else they answer slack_not_configured). */
export function linkDeps(): LinkDeps {
  const deps = containerDeps();
  const settings = deps.config.slack;
  return {
    ...deps,
    slack: settings
      ? { table: { client: deps.requests.client, tableName: settings.table }, settings }
      : undefined,
  };
}

/** What the notification function needs: the configured channels, an EventBridge client among them. */
export function notifyDeps(): NotifyDeps {
  const { notifications } = config();
  cachedNotifyDeps ??= {
    publicUrl: notifications.publicUrl,
    metrics: metrics(),
    channels: {
      ...(notifications.eventBus
        ? { eventBridge: { client: new EventBridgeClient({ maxAttempts: 3 }), bus: notifications.eventBus } }
        : {}),
      ...(notifications.webhookUrl ? { webhookUrl: notifications.webhookUrl } : {}),
    },
  };
  return cachedNotifyDeps;
}

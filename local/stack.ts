/**
 * The local stack, in this process: dynalite with serverless.yml's tables, the local STS, the local
 * KMS (which signs hallpass's own web identity tokens), the local federation endpoint (console
 * sign-in), the dev OIDC issuer, the webhook receiver, and on request the Slack Web API fake with the
 * local SSM that holds the Slack app's secrets, each on a given port or a free one (port 0), or taken
 * as already running at a given URL. `npm start`, the test run, the benchmark and the
 * load script all start theirs here.
 *
 * Adding a local endpoint (KMS, IAM, a Slack fake) is one entry in SERVICES, one field in `urls`, and
 * its option comes with it.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { ensureTables, startDynalite } from './dynamodb.ts';
import { startLocalFederation } from './federation/server.ts';
import { startLocalIam } from './iam/server.ts';
import { createIssuerKey, type IssuerKey, loadOrCreateIssuerKey } from './issuer/keys.ts';
import { startDevIssuer } from './issuer/server.ts';
import { startLocalKms } from './kms/server.ts';
import { DEFAULT_AUDIENCE } from './paths.ts';
import {
  makeSlackSecrets,
  SLACK_BOT_TOKEN_PARAMETER,
  SLACK_DEFAULT_CHANNEL,
  SLACK_SECURITY_CHANNEL,
  SLACK_SIGNING_SECRET_PARAMETER,
  type SlackSecrets,
} from './slack/secrets.ts';
import { startLocalSlack } from './slack/server.ts';
import { startLocalSsm } from './ssm/server.ts';
import {
  type CallerConfig,
  credentialsEnv,
  DEFAULT_ROLES_FILE,
  type LocalStsConfig,
  loadConfig,
  resolveConfig,
} from './sts/config.ts';
import { type LocalSts, startLocalSts } from './sts/server.ts';
import { startWebhookReceiver } from './webhook-receiver.ts';

interface Running {
  url: string;
  close(): Promise<void>;
}

interface StartContext {
  port: number;
  audience: string;
  /** hallpass's own issuer URL (web-identity issuance), when the stack knows it. */
  hallpassUrl: string | undefined;
  /** The services started before this one (those later ones need). */
  started: { sts?: LocalSts & { caller: CallerConfig } };
  /** The Slack app's signing secret and bot token, when the stack has Slack. */
  slack: SlackSecrets | undefined;
}

/** How each service starts here, in the order they start: the one list of the stack's services. */
const SERVICES = {
  /** dynalite, in memory or persisting under `dir`. */
  dynamodb: (o: { dir?: string }, { port }: StartContext) =>
    startDynalite({ port, ...(o.dir ? { path: o.dir } : {}) }),
  /**
   * The local STS, with the roles of `rolesFile` (default local/sts-roles.yaml) or of `config`; its
   * first caller is the identity the functions run as (a role session, as a Lambda function's is).
   */
  sts: async (o: { rolesFile?: string; config?: LocalStsConfig }, { port, hallpassUrl }: StartContext) => {
    // ${HALLPASS_URL} in the roles file: hallpass as an OIDC provider of the target accounts.
    const variables = hallpassUrl ? { HALLPASS_URL: hallpassUrl } : undefined;
    const config = o.config
      ? resolveConfig(o.config, 'config', variables)
      : await loadConfig(o.rolesFile ?? DEFAULT_ROLES_FILE, variables);
    const caller = config.callers[0];
    if (!caller)
      throw new Error(`the local STS's roles name no caller (${o.rolesFile ?? DEFAULT_ROLES_FILE})`);
    return { ...(await startLocalSts({ port, config })), caller };
  },
  /**
   * The local KMS, whose first key signs hallpass's tokens; kept in `keyFile` (so a restart keeps the
   * JWKS) or made for this run. Only the local STS's callers (the functions' identity) may call it.
   */
  kms: async (o: { keyFile?: string; keyCount?: number }, { port, started }: StartContext) => {
    if (!started.sts) throw new Error('the local KMS runs with the local STS (its callers are the same)');
    return startLocalKms({
      port,
      callers: [started.sts.caller],
      ...(o.keyFile ? { keyFile: o.keyFile } : {}),
      ...(o.keyCount ? { keyCount: o.keyCount } : {}),
    });
  },
  /**
   * IAM's GetRolePolicy/PutRolePolicy for revocations, on the local STS's roles: what it writes, the
   * local STS enforces on calls made with those roles' sessions.
   */
  iam: async (_o: object, { port, started }: StartContext) => {
    if (!started.sts) throw new Error('the local IAM runs with the local STS (it writes its roles)');
    return startLocalIam({ port, sts: started.sts });
  },
  /** AWS's federation endpoint for console sign-in, honouring only what the local STS issued. */
  federation: async (_o: object, { port, started }: StartContext) => {
    const sts = started.sts;
    if (!sts) throw new Error('the local federation endpoint runs with the local STS');
    return startLocalFederation({ port, stsUrl: sts.url, session: (id) => sts.session(id) });
  },
  /** The dev issuer, signing with the key of `keyFile` (created on first use) or a key made for this run. */
  issuer: async (o: { keyFile?: string }, { port, audience }: StartContext) => {
    const key = o.keyFile ? await loadOrCreateIssuerKey(o.keyFile) : await createIssuerKey();
    return { ...(await startDevIssuer(key, port, { audience })), key };
  },
  /** The webhook receiver, printing each message it gets with `print`. */
  webhook: (o: { print?: (text: string) => void }, { port }: StartContext) =>
    startWebhookReceiver({ port, ...(o.print ? { print: o.print } : {}) }),
  /**
   * The Slack Web API fake, taking the stack's bot token (given, or made for this stack); `print` gets
   * one line per message shown (local/slack/server.ts).
   */
  slack: async (
    o: Partial<SlackSecrets> & { print?: (line: string) => void },
    { port, slack }: StartContext,
  ) => {
    if (!slack) throw new Error('the Slack fake runs with the Slack secrets of the stack');
    return startLocalSlack({ port, botToken: slack.botToken, ...(o.print ? { print: o.print } : {}) });
  },
  /**
   * SSM's GetParameter, serving the Slack app's secrets under the local parameter names (and any
   * `parameters`). Only the local STS's callers (the functions' identity) may call it.
   */
  ssm: async (o: { parameters?: Record<string, string> }, { port, started, slack }: StartContext) => {
    if (!started.sts) throw new Error('the local SSM runs with the local STS (its callers are the same)');
    const secrets: Record<string, string> = slack
      ? { [SLACK_SIGNING_SECRET_PARAMETER]: slack.signingSecret, [SLACK_BOT_TOKEN_PARAMETER]: slack.botToken }
      : {};
    return startLocalSsm({
      port,
      callers: [started.sts.caller],
      parameters: { ...secrets, ...o.parameters },
    });
  },
} satisfies Record<string, (options: never, context: StartContext) => Promise<Running>>;

type ServiceName = keyof typeof SERVICES;
type Started = { [N in ServiceName]: Awaited<ReturnType<(typeof SERVICES)[N]>> };

/**
 * Where a service comes from: started here, on `port` (0 or left out: a free one) with its own
 * options, or already running at `url` (then nothing is started, and nothing stopped).
 */
export type Service<N extends ServiceName> =
  | { url: string }
  | (Parameters<(typeof SERVICES)[N]>[0] & { port?: number });

export interface LocalStackOptions {
  /** The stage whose tables (serverless.yml's definitions) are created in the stack's DynamoDB. */
  stage: string;
  /** Default us-east-1. */
  region?: string;
  /** The `aud` of the dev issuer's tokens; default `hallpass`. */
  audience?: string;
  dynamodb?: Service<'dynamodb'>;
  /** false: no STS here (AWS's, through the default credential chain). */
  sts?: Service<'sts'> | false;
  /** false: AWS's KMS (the default, when the STS is not local). */
  kms?: Service<'kms'> | false;
  /** false: AWS's IAM (the default, when the STS is not local). */
  iam?: Service<'iam'> | false;
  /** false: AWS's federation endpoint (the default, when the STS is not local). */
  federation?: Service<'federation'> | false;
  /**
   * hallpass's own issuer URL (the API's base URL, where it serves /.well-known/openid-configuration):
   * the local STS trusts it as an OIDC provider, and the functions sign web identity tokens as it.
   * Left out: no web-identity issuance.
   */
  hallpassUrl?: string;
  issuer?: Service<'issuer'>;
  /** Left out: no webhook receiver. */
  webhook?: Service<'webhook'>;
  /**
   * Slack (default false: only stacks that ask get it): the Web API fake, or one at `url`; the signing
   * secret and bot token are made for this stack unless given. With Slack, the stack's env points the
   * functions at it and at the SSM parameters that hold the secrets.
   */
  slack?: (Service<'slack'> & Partial<SlackSecrets>) | false;
  /** Default: the local SSM when the stack has Slack and the local STS; false: AWS's. */
  ssm?: Service<'ssm'> | false;
}

export interface LocalStack {
  urls: {
    dynamodb: string;
    issuer: string;
    sts?: string;
    kms?: string;
    iam?: string;
    federation?: string;
    webhook?: string;
    slack?: string;
    ssm?: string;
  };
  /** The services started here, by name; those given by URL (or not asked for) are absent. */
  local: Partial<Started>;
  /** The dev issuer's signing key, when the dev issuer runs here. */
  issuerKey: IssuerKey | undefined;
  audience: string;
  region: string;
  /** `slack`: when serverless.yml has the Slack table. */
  tables: { audit: string; requests: string; slack?: string };
  /** The Slack fake and the app's secrets (to sign requests as Slack does), when the stack has Slack. */
  slack: (SlackSecrets & { url: string; apiUrl: string }) | undefined;
  /** A client of the stack's DynamoDB, with the stack's credentials; stop() destroys it. */
  dynamodb: DynamoDBClient;
  /**
   * The local STS's vend identity as AWS_* variables (the credentials a deployed function has), when
   * the local STS runs here; empty otherwise (the default credential chain decides).
   */
  credentialsEnv: Record<string, string>;
  /**
   * The environment a deployed function would have, pointed at this stack: region, endpoints,
   * credentials, issuer, audience and tables, with the user's AWS config files kept out.
   */
  env: Record<string, string>;
  /** Stops what was started here, the last started first. */
  stop(): Promise<void>;
}

/** Starts the services that are not given by URL, then creates the stage's tables; see LocalStackOptions. */
export async function startLocalStack(options: LocalStackOptions): Promise<LocalStack> {
  const audience = options.audience ?? DEFAULT_AUDIENCE;
  const region = options.region ?? 'us-east-1';
  const localSts = options.sts !== false && !(options.sts && 'url' in options.sts);
  const slackSecrets = options.slack
    ? { ...makeSlackSecrets(), ...definedSecrets(options.slack) }
    : undefined;
  const choices: { [N in ServiceName]: Service<N> | false } = {
    dynamodb: options.dynamodb ?? {},
    sts: options.sts ?? {},
    kms: options.kms ?? (localSts ? {} : false),
    iam: options.iam ?? (localSts ? {} : false),
    federation: options.federation ?? (localSts ? {} : false),
    issuer: options.issuer ?? {},
    webhook: options.webhook ?? false,
    slack: options.slack ?? false,
    ssm: options.ssm ?? (slackSecrets && localSts ? {} : false),
  };
  const local: Partial<Started> = {};
  const urls: Partial<Record<ServiceName, string>> = {};
  const running: Running[] = [];
  let client: DynamoDBClient | undefined;
  const stop = async () => {
    client?.destroy();
    await Promise.allSettled(running.reverse().map((service) => service.close()));
  };

  try {
    for (const name of Object.keys(SERVICES) as ServiceName[]) {
      const choice = choices[name];
      if (choice === false) continue;
      if ('url' in choice) {
        urls[name] = choice.url;
        continue;
      }
      const start = SERVICES[name] as (o: typeof choice, context: StartContext) => Promise<Running>;
      const service = await start(choice, {
        port: choice.port ?? 0,
        audience,
        hallpassUrl: options.hallpassUrl,
        started: local,
        slack: slackSecrets,
      });
      running.push(service);
      urls[name] = service.url;
      (local as Record<ServiceName, Running>)[name] = service;
    }

    const caller = local.sts?.caller;
    const credentials = caller ? credentialsEnv(caller) : {};
    client = new DynamoDBClient({
      region,
      endpoint: urls.dynamodb,
      ...(caller
        ? { credentials: { accessKeyId: caller.accessKeyId, secretAccessKey: caller.secretAccessKey } }
        : {}),
    });
    const names = await ensureTables(client, options.stage);
    const tables = {
      audit: names.AuditTable as string,
      requests: names.RequestsTable as string,
      ...(names.SlackTable ? { slack: names.SlackTable } : {}),
    };
    const slack =
      slackSecrets && urls.slack
        ? { url: urls.slack, apiUrl: `${urls.slack.replace(/\/$/, '')}/api/`, ...slackSecrets }
        : undefined;
    const dynamodb = urls.dynamodb as string;
    const issuer = urls.issuer as string;

    return {
      urls: {
        dynamodb,
        issuer,
        ...(urls.sts ? { sts: urls.sts } : {}),
        ...(urls.kms ? { kms: urls.kms } : {}),
        ...(urls.iam ? { iam: urls.iam } : {}),
        ...(urls.federation ? { federation: urls.federation } : {}),
        ...(urls.webhook ? { webhook: urls.webhook } : {}),
        ...(urls.slack ? { slack: urls.slack } : {}),
        ...(urls.ssm ? { ssm: urls.ssm } : {}),
      },
      local,
      issuerKey: local.issuer?.key,
      audience,
      region,
      tables,
      slack,
      dynamodb: client,
      credentialsEnv: credentials,
      env: {
        AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
        AWS_REGION: region,
        AWS_ENDPOINT_URL_DYNAMODB: dynamodb,
        ...(urls.sts ? { AWS_ENDPOINT_URL_STS: urls.sts } : {}),
        ...(urls.kms ? { AWS_ENDPOINT_URL_KMS: urls.kms } : {}),
        ...(urls.iam ? { AWS_ENDPOINT_URL_IAM: urls.iam } : {}),
        ...(urls.federation ? { HALLPASS_FEDERATION_URL: urls.federation } : {}),
        ...(urls.ssm ? { AWS_ENDPOINT_URL_SSM: urls.ssm } : {}),
        ...(slack ? slackEnv(slack.apiUrl, tables.slack) : {}),
        ...webIdentityEnv(options.hallpassUrl, local.kms?.keyArns),
        ...credentials,
        AWS_CONFIG_FILE: '/dev/null',
        AWS_SHARED_CREDENTIALS_FILE: '/dev/null',
        HALLPASS_ISSUER: issuer,
        HALLPASS_AUDIENCE: audience,
        HALLPASS_AUDIT_TABLE: tables.audit,
        HALLPASS_REQUESTS_TABLE: tables.requests,
      },
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}

/** The secrets a Slack option names (a `url` option may name them too), leaving out those it does not. */
function definedSecrets(option: Partial<SlackSecrets>): Partial<SlackSecrets> {
  return {
    ...(option.signingSecret ? { signingSecret: option.signingSecret } : {}),
    ...(option.botToken ? { botToken: option.botToken } : {}),
  };
}

/** The functions' Slack settings for the local stack: the fake's API, the SSM parameter names, channels. */
function slackEnv(apiUrl: string, table: string | undefined): Record<string, string> {
  return {
    HALLPASS_SLACK_API_URL: apiUrl,
    HALLPASS_SLACK_SIGNING_SECRET_PARAMETER: SLACK_SIGNING_SECRET_PARAMETER,
    HALLPASS_SLACK_BOT_TOKEN_PARAMETER: SLACK_BOT_TOKEN_PARAMETER,
    HALLPASS_SLACK_DEFAULT_CHANNEL: SLACK_DEFAULT_CHANNEL,
    HALLPASS_SLACK_SECURITY_CHANNEL: SLACK_SECURITY_CHANNEL,
    ...(table ? { HALLPASS_SLACK_TABLE: table } : {}),
  };
}

/** hallpass as an OIDC provider: its issuer URL and the local KMS's keys (the first signs). */
function webIdentityEnv(
  hallpassUrl: string | undefined,
  keyArns: string[] | undefined,
): Record<string, string> {
  const [signing, ...others] = keyArns ?? [];
  if (!hallpassUrl || !signing) return {};
  return {
    HALLPASS_WEB_IDENTITY_ISSUER: hallpassUrl,
    HALLPASS_SIGNING_KEY_ID: signing,
    ...(others.length ? { HALLPASS_PUBLISHED_KEY_IDS: others.join(',') } : {}),
  };
}

/**
 * A stage's deploy config, config/<stage>.yaml (deploy/settings.cjs): checked by lib/config.ts's own
 * parser when the template is built, each bad setting refused by name, secrets only as references,
 * every catalog role in an allowed account, the environment over the file.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';

const { checkStage, checkOperations } = createRequire(import.meta.url)('../../deploy/settings.cjs') as {
  checkStage: (options: {
    stage: string;
    service: string;
    catalog: string;
    env: NodeJS.ProcessEnv;
  }) => Record<string, string>;
  checkOperations: (options: { stage: string; env: NodeJS.ProcessEnv }) => Record<string, unknown>;
};

const GOOD = {
  allowedAccounts: ['111111111111', '222222222222'],
  settings: { HALLPASS_ISSUER: 'https://login.example.com', HALLPASS_AUDIENCE: 'hallpass' },
};
const READONLY = 'arn:aws:iam::111111111111:role/hallpass-sandbox-readonly';

let dir: string;
let files = 0;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'hallpass-config-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A file of the given YAML document (or text) in the test's directory; its path. */
function write(document: unknown): string {
  const file = join(dir, `file-${files++}.yaml`);
  writeFileSync(file, typeof document === 'string' ? document : stringify(document));
  return file;
}

/** A catalog of one entitlement with the given role and session policies. */
const catalogOf = (roleArn: string, policyArns: string[] = []) =>
  write({
    entitlements: [
      {
        id: 'sandbox',
        roleArn,
        policyArns,
        requesterGroups: ['engineers'],
        maxDurationSeconds: 3600,
        defaultDurationSeconds: 900,
        approval: { required: false },
      },
    ],
  });

/** The stage's settings as deploy/settings.cjs checks them, from `document` and `env`. */
function check(
  document: unknown,
  stage = 'prod',
  env: NodeJS.ProcessEnv = {},
  catalog = catalogOf(READONLY),
) {
  return checkStage({
    stage,
    service: 'hallpass',
    catalog,
    env: { HALLPASS_CONFIG: write(document), ...env },
  });
}

const withSettings = (settings: Record<string, unknown>) => ({
  ...GOOD,
  settings: { ...GOOD.settings, ...settings },
});

describe('the committed config files', () => {
  it.each([
    ['dev', 'config/dev.yaml'],
    ['local', 'config/local.yaml'],
    ['prod', 'config/example-prod.yaml'],
  ])('checks stage %s with %s against the example catalog', (stage, file) => {
    const settings = checkStage({
      stage,
      service: 'hallpass',
      catalog: 'catalog/example.yaml',
      env: { HALLPASS_CONFIG: file },
    });
    expect(settings.HALLPASS_ISSUER).toMatch(/^https?:\/\//);
    expect(settings.HALLPASS_AUDIENCE).toBe('hallpass');
    expect(() => checkOperations({ stage, env: { HALLPASS_CONFIG: file } })).not.toThrow();
  });

  it('spells out every operational setting in the example, as serverless.yml names them', () => {
    const operations = checkOperations({
      stage: 'prod',
      env: { HALLPASS_CONFIG: 'config/example-prod.yaml' },
    });
    expect(operations).toMatchObject({ throttleBurst: 50, logRetentionInDays: 90, tracing: 'false' });
  });
});

describe('each bad setting refused by name', () => {
  it.each([
    ['an empty issuer', withSettings({ HALLPASS_ISSUER: '' }), 'HALLPASS_ISSUER: missing'],
    [
      'an issuer that is not https',
      withSettings({ HALLPASS_ISSUER: 'http://login.example.com' }),
      'HALLPASS_ISSUER: http://login.example.com must be an https URL',
    ],
    [
      'a loopback http issuer outside stage local',
      withSettings({ HALLPASS_ISSUER: 'http://127.0.0.1:3012' }),
      'HALLPASS_ISSUER: http://127.0.0.1:3012 must be an https URL',
    ],
    ['an issuer that is no URL', withSettings({ HALLPASS_ISSUER: 'login' }), 'HALLPASS_ISSUER: Invalid URL'],
    [
      'a further issuer fetched over http',
      withSettings({
        HALLPASS_ISSUERS: [{ name: 'ci', issuer: 'http://ci.example.com', audience: 'hallpass' }],
      }),
      'HALLPASS_ISSUERS.0.issuer: http://ci.example.com must be an https URL',
    ],
    [
      'a federation endpoint over http (the session secret travels in its query)',
      withSettings({ HALLPASS_FEDERATION_URL: 'http://signin.aws.amazon.com/federation' }),
      'HALLPASS_FEDERATION_URL: http://signin.aws.amazon.com/federation must be an https URL',
    ],
    [
      'a missing audience',
      { ...GOOD, settings: { HALLPASS_ISSUER: 'https://login.example.com' } },
      'HALLPASS_AUDIENCE: missing',
    ],
    [
      'a session cap over an hour',
      withSettings({ HALLPASS_MAX_SESSION_SECONDS: 7200 }),
      'HALLPASS_MAX_SESSION_SECONDS:',
    ],
    [
      'a symmetric algorithm',
      withSettings({ HALLPASS_ALGORITHMS: ['HS256'] }),
      'HALLPASS_ALGORITHMS: only asymmetric algorithms',
    ],
    [
      'a misspelt setting',
      withSettings({ HALLPASS_ISSUR: 'https://login.example.com' }),
      'settings.HALLPASS_ISSUR: not a setting serverless.yml passes to the functions',
    ],
    [
      'a setting serverless.yml sets itself',
      withSettings({ HALLPASS_AUDIT_TABLE: 'audit' }),
      'settings.HALLPASS_AUDIT_TABLE: not a setting of the file: set by serverless.yml',
    ],
    [
      'an unknown key',
      { ...GOOD, params: {} },
      'params: unknown key (allowedAccounts, settings, operations)',
    ],
    [
      'no allowedAccounts',
      { settings: GOOD.settings },
      'allowedAccounts: missing: list the account ids the catalog',
    ],
    [
      'an account id written as a number',
      { ...GOOD, allowedAccounts: [111111111111] },
      'allowedAccounts: 111111111111 is not a 12-digit account id',
    ],
  ])('refuses %s', (_, document, message) => {
    expect(() => check(document)).toThrow(message);
  });

  it('names the file it read', () => {
    expect(() => check(withSettings({ HALLPASS_ISSUER: '' }))).toThrow(/file-\d+\.yaml: .*HALLPASS_ISSUER/);
  });

  it('lets the local stage alone use http, on the loopback', () => {
    const local = withSettings({ HALLPASS_ISSUER: 'http://127.0.0.1:3012' });
    expect(check(local, 'local').HALLPASS_ISSUER).toBe('http://127.0.0.1:3012');
    expect(() => check(withSettings({ HALLPASS_ISSUER: 'http://idp.example.com' }), 'local')).toThrow(
      'must be an https URL',
    );
  });
});

describe('allowed accounts', () => {
  it('refuses a catalog role in an account allowedAccounts does not list', () => {
    const catalog = catalogOf('arn:aws:iam::333333333333:role/hallpass-admin');
    expect(() => check(GOOD, 'prod', {}, catalog)).toThrow(
      'allowedAccounts: the catalog ' +
        `${catalog}'s entitlement sandbox has roleArn arn:aws:iam::333333333333:role/hallpass-admin, in account 333333333333`,
    );
  });

  it("refuses a customer-managed session policy of another account, and takes AWS's own", () => {
    const foreign = catalogOf(READONLY, ['arn:aws:iam::333333333333:policy/wide']);
    expect(() => check(GOOD, 'prod', {}, foreign)).toThrow(
      'has policyArns arn:aws:iam::333333333333:policy/wide',
    );
    const managed = catalogOf(READONLY, [
      'arn:aws:iam::aws:policy/ReadOnlyAccess',
      'arn:aws:iam::111111111111:policy/narrow',
    ]);
    expect(check(GOOD, 'prod', {}, managed).HALLPASS_ISSUER).toBe('https://login.example.com');
  });
});

describe('allowed accounts on the local stage', () => {
  it('lets stage local alone leave allowedAccounts out: any account', () => {
    const catalog = catalogOf('arn:aws:iam::333333333333:role/hallpass-admin');
    const local = { settings: { ...GOOD.settings, HALLPASS_ISSUER: 'http://127.0.0.1:3012' } };
    expect(check(local, 'local', {}, catalog).HALLPASS_ISSUER).toBe('http://127.0.0.1:3012');
    expect(() => check({ settings: GOOD.settings }, 'dev', {}, catalog)).toThrow('allowedAccounts: missing');
  });
});

describe('secrets', () => {
  it('refuses a secret written as its value, saying to use a reference', () => {
    const plain = withSettings({ HALLPASS_WEBHOOK_URL: 'https://hooks.slack.com/services/T0/B0/x' });
    expect(() => check(plain)).toThrow(
      'settings.HALLPASS_WEBHOOK_URL: a secret: give it as a reference, {secretsManager: <secret id>} or {ssm: <parameter name>}',
    );
  });

  it('refuses a secret given by the environment outside the local stage', () => {
    const env = { HALLPASS_WEBHOOK_URL: 'https://hooks.slack.com/services/T0/B0/x' };
    expect(() => check(GOOD, 'prod', env)).toThrow(
      'HALLPASS_WEBHOOK_URL: a secret, given by the environment',
    );
    expect(check(GOOD, 'local', env).HALLPASS_WEBHOOK_URL).toBe(env.HALLPASS_WEBHOOK_URL);
  });

  it('hands CloudFormation a dynamic reference for Secrets Manager and SSM, resolved at deployment', () => {
    const secretsManager = withSettings({
      HALLPASS_WEBHOOK_URL: { secretsManager: 'hallpass/prod/webhook' },
    });
    expect(check(secretsManager).HALLPASS_WEBHOOK_URL).toBe(
      '{{resolve:secretsmanager:hallpass/prod/webhook}}',
    );
    const ssm = withSettings({ HALLPASS_WEBHOOK_URL: { ssm: '/hallpass/prod/webhook-url' } });
    expect(check(ssm).HALLPASS_WEBHOOK_URL).toBe('{{resolve:ssm:/hallpass/prod/webhook-url}}');
  });

  it('refuses a malformed reference, and a reference for a setting that is no secret', () => {
    const malformed = withSettings({ HALLPASS_WEBHOOK_URL: { ssm: '' } });
    expect(() => check(malformed)).toThrow('HALLPASS_WEBHOOK_URL: a reference is {ssm: <parameter name>}');
    const notSecret = withSettings({ HALLPASS_PUBLIC_URL: { ssm: '/hallpass/prod/url' } });
    expect(() => check(notSecret)).toThrow('HALLPASS_PUBLIC_URL: not a secret');
  });
});

describe('precedence: the environment, then the file, then lib/config.ts', () => {
  it("takes an environment variable over the file's value, and the file's over the default", () => {
    const settings = check(withSettings({ HALLPASS_GROUPS_CLAIM: 'roles' }), 'prod', {
      HALLPASS_AUDIENCE: 'api://hallpass',
    });
    expect(settings.HALLPASS_AUDIENCE).toBe('api://hallpass');
    expect(settings.HALLPASS_GROUPS_CLAIM).toBe('roles');
    // Unset: '' in the template, and lib/config.ts's default at cold start.
    expect(settings.HALLPASS_PRINCIPAL_CLAIM).toBe('');
  });

  it('checks the value the environment gives, naming it', () => {
    const env = { HALLPASS_ISSUER: 'http://login.example.com' };
    expect(() => check(GOOD, 'prod', env)).toThrow(
      'HALLPASS_ISSUER: http://login.example.com must be an https URL',
    );
  });

  it('writes lists of strings comma-separated', () => {
    const settings = check(withSettings({ HALLPASS_NAME_CLAIMS: ['email', 'upn'] }));
    expect(settings.HALLPASS_NAME_CLAIMS).toBe('email,upn');
  });
});

describe("operational settings (the file's operations: throttling, concurrency, alarms, logs, tracing)", () => {
  const operations = (values: Record<string, unknown>) =>
    checkOperations({ stage: 'prod', env: { HALLPASS_CONFIG: write({ ...GOOD, operations: values }) } });

  it("hands serverless.yml's params the values the file sets, and nothing for the others", () => {
    expect(
      operations({
        throttleBurst: 200,
        throttleRate: 50.5,
        vendReservedConcurrency: 40,
        alarmEmail: 'security@example.com',
        alarmHttpsUrl: 'https://alerts.example.com/sns',
        logRetentionInDays: 400,
        tracing: true,
      }),
    ).toEqual({
      throttleBurst: 200,
      throttleRate: 50.5,
      vendReservedConcurrency: 40,
      alarmEmail: 'security@example.com',
      alarmHttpsUrl: 'https://alerts.example.com/sns',
      logRetentionInDays: 400,
      tracing: 'true',
    });
  });

  it('gives nothing for a file without operations, or an operation left empty', () => {
    expect(checkOperations({ stage: 'prod', env: { HALLPASS_CONFIG: write(GOOD) } })).toEqual({});
    expect(operations({ throttleBurst: null })).toEqual({});
  });

  it.each([
    [
      'a burst that is not an integer',
      { throttleBurst: 2.5 },
      'operations.throttleBurst: 2.5 must be an integer, 1..5000',
    ],
    [
      'a rate of zero (every request refused)',
      { throttleRate: 0 },
      'operations.throttleRate: 0 must be a number, 0.1..10000',
    ],
    [
      'a vend burst given as text',
      { vendThrottleBurst: '100' },
      'operations.vendThrottleBurst: "100" must be an integer',
    ],
    [
      'a vend rate over the account limit',
      { vendThrottleRate: 20000 },
      'operations.vendThrottleRate: 20000 must be a number',
    ],
    [
      'no reserved concurrency',
      { vendReservedConcurrency: 0 },
      'operations.vendReservedConcurrency: 0 must be an integer, 1..1000',
    ],
    [
      'an alarm address that is no email address',
      { alarmEmail: 'security' },
      'operations.alarmEmail: "security" must be an email address',
    ],
    [
      'an alarm endpoint over http',
      { alarmHttpsUrl: 'http://alerts.example.com' },
      'operations.alarmHttpsUrl: "http://alerts.example.com" must be an https:// URL',
    ],
    [
      'an error rate over 100 percent',
      { serverErrorRatePercent: 150 },
      'operations.serverErrorRatePercent: 150 must be a percentage',
    ],
    [
      'an upstream threshold of zero',
      { upstreamErrorThreshold: 0 },
      'operations.upstreamErrorThreshold: 0 must be an integer, 1..100000',
    ],
    [
      'a retention CloudWatch Logs does not offer',
      { logRetentionInDays: 100 },
      "operations.logRetentionInDays: 100 must be one of CloudWatch Logs' periods: 1, 3, 5",
    ],
    ['tracing as a string', { tracing: 'yes' }, 'operations.tracing: "yes" must be true or false'],
    [
      'a misspelt operation',
      { throttleBrust: 10 },
      'operations.throttleBrust: not an operational setting (throttleBurst, throttleRate',
    ],
    [
      'the catalog, which is no operational setting',
      { catalog: 'catalog/prod.yaml' },
      'operations.catalog: not an operational setting',
    ],
  ])('refuses %s, naming it', (_, values, message) => {
    expect(() => operations(values)).toThrow(message);
  });

  it('refuses operations that are not a map, naming the file', () => {
    expect(() => operations([] as unknown as Record<string, unknown>)).toThrow(
      /file-\d+\.yaml: operations: must be a map/,
    );
  });
});

/** The environment of a serverless run: no AWS account, no HALLPASS_* of the test run's own. */
function serverlessEnv(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  return {
    ...Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith('HALLPASS_'))),
    AWS_CONFIG_FILE: '/dev/null',
    AWS_SHARED_CREDENTIALS_FILE: '/dev/null',
    SLS_TELEMETRY_DISABLED: '1',
    SLS_NOTIFICATIONS_MODE: 'off',
    ...env,
  };
}

/** What a command that must fail printed. */
async function failureOf(command: Promise<unknown>): Promise<string> {
  const error = await command.then(
    () => expect.fail('the command succeeded'),
    (e: { stdout?: string; stderr?: string }) => e,
  );
  return `${error.stdout ?? ''}${error.stderr ?? ''}`;
}

describe('npm run package and serverless', () => {
  it('refuses a stage without a config file, naming config/<stage>.yaml, before building anything', async () => {
    const packaging = promisify(execFile)('npm', ['run', 'package', '--', '--stage', 'staging'], {
      env: serverlessEnv({}),
    });
    expect(await failureOf(packaging)).toContain(
      'refused: config/staging.yaml: no such file: the settings of stage staging live in config/staging.yaml',
    );
  }, 30_000);

  it('refuses a bad setting by name', async () => {
    const file = write(withSettings({ HALLPASS_ISSUER: 'http://login.example.com' }));
    const packaging = promisify(execFile)('npm', ['run', 'package', '--', '--stage', 'staging'], {
      env: serverlessEnv({ HALLPASS_CONFIG: file }),
    });
    expect(await failureOf(packaging)).toContain(
      `refused: ${file}: HALLPASS_ISSUER: http://login.example.com must be an https URL`,
    );
  }, 30_000);

  it('refuses a bad operational setting by name, before building anything', async () => {
    const file = write({ ...GOOD, operations: { tracing: 'yes' } });
    const packaging = promisify(execFile)('npm', ['run', 'package', '--', '--stage', 'staging'], {
      env: serverlessEnv({ HALLPASS_CONFIG: file }),
    });
    expect(await failureOf(packaging)).toContain(
      `refused: ${file}: operations.tracing: "yes" must be true or false`,
    );
  }, 30_000);

  it("resolves a good file into the functions' environment: --param over the environment over the file", async () => {
    const file = write(
      withSettings({
        HALLPASS_WEB_IDENTITY_ISSUER: 'https://hallpass.example.com',
        HALLPASS_WEBHOOK_URL: { secretsManager: 'hallpass/staging/webhook' },
        HALLPASS_CONSOLE_HOSTS: ['console.aws.amazon.com'],
      }),
    );
    const { stdout } = await promisify(execFile)(
      'npx',
      [
        'serverless',
        'print',
        '--format',
        'json',
        '--stage',
        'staging',
        '--param',
        'webIdentityIssuer=https://id.example.com',
      ],
      {
        env: serverlessEnv({ HALLPASS_CONFIG: file, HALLPASS_AUDIENCE: 'api://hallpass' }),
        maxBuffer: 16 * 1024 * 1024,
      },
    );
    const { environment } = (JSON.parse(stdout) as { provider: { environment: Record<string, string> } })
      .provider;
    expect(environment).toMatchObject({
      HALLPASS_ISSUER: 'https://login.example.com',
      HALLPASS_AUDIENCE: 'api://hallpass',
      HALLPASS_WEB_IDENTITY_ISSUER: 'https://id.example.com',
      HALLPASS_SIGNING_KEY_ID: 'alias/hallpass-staging-signing',
      HALLPASS_WEBHOOK_URL: '{{resolve:secretsmanager:hallpass/staging/webhook}}',
      HALLPASS_CONSOLE_HOSTS: 'console.aws.amazon.com',
      HALLPASS_PRINCIPAL_CLAIM: '',
    });
  }, 60_000);

  it("takes the operations of the file over serverless.yml's defaults, and --param over the file", async () => {
    const file = write({
      ...GOOD,
      settings: { ...GOOD.settings, HALLPASS_WEB_IDENTITY_ISSUER: 'https://hallpass.example.com' },
      operations: {
        throttleBurst: 70,
        vendThrottleRate: 30,
        alarmEmail: 'security@example.com',
        tracing: true,
      },
    });
    const { stdout } = await promisify(execFile)(
      'npx',
      ['serverless', 'print', '--format', 'json', '--stage', 'staging', '--param', 'vendThrottleRate=7'],
      { env: serverlessEnv({ HALLPASS_CONFIG: file }), maxBuffer: 16 * 1024 * 1024 },
    );
    const template = JSON.parse(stdout) as {
      provider: { tracing: { lambda: boolean }; logRetentionInDays: number };
      resources: {
        Resources: Record<string, { Properties: Record<string, unknown> }>;
        extensions: Record<string, { Properties: Record<string, unknown> }>;
      };
    };
    const stage = template.resources.extensions.HttpApiStage?.Properties as {
      DefaultRouteSettings: Record<string, unknown>;
      RouteSettings: Record<string, Record<string, unknown>>;
    };
    // The file's, over the defaults (50, and tracing off).
    expect(Number(stage.DefaultRouteSettings.ThrottlingBurstLimit)).toBe(70);
    expect(template.provider.tracing).toEqual({ lambda: true });
    expect(template.resources.Resources.AlarmEmailSubscription?.Properties.Endpoint).toBe(
      'security@example.com',
    );
    // --param over the file's 30.
    expect(Number(stage.RouteSettings['POST /v1/credentials']?.ThrottlingRateLimit)).toBe(7);
    // Not in the file: serverless.yml's defaults.
    expect(Number(stage.DefaultRouteSettings.ThrottlingRateLimit)).toBe(20);
    expect(template.provider.logRetentionInDays).toBe(90);
  }, 60_000);

  it('refuses a bad operational setting in serverless itself, naming it', async () => {
    const file = write({ ...GOOD, operations: { logRetentionInDays: 100 } });
    const printing = promisify(execFile)('npx', ['serverless', 'print', '--stage', 'staging'], {
      env: serverlessEnv({ HALLPASS_CONFIG: file }),
      maxBuffer: 16 * 1024 * 1024,
    });
    expect(await failureOf(printing)).toContain('operations.logRetentionInDays: 100 must be one of');
  }, 60_000);

  it('refuses in serverless itself too (serverless deploy run by hand), naming the setting', async () => {
    const file = write({ ...GOOD, settings: { HALLPASS_ISSUER: 'https://login.example.com' } });
    const printing = promisify(execFile)('npx', ['serverless', 'print', '--stage', 'staging'], {
      env: serverlessEnv({ HALLPASS_CONFIG: file }),
      maxBuffer: 16 * 1024 * 1024,
    });
    expect(await failureOf(printing)).toContain('HALLPASS_AUDIENCE: missing');
  }, 60_000);
});

import {
  AssumeRoleWithWebIdentityCommand,
  type AssumeRoleWithWebIdentityCommandInput,
  GetCallerIdentityCommand,
  STSClient,
} from '@aws-sdk/client-sts';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type LocalSts, type LocalStsConfig, startLocalSts } from '../../local/sts/server.ts';
import {
  assumeRole,
  awsCli,
  CLI_TIMEOUT,
  client,
  failure,
  type Keys,
  keysOf,
  policyOfLength,
  SANDBOX,
  STRANGER,
  TEST_CONFIG,
  TestClock,
  VEND,
  validationError,
  violation,
} from './helpers.ts';
import { makeKey, startTestIssuer, type TestIssuer, unreachableUrl } from './issuer.ts';

const POWERUSER = 'arn:aws:iam::111111111111:role/hallpass-sandbox-poweruser';
/** Federated like the power-user role, but with IAM's default one-hour maximum. */
const SHORT = 'arn:aws:iam::111111111111:role/hallpass-sandbox-short';
/** In an account that registers no OIDC provider. */
const ELSEWHERE = 'arn:aws:iam::555555555555:role/hallpass-elsewhere';
const TAGS = 'https://aws.amazon.com/tags';
const SOURCE_IDENTITY = 'https://aws.amazon.com/source_identity';

const clock = new TestClock();
let issuer: TestIssuer;
let down: string;
let sts: LocalSts;

function config(): LocalStsConfig {
  const federated = { provider: '${ISSUER}', audience: 'sts.amazonaws.com', subject: 'sandbox-poweruser:*' };
  return {
    callers: TEST_CONFIG.callers,
    oidcProviders: [
      { account: '111111111111', url: '${ISSUER}', audiences: ['sts.amazonaws.com', 'other-client'] },
      { account: '111111111111', url: down, audiences: ['sts.amazonaws.com'] },
    ],
    roles: [
      ...(TEST_CONFIG.roles ?? []),
      { arn: POWERUSER, maxSessionDuration: 43200, federated },
      { arn: SHORT, federated: { ...federated, subject: undefined } },
      { arn: ELSEWHERE, maxSessionDuration: 43200, federated },
    ],
  };
}

beforeAll(async () => {
  issuer = await startTestIssuer();
  down = await unreachableUrl();
  sts = await startLocalSts({ config: config(), variables: { ISSUER: issuer.url }, now: clock.now });
});
afterAll(async () => {
  await sts.close();
  await issuer.close();
});
afterEach(() => {
  clock.reset();
  sts.setFault(null);
});

// No credentials: the SDK sends AssumeRoleWithWebIdentity unsigned, as AWS expects.
const anonymous = () => new STSClient({ region: 'us-east-1', endpoint: sts.url, maxAttempts: 1 });

async function assumeWithToken(input: Partial<AssumeRoleWithWebIdentityCommandInput> = {}) {
  return anonymous().send(
    new AssumeRoleWithWebIdentityCommand({
      RoleArn: POWERUSER,
      RoleSessionName: 'alice',
      WebIdentityToken: input.WebIdentityToken ?? (await issuer.token()),
      ...input,
    }),
  );
}

const webIdentity = (token: string, sessionName: string) =>
  new AssumeRoleWithWebIdentityCommand({
    RoleArn: POWERUSER,
    RoleSessionName: sessionName,
    WebIdentityToken: token,
  });

/** A client that signs AssumeRoleWithWebIdentity, which the SDK otherwise sends unsigned. */
const signing = (credentials: Keys) =>
  new STSClient({
    region: 'us-east-1',
    endpoint: sts.url,
    maxAttempts: 1,
    credentials,
    httpAuthSchemeProvider: () => [
      {
        schemeId: 'aws.auth#sigv4',
        signingProperties: { name: 'sts', region: 'us-east-1' },
        propertiesExtractor: (config, context) => ({ signingProperties: { config, context } }),
      },
    ],
  });

const invalidToken = (message: string) => ({
  name: 'InvalidIdentityTokenException',
  code: 'InvalidIdentityToken',
  message,
  status: 400,
});
const DENIED = {
  name: 'AccessDenied',
  code: 'AccessDenied',
  message: 'Not authorized to perform sts:AssumeRoleWithWebIdentity',
  status: 403,
};

describe('AssumeRoleWithWebIdentity', () => {
  it('issues an 8-hour session whose tags, transitive keys and source identity come from the token', async () => {
    const frozenAt = clock.freeze();
    const token = await issuer.token({
      sub: 'sandbox-poweruser:alice@example.com',
      [TAGS]: {
        principal_tags: { entitlement: ['sandbox-poweruser'], principal: ['alice@example.com'] },
        transitive_tag_keys: ['principal'],
      },
      [SOURCE_IDENTITY]: 'alice@example.com',
    });

    const out = await assumeWithToken({ WebIdentityToken: token, DurationSeconds: 28800 });

    expect(out.AssumedRoleUser).toEqual({
      Arn: 'arn:aws:sts::111111111111:assumed-role/hallpass-sandbox-poweruser/alice',
      AssumedRoleId: expect.stringMatching(/^AROA[A-Z2-7]{17}:alice$/),
    });
    expect(out.Credentials?.Expiration).toEqual(new Date(frozenAt + 28800_000));
    expect(out.SubjectFromWebIdentityToken).toBe('sandbox-poweruser:alice@example.com');
    expect(out.Audience).toBe('sts.amazonaws.com');
    expect(out.Provider).toBe(issuer.url);
    expect(out.SourceIdentity).toBe('alice@example.com');
    const packed = 'entitlementsandbox-poweruserprincipalalice@example.com'.length;
    expect(out.PackedPolicySize).toBe(Math.ceil((100 * packed) / 2048));
    expect(sts.session(out.Credentials?.AccessKeyId ?? '')).toEqual({
      arn: 'arn:aws:sts::111111111111:assumed-role/hallpass-sandbox-poweruser/alice',
      roleArn: POWERUSER,
      expiration: new Date(frozenAt + 28800_000),
      tags: { entitlement: 'sandbox-poweruser', principal: 'alice@example.com' },
      transitiveTagKeys: ['principal'],
      sourceIdentity: 'alice@example.com',
      chained: false,
      via: 'AssumeRoleWithWebIdentity',
    });

    clock.reset();
    const keys = keysOf(out);
    const me = await client(sts.url, keys).send(new GetCallerIdentityCommand({}));
    expect(me.Arn).toBe(out.AssumedRoleUser?.Arn);
  });

  it('defaults to one hour and leaves out what the token did not ask for', async () => {
    const frozenAt = clock.freeze();
    const out = await assumeWithToken();
    expect(out.Credentials?.Expiration).toEqual(new Date(frozenAt + 3600_000));
    expect(out.PackedPolicySize).toBeUndefined();
    expect(out.SourceIdentity).toBeUndefined();
    expect(sts.session(out.Credentials?.AccessKeyId ?? '')).toMatchObject({
      tags: {},
      transitiveTagKeys: [],
    });
  });

  it('lets its sessions expire as issued', async () => {
    const keys = keysOf(await assumeWithToken({ DurationSeconds: 900 }));
    clock.offsetMs = 901_000;
    const result = await failure(
      client(sts.url, keys, { systemClockOffset: 901_000 }).send(new GetCallerIdentityCommand({})),
    );
    expect(result.code).toBe('ExpiredToken');
  });

  it('accepts a signed request too', async () => {
    let authorization: string | undefined;
    const sdk = signing(VEND);
    sdk.middlewareStack.add(
      (next) => async (args) => {
        authorization = (args.request as { headers: Record<string, string> }).headers.authorization;
        return next(args);
      },
      { step: 'finalizeRequest', priority: 'low', name: 'seeAuthorization' },
    );
    const out = await sdk.send(webIdentity(await issuer.token(), 'signed'));
    expect(authorization).toMatch(/^AWS4-HMAC-SHA256 Credential=ASIAHALLPASSLOCALVEND\//);
    expect(out.AssumedRoleUser?.Arn).toMatch(/\/signed$/);
  });

  it('checks the signature of a signed request like any other', async () => {
    const sdk = signing({ ...VEND, secretAccessKey: 'wrong' });
    expect((await failure(sdk.send(webIdentity(await issuer.token(), 'signed')))).code).toBe(
      'SignatureDoesNotMatch',
    );
  });

  it('records AssumeRole sessions too, chained when the caller is a role session', async () => {
    const out = await assumeRole(client(sts.url, VEND), {
      Tags: [{ Key: 'team', Value: 'platform' }],
      TransitiveTagKeys: ['team'],
      SourceIdentity: 'alice',
    });
    expect(sts.session(out.Credentials?.AccessKeyId ?? '')).toMatchObject({
      roleArn: SANDBOX,
      tags: { team: 'platform' },
      transitiveTagKeys: ['team'],
      sourceIdentity: 'alice',
      chained: true,
      via: 'AssumeRole',
    });
    expect(sts.session(VEND.accessKeyId)).toBeUndefined();
    expect(sts.session('ASIANOSUCHKEY0000000')).toBeUndefined();
  });
});

describe('the token', () => {
  it('is refused when signed with a key the issuer does not publish', async () => {
    const forger = await makeKey(issuer.kids()[0]);
    const token = await issuer.token({}, { with: forger });
    expect(await failure(assumeWithToken({ WebIdentityToken: token }))).toEqual(
      invalidToken('Signature validation failed'),
    );
  });

  it('is refused once expired, with AWS wording and exception', async () => {
    const now = Math.floor(Date.now() / 1000);
    const token = await issuer.token({ iat: now - 7200, exp: now - 3600 });
    const result = await failure(assumeWithToken({ WebIdentityToken: token }));
    expect(result).toMatchObject({
      name: 'ExpiredTokenException',
      code: 'ExpiredTokenException',
      status: 400,
    });
    expect(result.message).toMatch(
      new RegExp(
        `^Token expired: current date/time \\d+ must be before the expiration date/time ${now - 3600}$`,
      ),
    );
  });

  it('is still accepted within IAM five minutes of clock skew past its expiry', async () => {
    const now = Math.floor(Date.now() / 1000);
    const token = await issuer.token({ iat: now - 600, exp: now - 60 });
    expect((await assumeWithToken({ WebIdentityToken: token })).AssumedRoleUser?.Arn).toBeDefined();
  });

  it('is refused for an audience the provider does not list', async () => {
    const token = await issuer.token({ aud: 'someone-else' });
    expect(await failure(assumeWithToken({ WebIdentityToken: token }))).toEqual(
      invalidToken('Incorrect token audience'),
    );
  });

  it('is refused from an issuer that is no OIDC provider of the account', async () => {
    const token = await issuer.token({ iss: 'https://elsewhere.example.com' });
    expect(await failure(assumeWithToken({ WebIdentityToken: token }))).toEqual(
      invalidToken('No OpenIDConnect provider found in your account for https://elsewhere.example.com'),
    );
    // The right issuer, but the role's account registers no provider for it.
    expect(await failure(assumeWithToken({ RoleArn: ELSEWHERE }))).toEqual(
      invalidToken(`No OpenIDConnect provider found in your account for ${issuer.url}`),
    );
  });

  it('is refused with IDPCommunicationError when its issuer cannot be reached', async () => {
    const token = await issuer.token({ iss: down });
    expect(await failure(assumeWithToken({ WebIdentityToken: token }))).toMatchObject({
      name: 'IDPCommunicationErrorException',
      code: 'IDPCommunicationError',
      status: 400,
    });
  });

  it('is refused when it is not a JWT', async () => {
    expect(await failure(assumeWithToken({ WebIdentityToken: 'not-a-jwt' }))).toEqual(
      invalidToken(
        'The ID Token provided is not a valid JWT. (You may see this error if you sent an Access Token)',
      ),
    );
  });

  it('verifies with a key the issuer published after its key set was cached', async () => {
    await assumeWithToken();
    const before = issuer.jwksFetches();
    await issuer.rotate();
    const out = await assumeWithToken({ WebIdentityToken: await issuer.token() });
    expect(out.AssumedRoleUser?.Arn).toBeDefined();
    expect(issuer.jwksFetches()).toBe(before + 1);
    // And the cache serves the new key from then on.
    await assumeWithToken();
    expect(issuer.jwksFetches()).toBe(before + 1);
  });
});

describe("the role's federated trust", () => {
  it('refuses a subject the trust does not match', async () => {
    const token = await issuer.token({ sub: 'prod-admin:alice@example.com' });
    expect(await failure(assumeWithToken({ WebIdentityToken: token }))).toEqual(DENIED);
  });

  it('refuses an audience the provider lists but the trust does not name', async () => {
    const token = await issuer.token({ aud: 'other-client' });
    expect(await failure(assumeWithToken({ WebIdentityToken: token }))).toEqual(DENIED);
  });

  it('refuses for a role without federated trust', async () => {
    expect(await failure(assumeWithToken({ RoleArn: SANDBOX }))).toEqual(DENIED);
  });

  it('refuses for a role that does not exist', async () => {
    const role = 'arn:aws:iam::111111111111:role/no-such-role';
    expect(await failure(assumeWithToken({ RoleArn: role }))).toEqual(DENIED);
  });
});

describe('the session limits', () => {
  it("refuses a duration above the role's maximum, as AWS words it", async () => {
    expect(await failure(assumeWithToken({ RoleArn: SHORT, DurationSeconds: 3601 }))).toEqual(
      validationError('The requested DurationSeconds exceeds the MaxSessionDuration set for this role.'),
    );
  });

  it('refuses a duration above 12 hours as a model violation', async () => {
    expect(await failure(assumeWithToken({ DurationSeconds: 43201 }))).toEqual(
      violation('43201', 'durationSeconds', 'have value less than or equal to 43200'),
    );
  });

  it('holds token tags to the AssumeRole rules', async () => {
    const token = await issuer.token({ [TAGS]: { principal_tags: { 'aws:team': ['x'] } } });
    expect(await failure(assumeWithToken({ WebIdentityToken: token }))).toEqual(
      validationError("Tag keys cannot start with the reserved prefix 'aws:'."),
    );
    const transitive = await issuer.token({ [TAGS]: { principal_tags: {}, transitive_tag_keys: ['team'] } });
    expect(await failure(assumeWithToken({ WebIdentityToken: transitive }))).toEqual(
      validationError('The specified transitive tag key must be included in the requested tags.'),
    );
  });

  it('holds the source identity claim to the AssumeRole rules', async () => {
    const token = await issuer.token({ [SOURCE_IDENTITY]: 'a b' });
    expect(await failure(assumeWithToken({ WebIdentityToken: token }))).toEqual(
      violation('a b', 'sourceIdentity', 'satisfy regular expression pattern: [\\w+=,.@-]*'),
    );
  });

  it('counts the token tags in the packed size with the session policy', async () => {
    const policy = policyOfLength(2000);
    const token = await issuer.token({ [TAGS]: { principal_tags: { team: ['x'.repeat(100)] } } });
    expect(await failure(assumeWithToken({ WebIdentityToken: token, Policy: policy }))).toMatchObject({
      name: 'PackedPolicyTooLargeException',
      code: 'PackedPolicyTooLarge',
    });
    expect((await assumeWithToken({ Policy: policy })).PackedPolicySize).toBe(Math.ceil((100 * 2000) / 2048));
  });

  it('validates the token length with the model', async () => {
    expect(await failure(assumeWithToken({ WebIdentityToken: 'abc' }))).toEqual(
      violation('abc', 'webIdentityToken', 'have length greater than or equal to 4'),
    );
  });
});

describe('setFault', () => {
  it('fails AssumeRoleWithWebIdentity on demand', async () => {
    sts.setFault({ action: 'AssumeRoleWithWebIdentity', code: 'Throttling', times: 1 });
    expect((await failure(assumeWithToken())).name).toBe('Throttling');
    expect((await assumeWithToken()).AssumedRoleUser).toBeDefined();
  });
});

describe('through the AWS CLI', () => {
  const cli = async (token: string, extra: string[] = []) =>
    // Credentials in the environment do not matter: the CLI sends this action unsigned.
    awsCli(sts.url, STRANGER, [
      'sts',
      'assume-role-with-web-identity',
      '--role-arn',
      POWERUSER,
      '--role-session-name',
      'cli',
      '--web-identity-token',
      token,
      ...extra,
    ]);

  it('issues an 8-hour session whose credentials work', CLI_TIMEOUT, async () => {
    const token = await issuer.token({ sub: 'sandbox-poweruser:bob' });
    const { ok, stdout, stderr } = await cli(token, ['--duration-seconds', '28800']);
    expect(stderr).toBe('');
    expect(ok).toBe(true);
    const out = JSON.parse(stdout);
    expect(out.SubjectFromWebIdentityToken).toBe('sandbox-poweruser:bob');
    expect(out.Provider).toBe(issuer.url);
    const expires = Date.parse(out.Credentials.Expiration);
    expect(expires - Date.now()).toBeGreaterThan(28800_000 - 60_000);
    const keys: Keys = {
      accessKeyId: out.Credentials.AccessKeyId,
      secretAccessKey: out.Credentials.SecretAccessKey,
      sessionToken: out.Credentials.SessionToken,
    };
    const me = await awsCli(sts.url, keys);
    expect(JSON.parse(me.stdout).Arn).toBe(
      'arn:aws:sts::111111111111:assumed-role/hallpass-sandbox-poweruser/cli',
    );
  });

  it('reports an expired token by its AWS error code', CLI_TIMEOUT, async () => {
    const now = Math.floor(Date.now() / 1000);
    const { ok, stderr } = await cli(await issuer.token({ iat: now - 7200, exp: now - 3600 }));
    expect(ok).toBe(false);
    expect(stderr).toContain('(ExpiredTokenException) when calling the AssumeRoleWithWebIdentity operation');
  });
});

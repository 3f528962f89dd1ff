import { GetCallerIdentityCommand } from '@aws-sdk/client-sts';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type LocalSts, startLocalSts } from '../../local/sts/server.ts';
import {
  assumeRole,
  awsCli,
  CLI_TIMEOUT,
  client,
  failure,
  type Keys,
  keysOf,
  TEST_CONFIG,
  TestClock,
  VEND,
} from './helpers.ts';

const clock = new TestClock();
let sts: LocalSts;
let issued: Keys;
let expired: Keys;

const SIXTEEN_MINUTES = 16 * 60_000;

beforeAll(async () => {
  sts = await startLocalSts({ port: 0, config: TEST_CONFIG, now: clock.now });
  issued = keysOf(await assumeRole(client(sts.url, VEND)));
  // A 15-minute session minted 1000 s ago by the server's clock has expired 100 s ago. The minting
  // client signs with the same shifted clock, or the server would refuse its signature as stale.
  clock.offsetMs = -1000_000;
  expired = keysOf(
    await assumeRole(client(sts.url, VEND, { systemClockOffset: -1000_000 }), { DurationSeconds: 900 }),
  );
  clock.reset();
});
afterAll(() => sts.close());
afterEach(() => clock.reset());

/** An SDK client whose requests are changed after the SDK has signed them, as an attacker in the middle would. */
function alteredAfterSigning(change: (request: { headers: Record<string, string>; body?: unknown }) => void) {
  const sdk = client(sts.url, VEND);
  sdk.middlewareStack.add(
    (next) => async (args) => {
      change(args.request as { headers: Record<string, string>; body?: unknown });
      return next(args);
    },
    // The signer sits early in this step; a low-priority entry runs after it.
    { step: 'finalizeRequest', priority: 'low', name: 'alterAfterSigning' },
  );
  return sdk;
}

const whoAmI = (keys: Keys, config = {}) =>
  client(sts.url, keys, config).send(new GetCallerIdentityCommand({}));

const INVALID_TOKEN = {
  name: 'InvalidClientTokenId',
  code: 'InvalidClientTokenId',
  message: 'The security token included in the request is invalid.',
  status: 403,
};

describe('request authentication (SigV4)', () => {
  it('accepts a request signed for any region', async () => {
    const out = await whoAmI(issued, { region: 'ap-southeast-2' });
    expect(out.Arn).toBe('arn:aws:sts::111111111111:assumed-role/hallpass-sandbox-readonly/alice');
  });

  it('refuses a request signed with the wrong secret with SignatureDoesNotMatch', async () => {
    expect(await failure(whoAmI({ ...issued, secretAccessKey: `${issued.secretAccessKey}x` }))).toEqual({
      name: 'SignatureDoesNotMatch',
      code: 'SignatureDoesNotMatch',
      message:
        'The request signature we calculated does not match the signature you provided. Check your AWS Secret ' +
        'Access Key and signing method. Consult the service documentation for details.',
      status: 403,
    });
  });

  it('refuses a body altered after signing with SignatureDoesNotMatch', async () => {
    // The signature covers RoleSessionName=alice; the server receives mallo.
    const sdk = alteredAfterSigning((request) => {
      if (typeof request.body === 'string') request.body = request.body.replace('=alice', '=mallo');
    });
    expect((await failure(assumeRole(sdk))).name).toBe('SignatureDoesNotMatch');
  });

  it('refuses an Authorization header without its Signature with IncompleteSignature', async () => {
    const sdk = alteredAfterSigning((request) => {
      request.headers.authorization = String(request.headers.authorization).replace(/, Signature=\w+/, '');
    });
    expect(await failure(assumeRole(sdk))).toEqual({
      name: 'IncompleteSignature',
      code: 'IncompleteSignature',
      message: "Authorization header requires 'Signature' parameter.",
      status: 400,
    });
  });

  it('refuses a signature scoped to another service with SignatureDoesNotMatch', async () => {
    const sdk = alteredAfterSigning((request) => {
      request.headers.authorization = String(request.headers.authorization).replace('/sts/', '/iam/');
    });
    expect(await failure(assumeRole(sdk))).toMatchObject({
      name: 'SignatureDoesNotMatch',
      message: "Credential should be scoped to correct service: 'sts'. ",
    });
  });

  it('refuses a session key with the wrong session token with InvalidClientTokenId', async () => {
    expect(await failure(whoAmI({ ...issued, sessionToken: `${issued.sessionToken}x` }))).toEqual(
      INVALID_TOKEN,
    );
  });

  it('refuses a session key sent without its session token with InvalidClientTokenId', async () => {
    expect(await failure(whoAmI({ ...issued, sessionToken: undefined }))).toEqual(INVALID_TOKEN);
  });

  it('refuses an access key it never issued with InvalidClientTokenId', async () => {
    const unknown = {
      accessKeyId: 'ASIAUNKNOWNUNKNOWN01',
      secretAccessKey: 's'.repeat(40),
      sessionToken: 't',
    };
    expect(await failure(whoAmI(unknown))).toEqual(INVALID_TOKEN);
  });

  it('refuses a session past its expiration with ExpiredToken', async () => {
    expect(await failure(whoAmI(expired))).toEqual({
      name: 'ExpiredToken',
      code: 'ExpiredToken',
      message: 'The security token included in the request is expired',
      status: 400,
    });
  });

  it('refuses a request signed more than 15 minutes ago with SignatureDoesNotMatch (Signature expired)', async () => {
    const result = await failure(whoAmI(issued, { systemClockOffset: -SIXTEEN_MINUTES }));
    expect(result.name).toBe('SignatureDoesNotMatch');
    expect(result.message).toMatch(
      /^Signature expired: \d{8}T\d{6}Z is now earlier than \d{8}T\d{6}Z \(\d{8}T\d{6}Z - 15 min\.\)$/,
    );
  });

  it('refuses a request signed more than 15 minutes ahead with SignatureDoesNotMatch (not yet current)', async () => {
    const result = await failure(whoAmI(issued, { systemClockOffset: SIXTEEN_MINUTES }));
    expect(result.name).toBe('SignatureDoesNotMatch');
    expect(result.message).toMatch(/^Signature not yet current: \d{8}T\d{6}Z is still later than/);
  });

  it('judges the signing time by its own clock, which a retrying SDK learns from the Date header', async () => {
    clock.offsetMs = -20 * 60_000;
    const out = await whoAmI(issued, { maxAttempts: 2 });
    expect(out.Account).toBe('111111111111');
  });

  it('answers a request without an Authorization header with MissingAuthenticationToken', async () => {
    const get = await fetch(`${sts.url}/?Action=GetCallerIdentity&Version=2011-06-15`);
    const post = await fetch(sts.url, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'Action=GetCallerIdentity&Version=2011-06-15',
    });
    for (const response of [get, post]) {
      expect(response.status).toBe(403);
      expect(await response.text()).toMatch(
        /^<ErrorResponse xmlns="https:\/\/sts\.amazonaws\.com\/doc\/2011-06-15\/"><Error><Type>Sender<\/Type><Code>MissingAuthenticationToken<\/Code><Message>Request is missing Authentication Token<\/Message><\/Error><RequestId>[0-9a-f-]{36}<\/RequestId><\/ErrorResponse>$/,
      );
    }
  });

  describe('through the AWS CLI', () => {
    it('shows SignatureDoesNotMatch for a wrong secret', CLI_TIMEOUT, async () => {
      const result = await awsCli(sts.url, { ...issued, secretAccessKey: `${issued.secretAccessKey}x` });
      expect(result.ok).toBe(false);
      expect(result.stderr).toContain(
        'An error occurred (SignatureDoesNotMatch) when calling the GetCallerIdentity',
      );
    });

    it('shows InvalidClientTokenId for a wrong session token', CLI_TIMEOUT, async () => {
      const result = await awsCli(sts.url, { ...issued, sessionToken: 'not-the-token' });
      // CLI v2 adds "(reached max retries: N)" before the message; v1 does not.
      expect(result.stderr).toMatch(
        /An error occurred \(InvalidClientTokenId\) when calling the GetCallerIdentity operation( \(reached max retries: \d+\))?: The security token included in the request is invalid\./,
      );
    });

    it('shows InvalidClientTokenId for an unknown access key', CLI_TIMEOUT, async () => {
      const result = await awsCli(sts.url, {
        accessKeyId: 'AKIANOBODYNOBODY0001',
        secretAccessKey: 'x'.repeat(40),
      });
      expect(result.stderr).toContain('(InvalidClientTokenId)');
    });

    it('shows ExpiredToken for an expired session', CLI_TIMEOUT, async () => {
      const result = await awsCli(sts.url, expired);
      expect(result.stderr).toMatch(
        /An error occurred \(ExpiredToken\) when calling the GetCallerIdentity operation( \(reached max retries: \d+\))?: The security token included in the request is expired/,
      );
    });
  });
});

import { GetCallerIdentityCommand, GetSessionTokenCommand } from '@aws-sdk/client-sts';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type LocalSts, startLocalSts } from '../../local/sts/server.ts';
import { assumeRole, client, failure, TEST_CONFIG, VEND } from './helpers.ts';

let sts: LocalSts;

beforeAll(async () => {
  sts = await startLocalSts({ port: 0, config: TEST_CONFIG });
});
afterAll(() => sts.close());
afterEach(() => sts.setFault(null));

const whoAmI = () => client(sts.url, VEND).send(new GetCallerIdentityCommand({}));

describe('the STS Query protocol', () => {
  it('answers an action it does not implement with InvalidAction', async () => {
    const sdk = client(sts.url, VEND);
    expect(await failure(sdk.send(new GetSessionTokenCommand({})))).toEqual({
      name: 'InvalidAction',
      code: 'InvalidAction',
      message: 'Could not find operation GetSessionToken for version 2011-06-15',
      status: 400,
    });
  });

  it('accepts a signed GET with the parameters in the query string, as AWS does', async () => {
    const sdk = client(sts.url, VEND);
    // Moves the SDK's form body into the query string before the SDK signs the request.
    sdk.middlewareStack.add(
      (next) => async (args) => {
        const request = args.request as {
          method: string;
          body?: unknown;
          query: Record<string, string>;
          headers: Record<string, string>;
        };
        request.query = Object.fromEntries(new URLSearchParams(String(request.body)));
        request.method = 'GET';
        request.body = undefined;
        delete request.headers['content-type'];
        delete request.headers['content-length'];
        return next(args);
      },
      { step: 'build', name: 'queryStringRequest' },
    );
    const out = await assumeRole(sdk, { RoleSessionName: 'via-get', Tags: [{ Key: 'team', Value: 'a b' }] });
    expect(out.AssumedRoleUser?.Arn).toBe(
      'arn:aws:sts::111111111111:assumed-role/hallpass-sandbox-readonly/via-get',
    );
  });

  it('escapes XML special characters in what it echoes back', async () => {
    // Legal: a role path may hold any printable ASCII character.
    const role = `arn:aws:iam::111111111111:role/<a&b>"'/x`;
    const result = await failure(assumeRole(client(sts.url, VEND), { RoleArn: role }));
    expect(result.code).toBe('AccessDenied');
    expect(result.message).toContain(`on resource: ${role}`);
  });
});

describe('setFault', () => {
  it('fails with Throttling, which the SDK surfaces by name', async () => {
    sts.setFault({ code: 'Throttling' });
    expect(await failure(whoAmI())).toEqual({
      name: 'Throttling',
      code: 'Throttling',
      message: 'Rate exceeded',
      status: 400,
    });
  });

  it('fails only the given number of times, then answers normally', async () => {
    sts.setFault({ code: 'Throttling', times: 1 });
    expect((await failure(whoAmI())).name).toBe('Throttling');
    expect((await whoAmI()).Account).toBe('000000000000');
  });

  it('fails only the given action', async () => {
    sts.setFault({ action: 'AssumeRole', code: 'AccessDenied' });
    expect((await whoAmI()).Account).toBe('000000000000');
    expect(await failure(assumeRole(client(sts.url, VEND)))).toMatchObject({
      name: 'AccessDenied',
      message: expect.stringMatching(/is not authorized to perform: sts:AssumeRole$/),
      status: 403,
    });
  });

  it('fails with RegionDisabledException', async () => {
    sts.setFault({ code: 'RegionDisabledException' });
    expect(await failure(whoAmI())).toMatchObject({
      name: 'RegionDisabledException',
      message: expect.stringContaining('STS is not activated in this region for account:000000000000.'),
      status: 403,
    });
  });

  it('still answers correctly when told to delay its answers', async () => {
    sts.setFault({ delayMs: 20 });
    expect((await whoAmI()).Account).toBe('000000000000');
  });

  it('answers normally again once the fault is cleared', async () => {
    sts.setFault({ code: 'Throttling' });
    sts.setFault(null);
    expect((await whoAmI()).Account).toBe('000000000000');
  });
});

describe('the log option', () => {
  it('gets one line per request, with the access key id but never a secret or session token', async () => {
    const lines: string[] = [];
    const logged = await startLocalSts({ config: TEST_CONFIG, log: (line) => lines.push(line) });
    try {
      const out = await assumeRole(client(logged.url, VEND));
      await failure(
        client(logged.url, { ...VEND, secretAccessKey: 'wrong' }).send(new GetCallerIdentityCommand({})),
      );
      expect(lines).toEqual([
        'POST AssumeRole ASIAHALLPASSLOCALVEND -> 200 OK',
        'POST GetCallerIdentity ASIAHALLPASSLOCALVEND -> 403 SignatureDoesNotMatch',
      ]);
      const secrets = [VEND.secretAccessKey, VEND.sessionToken, out.Credentials?.SecretAccessKey];
      for (const secret of secrets) expect(lines.join('\n')).not.toContain(secret);
    } finally {
      await logged.close();
    }
  });
});

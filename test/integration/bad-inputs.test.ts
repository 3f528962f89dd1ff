/**
 * SECURITY.md's bad-input table, rows 1-18 as they apply to the vend path: each gets its stated
 * status and a JSON error with a stable code, calls no STS and changes no DynamoDB item.
 */
import { createPrivateKey, createPublicKey, generateKeyPairSync } from 'node:crypto';
import { exportJWK, SignJWT } from 'jose';
import { afterEach, beforeAll, beforeEach, describe, expect, inject, it } from 'vitest';
import type { LocalSts } from '../../local/sts/server.ts';
import { type Answer, type Call, invoke } from '../support/api.ts';
import { useLocalSts } from '../support/local-sts.ts';
import { AUDIENCE } from '../support/stack-info.ts';
import { snapshot, useIsolatedTables } from '../support/tables.ts';
import { tokenFor } from '../support/tokens.ts';

type Handler = Parameters<typeof invoke>[0];
let vend: Handler;
let sts: LocalSts;
let engineer: string;
let before: { items: string; keys: number };

beforeAll(async () => {
  sts = await useLocalSts();
  await useIsolatedTables();
  vend = (await import('../../functions/credentials.ts')).handler as unknown as Handler;
  engineer = await tokenFor('erin', { groups: ['engineers'] });
});

beforeEach(async () => {
  before = { items: await snapshot(), keys: sts.issuedAccessKeyIds().length };
});

// Every refusal: nothing issued by STS, nothing written to DynamoDB.
afterEach(async () => {
  expect(sts.issuedAccessKeyIds()).toHaveLength(before.keys);
  expect(await snapshot()).toBe(before.items);
});

function expectError(answer: Answer, status: number, code: string) {
  expect(answer.status).toBe(status);
  expect(answer.headers['content-type']).toBe('application/json');
  expect(answer.body.error.code).toBe(code);
  expect(typeof answer.body.error.message).toBe('string');
  expect(answer.body.error.requestId).toBe(answer.headers['x-request-id']);
  expect(answer.raw).not.toMatch(/\bat .+\.(ts|js|mjs):\d+/); // no stack trace
}

const vendCall = (call: Partial<Call>): Promise<Answer> =>
  invoke(vend, { path: '/v1/credentials', body: { entitlementId: 'sandbox-readonly' }, ...call });

const b64url = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
const claims = () => {
  const now = Math.floor(Date.now() / 1000);
  return {
    iss: inject('stack').issuer,
    aud: AUDIENCE,
    sub: 'mallory',
    groups: ['engineers'],
    iat: now,
    exp: now + 600,
  };
};

describe('authentication (rows 1-7)', () => {
  it('row 1: refuses a request without an Authorization header', async () => {
    const answer = await vendCall({});
    expectError(answer, 401, 'unauthenticated');
    expect(answer.headers['www-authenticate']).toBe('Bearer error="invalid_token"');
  });

  it('row 2: refuses a Basic scheme', async () => {
    const answer = await vendCall({
      headers: { authorization: `Basic ${Buffer.from('a:b').toString('base64')}` },
    });
    expectError(answer, 401, 'unauthenticated');
  });

  it('row 3: refuses an alg:none token', async () => {
    const token = `${b64url({ alg: 'none', typ: 'JWT' })}.${b64url(claims())}.`;
    expectError(await vendCall({ token }), 401, 'unauthenticated');
    expectError(await vendCall({ token: `${token}AAAA` }), 401, 'unauthenticated');
  });

  it('row 4: refuses an HS256 token keyed with the issuer public key (key confusion)', async () => {
    const publicPem = createPublicKey({
      key: inject('stack').issuerKey.publicJwk as never,
      format: 'jwk',
    }).export({
      type: 'spki',
      format: 'pem',
    });
    const token = await new SignJWT(claims())
      .setProtectedHeader({ alg: 'HS256', kid: inject('stack').issuerKey.publicJwk.kid as string })
      .sign(new TextEncoder().encode(publicPem as string));
    expectError(await vendCall({ token }), 401, 'unauthenticated');
  });

  it('row 5: refuses a token expired beyond the 60 s tolerance', async () => {
    const token = await tokenFor('erin', { groups: ['engineers'], expiresIn: -120 });
    expectError(await vendCall({ token }), 401, 'unauthenticated');
  });

  it('row 6: refuses a token for another audience', async () => {
    const token = await tokenFor('erin', { groups: ['engineers'], audience: 'someone-else' });
    expectError(await vendCall({ token }), 401, 'unauthenticated');
  });

  it('refuses a token signed by a key outside the JWKS, even with a known kid', async () => {
    const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const token = await new SignJWT(claims())
      .setProtectedHeader({ alg: 'RS256', kid: inject('stack').issuerKey.publicJwk.kid as string })
      .sign(createPrivateKey(privateKey.export({ type: 'pkcs8', format: 'pem' })));
    expectError(await vendCall({ token }), 401, 'unauthenticated');
  });

  it('refuses a token that names its own key (jwk header), without trusting it', async () => {
    const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const token = await new SignJWT(claims())
      .setProtectedHeader({ alg: 'RS256', jwk: await exportJWK(publicKey) })
      .sign(privateKey);
    expectError(await vendCall({ token }), 401, 'unauthenticated');
  });

  it('refuses a tampered payload', async () => {
    const [header, , signature] = engineer.split('.');
    const token = `${header}.${b64url({ ...claims(), groups: ['engineers', 'oncall'] })}.${signature}`;
    expectError(await vendCall({ token }), 401, 'unauthenticated');
  });

  it('refuses a token from another issuer and a token without exp', async () => {
    const key = createPrivateKey({ key: inject('stack').issuerKey.privateJwk as never, format: 'jwk' });
    const kid = inject('stack').issuerKey.publicJwk.kid as string;
    const otherIssuer = await new SignJWT({ ...claims(), iss: 'https://evil.example.com' })
      .setProtectedHeader({ alg: 'RS256', kid })
      .sign(key);
    const { exp: _exp, ...withoutExp } = claims();
    const noExp = await new SignJWT(withoutExp).setProtectedHeader({ alg: 'RS256', kid }).sign(key);
    expectError(await vendCall({ token: otherIssuer }), 401, 'unauthenticated');
    expectError(await vendCall({ token: noExp }), 401, 'unauthenticated');
  });

  it('refuses a token over 8 KiB and two Authorization headers', async () => {
    const big = await tokenFor('erin', { groups: ['engineers'], claims: { padding: 'x'.repeat(9000) } });
    expectError(await vendCall({ token: big }), 401, 'unauthenticated');
    // API Gateway joins repeated headers with a comma.
    expectError(
      await vendCall({ headers: { authorization: `Bearer ${engineer},Bearer ${engineer}` } }),
      401,
      'unauthenticated',
    );
  });
});

describe('bodies (rows 8-12)', () => {
  it('row 8: refuses a text/plain body with 415', async () => {
    const answer = await vendCall({
      token: engineer,
      rawBody: '{"entitlementId":"sandbox-readonly"}',
      headers: { 'content-type': 'text/plain' },
    });
    expectError(answer, 415, 'unsupported_media_type');
  });

  it('row 9: refuses a 1 MiB body with 413', async () => {
    const rawBody = JSON.stringify({ entitlementId: 'sandbox-readonly', pad: 'x'.repeat(1024 * 1024) });
    const answer = await vendCall({
      token: engineer,
      rawBody,
      headers: { 'content-type': 'application/json' },
    });
    expectError(answer, 413, 'payload_too_large');
  });

  it('row 10: refuses malformed JSON with 400', async () => {
    const answer = await vendCall({
      token: engineer,
      rawBody: '{"entitlementId": "sandbox-readonly"',
      headers: { 'content-type': 'application/json' },
    });
    expectError(answer, 400, 'invalid_request');
  });

  it.each([
    ['tags', { team: 'admins' }],
    ['sourceIdentity', 'admin'],
    ['roleArn', 'arn:aws:iam::222222222222:role/hallpass-prod-admin'],
    ['sessionName', 'admin'],
    ['sessionPolicy', '{}'],
    ['externalId', 'x'],
  ])('row 11: refuses a body naming %s, saying which field', async (field, value) => {
    const answer = await vendCall({
      token: engineer,
      body: { entitlementId: 'sandbox-readonly', [field]: value },
    });
    expectError(answer, 400, 'invalid_request');
    expect(answer.body.error.details).toContainEqual({ path: field, message: 'unknown field' });
  });

  it.each(['__proto__', 'constructor'])('row 12: refuses a body with a %s key', async (key) => {
    const rawBody = `{"entitlementId":"sandbox-readonly","${key}":{"isAdmin":true}}`;
    const answer = await vendCall({
      token: engineer,
      rawBody,
      headers: { 'content-type': 'application/json' },
    });
    expectError(answer, 400, 'invalid_request');
  });

  it('refuses an empty body and a non-object body', async () => {
    expectError(await vendCall({ token: engineer, body: undefined, method: 'POST' }), 400, 'invalid_request');
    expectError(await vendCall({ token: engineer, body: ['sandbox-readonly'] }), 400, 'invalid_request');
  });
});

describe('authorization and durations (rows 13-18)', () => {
  it('row 13: answers 404 for an unknown entitlement', async () => {
    expectError(
      await vendCall({ token: engineer, body: { entitlementId: 'no-such-thing' } }),
      404,
      'not_found',
    );
  });

  it("row 14: answers 403 for an entitlement the caller's groups may not request", async () => {
    const outsider = await tokenFor('oscar', { groups: ['marketing'] });
    expectError(await vendCall({ token: outsider }), 403, 'forbidden');
  });

  it.each([899, 43201, '3600', 1.5])('row 15: refuses durationSeconds %j', async (durationSeconds) => {
    const answer = await vendCall({
      token: engineer,
      body: { entitlementId: 'sandbox-readonly', durationSeconds },
    });
    expectError(answer, 400, 'invalid_request');
    expect(answer.body.error.details[0].path).toBe('durationSeconds');
  });

  it("row 16: refuses a duration above the entitlement's maximum, never clamping it", async () => {
    const answer = await vendCall({
      token: engineer,
      body: { entitlementId: 'sandbox-readonly', durationSeconds: 3601 },
    });
    expectError(answer, 400, 'invalid_request');
    expect(answer.body.error.details).toEqual([
      { path: 'durationSeconds', message: 'must be at most 3600 seconds' },
    ]);
  });

  it('row 17: answers 403 approval_required for an entitlement that needs approval', async () => {
    expectError(
      await vendCall({ token: engineer, body: { entitlementId: 'prod-admin' } }),
      403,
      'approval_required',
    );
  });

  it('row 18: answers 404 for a request id that is not one of the caller approved requests', async () => {
    const answer = await vendCall({
      token: engineer,
      body: { entitlementId: 'prod-admin', requestId: 'someone-elses' },
    });
    expectError(answer, 404, 'not_found');
  });

  it('row 23: refuses a 5-character break-glass justification with 400', async () => {
    const oncall = await tokenFor('olive', { groups: ['oncall'] });
    const answer = await vendCall({
      token: oncall,
      body: { entitlementId: 'prod-admin', breakGlass: { justification: 'oops!' } },
    });
    expectError(answer, 400, 'invalid_request');
    expect(answer.body.error.details[0].path).toBe('breakGlass.justification');
  });
});

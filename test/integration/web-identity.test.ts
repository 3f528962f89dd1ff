/**
 * Web-identity issuance and the console sign-in, end to end through the real SDK clients: the vend
 * function signs its token with the local KMS, the local STS fetches hallpass's discovery document and
 * JWKS over HTTP (the test stack serves them from the real handlers), verifies the token and applies
 * its tags and SourceIdentity; the console function then exchanges the session at a local federation
 * endpoint that honours only what this STS issued.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { GetItemCommand } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { fromItem } from '../../lib/adapters/dynamo-item.ts';
import { type LocalFederation, startLocalFederation } from '../../local/federation/server.ts';
import type { LocalSts } from '../../local/sts/server.ts';
import { type Answer, invoke } from '../support/api.ts';
import { AWS_CLI } from '../support/aws-cli.ts';
import { useLocalSts } from '../support/local-sts.ts';
import { allItems, dynamodb, snapshot, useIsolatedTables } from '../support/tables.ts';
import { tokenFor } from '../support/tokens.ts';

type Handler = Parameters<typeof invoke>[0];
let vend: Handler;
let consoleRoute: Handler;
let createRequest: Handler;
let approve: Handler;
let sts: LocalSts;
let federation: LocalFederation;
const federationLog: string[] = [];
const logged: string[] = [];

beforeAll(async () => {
  sts = await useLocalSts();
  await useIsolatedTables();
  federation = await startLocalFederation({
    stsUrl: sts.url,
    session: (id) => sts.session(id),
    log: (line) => federationLog.push(line),
  });
  process.env.HALLPASS_FEDERATION_URL = federation.url;
  // Every line the functions print (logs, and EMF on stdout), to check that no secret reaches them.
  for (const stream of ['log', 'info', 'warn', 'error'] as const) {
    vi.spyOn(console, stream).mockImplementation(
      (...args: unknown[]) => void logged.push(args.map(String).join(' ')),
    );
  }
  const write = process.stdout.write.bind(process.stdout);
  process.stdout.write = ((chunk: string | Uint8Array, ...rest: unknown[]) => {
    logged.push(String(chunk));
    return (write as (...args: unknown[]) => boolean)(chunk, ...rest);
  }) as typeof process.stdout.write;
  vend = (await import('../../functions/credentials.ts')).handler as unknown as Handler;
  consoleRoute = (await import('../../functions/console.ts')).handler as unknown as Handler;
  createRequest = (await import('../../functions/requests-create.ts')).handler as unknown as Handler;
  approve = (await import('../../functions/requests-approve.ts')).handler as unknown as Handler;
  return async () => {
    process.stdout.write = write;
    await federation.close();
  };
});
afterAll(() => vi.restoreAllMocks());

async function as(sub: string, groups = ['engineers']): Promise<string> {
  return tokenFor(sub, { groups, name: `${sub} name` });
}

async function auditRecord(accessKeyId: string) {
  const { Item } = await dynamodb().send(
    new GetItemCommand({
      TableName: process.env.HALLPASS_AUDIT_TABLE,
      Key: { pk: { S: `session#${accessKeyId}` } },
      ConsistentRead: true,
    }),
  );
  return Item ? fromItem(Item) : undefined;
}

describe('an 8-hour web-identity vend', () => {
  let answer: Answer;
  beforeAll(async () => {
    answer = await invoke(vend, {
      path: '/v1/credentials',
      token: await as('alice'),
      body: { entitlementId: 'sandbox-poweruser', durationSeconds: 28800 },
    });
  });

  it('returns credentials for 8 hours, issued by AssumeRoleWithWebIdentity', () => {
    expect(answer.status).toBe(200);
    expect(answer.headers['cache-control']).toBe('no-store');
    const seconds =
      (Date.parse(answer.body.credentials.expiration) - Date.parse(answer.body.session.issuedAt)) / 1000;
    // STS counts from its own clock when the call arrives: seconds after issuedAt on a loaded machine.
    expect(seconds).toBeGreaterThanOrEqual(28799);
    expect(seconds).toBeLessThanOrEqual(28810);
    expect(answer.body.session).toMatchObject({
      entitlementId: 'sandbox-poweruser',
      issuance: 'web-identity',
      roleArn: 'arn:aws:iam::111111111111:role/hallpass-sandbox-poweruser',
      sourceIdentity: 'alice',
      durationSeconds: 28800,
    });
  });

  it('gets the session tags and SourceIdentity into STS through the token', () => {
    const recorded = sts.session(answer.body.credentials.accessKeyId);
    expect(recorded).toMatchObject({
      via: 'AssumeRoleWithWebIdentity',
      chained: false,
      roleArn: 'arn:aws:iam::111111111111:role/hallpass-sandbox-poweruser',
      sourceIdentity: 'alice',
      transitiveTagKeys: ['hallpass:principal'],
    });
    expect(recorded?.tags).toEqual(answer.body.session.tags);
    expect(recorded?.tags).toMatchObject({
      environment: 'sandbox',
      'hallpass:principal': 'alice',
      'hallpass:session-id': answer.body.session.id,
    });
  });

  it('writes the audit record, keyed by the AccessKeyId, exactly as the answer describes it', async () => {
    const record = await auditRecord(answer.body.credentials.accessKeyId);
    expect(record?.record).toEqual(answer.body.session);
  });

  it('gives credentials the AWS CLI can use', async () => {
    const { credentials } = answer.body;
    const { stdout } = await promisify(execFile)(
      AWS_CLI,
      ['sts', 'get-caller-identity', '--endpoint-url', sts.url, '--output', 'json'],
      {
        env: {
          PATH: process.env.PATH ?? '',
          AWS_ACCESS_KEY_ID: credentials.accessKeyId,
          AWS_SECRET_ACCESS_KEY: credentials.secretAccessKey,
          AWS_SESSION_TOKEN: credentials.sessionToken,
          AWS_DEFAULT_REGION: 'us-east-1',
          AWS_CONFIG_FILE: '/dev/null',
          AWS_SHARED_CREDENTIALS_FILE: '/dev/null',
        },
      },
    );
    expect(JSON.parse(stdout).Arn).toBe(answer.body.session.assumedRoleArn);
    expect(answer.body.session.assumedRoleArn).toMatch(
      /^arn:aws:sts::111111111111:assumed-role\/hallpass-sandbox-poweruser\//,
    );
  });
});

describe('web-identity refusals', () => {
  it('refuses more than the entitlement allows, writing nothing', async () => {
    const before = await snapshot();
    const answer = await invoke(vend, {
      path: '/v1/credentials',
      token: await as('alice'),
      body: { entitlementId: 'sandbox-poweruser', durationSeconds: 43201 },
    });
    expect(answer.status).toBe(400);
    expect(await snapshot()).toBe(before);
  });

  it('a token made for one entitlement opens no other role (STS refuses the sub); the use is recorded as unissued, not given back', async () => {
    const bob = await as('bob');
    const created = await invoke(createRequest, {
      path: '/v1/requests',
      token: bob,
      body: { entitlementId: 'poweruser-unbound', justification: 'checking the trust binding' },
    });
    expect(created.status).toBe(201);
    const decided = await invoke(approve, {
      path: `/v1/requests/${created.body.id}/approve`,
      pathParameters: { id: created.body.id },
      token: await as('carol', ['approvers']),
      body: {},
    });
    expect(decided.body.status).toBe('approved');

    const issuedBefore = sts.issuedAccessKeyIds().length;
    const answer = await invoke(vend, {
      path: '/v1/credentials',
      token: bob,
      body: { entitlementId: 'poweruser-unbound', requestId: created.body.id },
    });
    expect(answer.status).toBe(400);
    expect(answer.body.error.code).toBe('invalid_request');
    expect(answer.body.error.message).toContain('hallpass-sandbox-poweruser');
    expect(answer.body.error.message).toContain('AssumeRoleWithWebIdentity');
    expect(sts.issuedAccessKeyIds()).toHaveLength(issuedBefore);
    const sessions = (await allItems('audit')).filter(
      (item) =>
        item.kind === 'session' && (item.record as { requestId?: string }).requestId === created.body.id,
    );
    expect(sessions).toEqual([]);
  });
});

describe('POST /v1/console', () => {
  let answer: Answer;
  beforeAll(async () => {
    answer = await invoke(consoleRoute, {
      path: '/v1/console',
      token: await as('dave'),
      body: {
        entitlementId: 'sandbox-poweruser',
        durationSeconds: 28800,
        destination: 'https://us-east-1.console.aws.amazon.com/s3/home',
      },
    });
  });

  it('answers a sign-in URL on the federation endpoint, its expiry and the session (no-store)', () => {
    expect(answer.status).toBe(200);
    expect(answer.headers['cache-control']).toBe('no-store');
    const url = new URL(answer.body.url);
    expect(`${url.origin}${url.pathname}`).toBe(federation.url);
    expect(url.searchParams.get('Action')).toBe('login');
    expect(url.searchParams.get('Destination')).toBe('https://us-east-1.console.aws.amazon.com/s3/home');
    expect(answer.body.session).toMatchObject({
      entitlementId: 'sandbox-poweruser',
      issuance: 'web-identity',
    });
    const seconds = (Date.parse(answer.body.expiresAt) - Date.parse(answer.body.session.issuedAt)) / 1000;
    expect(seconds).toBeGreaterThan(28700);
    expect(seconds).toBeLessThanOrEqual(28810);
    expect(answer.body).not.toHaveProperty('credentials');
  });

  it("opens a console page that names the session's assumed-role ARN", async () => {
    const page = await fetch(answer.body.url);
    expect(page.status).toBe(200);
    const html = await page.text();
    expect(html).toContain(answer.body.session.assumedRoleArn);
  });

  it('a tampered sign-in token is refused', async () => {
    const url = new URL(answer.body.url);
    const token = url.searchParams.get('SigninToken') ?? '';
    const flipped = token.slice(0, 10) + (token[10] === 'A' ? 'B' : 'A') + token.slice(11);
    url.searchParams.set('SigninToken', flipped);
    expect((await fetch(url)).status).toBe(400);
  });

  it('signs an assume-role (chained) session in too, its console session ending with it', async () => {
    const chained = await invoke(consoleRoute, {
      path: '/v1/console',
      token: await as('erin'),
      body: { entitlementId: 'sandbox-readonly', durationSeconds: 1800 },
    });
    expect(chained.status).toBe(200);
    expect(chained.body.expiresAt).toBe(chained.body.session.expiresAt);
    expect(new URL(chained.body.url).searchParams.get('Destination')).toBe('https://console.aws.amazon.com/');
    expect((await fetch(chained.body.url)).status).toBe(200);
  });

  it('refuses a destination off the console hosts before anything is consumed or issued', async () => {
    const before = await snapshot();
    const issuedBefore = sts.issuedAccessKeyIds().length;
    const refused = await invoke(consoleRoute, {
      path: '/v1/console',
      token: await as('dave'),
      body: {
        entitlementId: 'sandbox-poweruser',
        destination: 'https://console.aws.amazon.com.evil.example/',
      },
    });
    expect(refused.status).toBe(400);
    expect(refused.body.error.details[0].path).toBe('destination');
    expect(sts.issuedAccessKeyIds()).toHaveLength(issuedBefore);
    expect(await snapshot()).toBe(before);
  });

  it('puts the URL in no log line and no item', async () => {
    const token = new URL(answer.body.url).searchParams.get('SigninToken') ?? '';
    expect(token.length).toBeGreaterThan(20);
    expect(logged.join('')).not.toContain(token);
    expect(federationLog.join('\n')).not.toContain(token);
    const items = JSON.stringify([...(await allItems('audit')), ...(await allItems('requests'))]);
    expect(items).not.toContain(token);
    expect(logged.join('')).toContain('console.signin_issued');
  });
});

describe("hallpass's OIDC documents and the tokens it signs", () => {
  it('serves a discovery document whose JWKS verifies a vend token, checked by jose', async () => {
    const { jwtVerify, createRemoteJWKSet, decodeProtectedHeader } = await import('jose');
    const issuer = process.env.HALLPASS_WEB_IDENTITY_ISSUER as string;
    const response = await fetch(`${issuer}/.well-known/openid-configuration`);
    const discovery = (await response.json()) as { issuer: string; jwks_uri: string };
    expect(discovery).toMatchObject({ issuer, jwks_uri: `${issuer}/.well-known/jwks.json` });

    // The claims a vend signs, for a session of this test, through the container's own signer.
    const { jwtSigner } = await import('../../lib/deps.ts');
    const { webIdentityClaims } = await import('../../lib/core/web-identity.ts');
    const claims = webIdentityClaims({
      issuer,
      audience: 'sts.amazonaws.com',
      entitlementId: 'sandbox-poweruser',
      sessionId: 'abcdefghijklmnop',
      parameters: {
        roleArn: 'arn:aws:iam::111111111111:role/hallpass-sandbox-poweruser',
        roleSessionName: 'alice.abcdefghijklmnop',
        policy: null,
        policyArns: [],
        tags: { 'hallpass:principal': 'alice', environment: 'sandbox' },
        transitiveTagKeys: ['hallpass:principal'],
        sourceIdentity: 'alice',
        externalId: null,
      },
      now: new Date(),
    });
    const token = await jwtSigner()?.sign(claims);
    const { payload, protectedHeader } = await jwtVerify(
      token as string,
      createRemoteJWKSet(new URL(discovery.jwks_uri)),
      { issuer, audience: 'sts.amazonaws.com', algorithms: ['RS256'] },
    );
    expect(protectedHeader).toMatchObject({ alg: 'RS256', typ: 'JWT' });
    expect(decodeProtectedHeader(token as string).kid).toMatch(/^[\w-]{43}$/);
    expect(payload).toMatchObject({
      sub: 'sandbox-poweruser:alice',
      jti: 'abcdefghijklmnop',
      'https://aws.amazon.com/source_identity': 'alice',
      'https://aws.amazon.com/tags': {
        principal_tags: { 'hallpass:principal': ['alice'], environment: ['sandbox'] },
        transitive_tag_keys: ['hallpass:principal'],
      },
    });
    expect((payload.exp as number) - (payload.iat as number)).toBeLessThanOrEqual(300);
  });
});

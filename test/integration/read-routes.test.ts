import { beforeAll, describe, expect, it } from 'vitest';
import { invoke } from '../support/api.ts';
import { tokenFor } from '../support/tokens.ts';

type Handler = Parameters<typeof invoke>[0];
let health: Handler;
let openapi: Handler;
let entitlements: Handler;
let notFound: Handler;

beforeAll(async () => {
  health = (await import('../../functions/health.ts')).handler as unknown as Handler;
  openapi = (await import('../../functions/openapi.ts')).handler as unknown as Handler;
  entitlements = (await import('../../functions/entitlements.ts')).handler as unknown as Handler;
  notFound = (await import('../../functions/not-found.ts')).handler as unknown as Handler;
});

describe('GET /v1/health', () => {
  it('answers ok without a token, with a request id', async () => {
    const answer = await invoke(health, { path: '/v1/health' });
    expect(answer.status).toBe(200);
    expect(answer.body).toEqual({ status: 'ok' });
    expect(answer.headers['x-request-id']).toBeTruthy();
  });
});

describe('GET /v1/openapi.json', () => {
  it('is an OpenAPI 3.1 document of every route, without a token', async () => {
    const answer = await invoke(openapi, { path: '/v1/openapi.json' });
    expect(answer.status).toBe(200);
    expect(answer.body.openapi).toBe('3.1.0');
    expect(Object.keys(answer.body.paths)).toEqual(
      expect.arrayContaining(['/v1/health', '/v1/openapi.json', '/v1/entitlements', '/v1/credentials']),
    );
  });

  it('describes the vend body as the validator enforces it: strict, with the duration bounds', async () => {
    const { body } = await invoke(openapi, { path: '/v1/openapi.json' });
    const vend = body.components.schemas.VendRequest;
    expect(vend.additionalProperties).toBe(false);
    expect(vend.required).toEqual(['entitlementId']);
    expect(vend.properties.durationSeconds).toMatchObject({ type: 'integer', minimum: 900, maximum: 43200 });
    expect(vend.properties.breakGlass.properties.justification).toMatchObject({
      minLength: 20,
      maxLength: 1000,
    });
    expect(body.components.schemas.Session.properties).not.toHaveProperty('secretAccessKey');
  });
});

describe('GET /v1/entitlements', () => {
  const list = async (groups: string[]) =>
    invoke(entitlements, { path: '/v1/entitlements', token: await tokenFor('frank', { groups }) });

  it('shows an engineer what they may request, and that prod-admin needs approval', async () => {
    const answer = await list(['engineers']);
    expect(answer.status).toBe(200);
    const byId = Object.fromEntries(answer.body.items.map((e: { id: string }) => [e.id, e]));
    expect(byId['sandbox-readonly']).toEqual({
      id: 'sandbox-readonly',
      description: 'Read-only access to the sandbox account',
      roleArn: 'arn:aws:iam::111111111111:role/hallpass-sandbox-readonly',
      issuance: 'assume-role',
      maxDurationSeconds: 3600,
      defaultDurationSeconds: 900,
      approval: {
        required: false,
        minApprovals: 0,
        approverGroups: [],
        validForSeconds: null,
        maxUses: null,
      },
      breakGlass: { allowed: false, maxDurationSeconds: null },
      canRequest: true,
      canApprove: false,
    });
    expect(byId['prod-admin']).toMatchObject({
      approval: {
        required: true,
        minApprovals: 1,
        approverGroups: ['approvers'],
        validForSeconds: 3600,
        maxUses: 1,
      },
      breakGlass: { allowed: false, maxDurationSeconds: 900 },
      canRequest: true,
      canApprove: false,
    });
    expect(byId['sandbox-poweruser']).toMatchObject({
      issuance: 'web-identity',
      maxDurationSeconds: 43200,
      canRequest: true,
    });
  });

  it('shows an approver only what they may approve, and an on-call member what they may break glass on', async () => {
    const approver = await list(['approvers']);
    expect(approver.body.items.map((e: { id: string }) => e.id)).toEqual([
      'prod-admin',
      'quorum-two',
      'untrusted-approved',
      'poweruser-unbound',
    ]);
    expect(approver.body.items[0]).toMatchObject({ canRequest: false, canApprove: true });
    const oncall = await list(['oncall']);
    expect(oncall.body.items.map((e: { id: string }) => e.id)).toEqual(['prod-admin']);
    expect(oncall.body.items[0].breakGlass).toEqual({ allowed: true, maxDurationSeconds: 900 });
  });

  it('lists nothing for a caller in no group, and refuses a caller without a token', async () => {
    expect((await list([])).body).toEqual({
      items: [],
      caller: { sub: 'frank', name: expect.any(String), groups: [], issuer: 'primary' },
    });
    const anonymous = await invoke(entitlements, { path: '/v1/entitlements' });
    expect(anonymous.status).toBe(401);
    expect(anonymous.body.error.code).toBe('unauthenticated');
  });
});

describe('GET /v1/entitlements: the caller', () => {
  it('names the caller as the catalog rules saw them: principal, groups and issuer', async () => {
    const answer = await invoke(entitlements, {
      path: '/v1/entitlements',
      token: await tokenFor('grace', { groups: ['engineers', 'oncall'] }),
    });
    expect(answer.body.caller).toEqual({
      sub: 'grace',
      name: expect.any(String),
      groups: ['engineers', 'oncall'],
      issuer: 'primary',
    });
  });
});

describe('any other route', () => {
  it('answers the API JSON 404 with a request id, not the gateway default', async () => {
    const answer = await invoke(notFound, { path: '/v1/nothing-here' });
    expect(answer.status).toBe(404);
    expect(answer.body.error).toMatchObject({ code: 'not_found', requestId: answer.headers['x-request-id'] });
  });
});

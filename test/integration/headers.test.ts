/**
 * Headers every API response carries, answers and errors alike: `X-Content-Type-Options: nosniff`
 * (a browser never guesses another type than the one declared), the content type and the request id.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { type Call, invoke } from '../support/api.ts';
import { useLocalSts } from '../support/local-sts.ts';
import { useIsolatedTables } from '../support/tables.ts';
import { tokenFor } from '../support/tokens.ts';

type Handler = Parameters<typeof invoke>[0];
const h: Record<string, Handler> = {};

beforeAll(async () => {
  await useLocalSts();
  await useIsolatedTables();
  for (const name of ['health', 'openapi', 'not-found', 'entitlements', 'requests-get', 'credentials']) {
    h[name] = (await import(`../../functions/${name}.ts`)).handler as Handler;
  }
});

const CASES: Array<[string, string, () => Promise<Call>, number]> = [
  ['a health answer', 'health', async () => ({ path: '/v1/health' }), 200],
  ['the OpenAPI document', 'openapi', async () => ({ path: '/v1/openapi.json' }), 200],
  ['an unknown route', 'not-found', async () => ({ path: '/v1/nope' }), 404],
  ['an unauthenticated call', 'entitlements', async () => ({ path: '/v1/entitlements' }), 401],
  [
    'an answer with a body',
    'entitlements',
    async () => ({ path: '/v1/entitlements', token: await tokenFor('erin', { groups: ['engineers'] }) }),
    200,
  ],
  [
    'a missing request',
    'requests-get',
    async () => ({
      path: '/v1/requests/rnope',
      pathParameters: { id: 'rnope' },
      token: await tokenFor('erin', { groups: ['engineers'] }),
    }),
    404,
  ],
  [
    'a refused body',
    'credentials',
    async () => ({
      path: '/v1/credentials',
      token: await tokenFor('erin', { groups: ['engineers'] }),
      rawBody: '{"entitlementId":',
      headers: { 'content-type': 'application/json' },
    }),
    400,
  ],
];

describe('response headers', () => {
  it.each(CASES)('%s carries X-Content-Type-Options: nosniff', async (_, handler, call, status) => {
    const answer = await invoke(h[handler] as Handler, await call());

    expect(answer.status).toBe(status);
    expect(answer.headers['x-content-type-options']).toBe('nosniff');
    expect(answer.headers['content-type']).toMatch(/^application\/json/);
    expect(answer.headers['x-request-id']).toMatch(/\S/);
  });
});

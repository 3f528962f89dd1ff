/**
 * Break glass at most HALLPASS_BREAK_GLASS_MAX_PER_HOUR times an hour per person (here 2): the next
 * one is API.md's 429 with Retry-After, with no STS call and nothing written; other people, and
 * ordinary vends by the same person, are not held back.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import type { LocalSts } from '../../local/sts/server.ts';
import { invoke } from '../support/api.ts';
import { useLocalSts } from '../support/local-sts.ts';
import { snapshot, useIsolatedTables } from '../support/tables.ts';
import { tokenFor } from '../support/tokens.ts';

let vend: unknown;
let sts: LocalSts;
const WHY = 'INC-88: payments are failing for every customer';

async function breakGlass(sub: string) {
  return invoke(vend, {
    path: '/v1/credentials',
    token: await tokenFor(sub, { groups: ['oncall', 'engineers'], name: sub }),
    body: { entitlementId: 'prod-admin', breakGlass: { justification: WHY } },
  });
}

beforeAll(async () => {
  sts = await useLocalSts();
  await useIsolatedTables();
  process.env.HALLPASS_BREAK_GLASS_MAX_PER_HOUR = '2';
  vend = (await import('../../functions/credentials.ts')).handler;
});

describe('the per-person break-glass limit', () => {
  it('refuses the third break glass within the hour with 429, Retry-After and nothing issued or written', async () => {
    expect((await breakGlass('olga')).status).toBe(200);
    expect((await breakGlass('olga')).status).toBe(200);
    const issued = sts.issuedAccessKeyIds().length;
    const before = await snapshot();

    const third = await breakGlass('olga');

    expect(third.status).toBe(429);
    expect(third.body.error.code).toBe('too_many_requests');
    const retryAfter = Number(third.headers['retry-after']);
    expect(retryAfter).toBeGreaterThan(3500);
    expect(retryAfter).toBeLessThanOrEqual(3600);
    expect(sts.issuedAccessKeyIds().length).toBe(issued);
    expect(await snapshot()).toBe(before);
  });

  it('does not hold back another person, nor the same person vending without break glass', async () => {
    expect((await breakGlass('oscar')).status).toBe(200);
    const ordinary = await invoke(vend, {
      path: '/v1/credentials',
      token: await tokenFor('olga', { groups: ['oncall', 'engineers'], name: 'olga' }),
      body: { entitlementId: 'sandbox-readonly' },
    });
    expect(ordinary.status).toBe(200);
  });
});

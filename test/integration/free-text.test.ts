/**
 * Free text through the handlers (issue 19, item 8): blank justifications and control or
 * bidi-override characters are refused with a 400 naming the field, calling no STS and writing
 * nothing; accepted text is stored trimmed.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import type { LocalSts } from '../../local/sts/server.ts';
import { invoke } from '../support/api.ts';
import { useLocalSts } from '../support/local-sts.ts';
import { snapshot, useIsolatedTables } from '../support/tables.ts';
import { tokenFor } from '../support/tokens.ts';

type Handler = Parameters<typeof invoke>[0];
let sts: LocalSts;
let vend: Handler;
let create: Handler;
let deny: Handler;

beforeAll(async () => {
  sts = await useLocalSts();
  await useIsolatedTables();
  vend = (await import('../../functions/credentials.ts')).handler as Handler;
  create = (await import('../../functions/requests-create.ts')).handler as Handler;
  deny = (await import('../../functions/requests-deny.ts')).handler as Handler;
});

const oncall = () => tokenFor('olga', { groups: ['oncall'] });

describe('free text through the API', () => {
  it.each([
    ['twenty spaces', ' '.repeat(20)],
    ['a NUL', 'INC-501: the database is down\u0000'],
    ['a right-to-left override', 'INC-501: the database is down \u202Etxt.exe'],
  ])(
    'refuses a break-glass justification of %s: 400 naming the field, no STS call, nothing written',
    async (_, justification) => {
      const before = { items: await snapshot(), keys: sts.issuedAccessKeyIds().length };

      const answer = await invoke(vend, {
        path: '/v1/credentials',
        token: await oncall(),
        body: { entitlementId: 'prod-admin', breakGlass: { justification } },
      });

      expect(answer.status).toBe(400);
      expect(answer.body.error.code).toBe('invalid_request');
      expect(answer.body.error.details.map((d: { path: string }) => d.path)).toEqual([
        'breakGlass.justification',
      ]);
      expect(sts.issuedAccessKeyIds()).toHaveLength(before.keys);
      expect(await snapshot()).toBe(before.items);
    },
  );

  it('stores and answers the trimmed justification and reason', async () => {
    const created = await invoke(create, {
      path: '/v1/requests',
      token: await tokenFor('alice', { groups: ['engineers'] }),
      body: {
        entitlementId: 'prod-admin',
        justification: '  Rotate the TLS certificate \n',
        ticket: ' CHG-9 ',
      },
    });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ justification: 'Rotate the TLS certificate', ticket: 'CHG-9' });

    const id = created.body.id;
    const denied = await invoke(deny, {
      method: 'POST',
      path: `/v1/requests/${id}/deny`,
      token: await tokenFor('bob', { groups: ['approvers'] }),
      body: { reason: '\t wait for the change window  ' },
      pathParameters: { id },
    });
    expect(denied.status).toBe(200);
    expect(denied.body.denial.reason).toBe('wait for the change window');
  });
});

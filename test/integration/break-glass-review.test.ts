/** Break-glass review: auditors only, never their own session, break-glass sessions only, once. */
import { beforeAll, describe, expect, it } from 'vitest';
import { invoke } from '../support/api.ts';
import { useLocalSts } from '../support/local-sts.ts';
import { allItems, useIsolatedTables } from '../support/tables.ts';
import { tokenFor } from '../support/tokens.ts';

let vend: unknown;
let review: unknown;
let list: unknown;
const AUDITORS = ['auditors'];
const WHY = 'INC-77: checkout is failing for every customer';

async function breakGlass(sub: string, groups = ['oncall']): Promise<{ id: string; accessKeyId: string }> {
  const answer = await invoke(vend, {
    path: '/v1/credentials',
    token: await tokenFor(sub, { groups, name: sub }),
    body: { entitlementId: 'prod-admin', breakGlass: { justification: WHY } },
  });
  expect(answer.status).toBe(200);
  return { id: answer.body.session.id, accessKeyId: answer.body.credentials.accessKeyId };
}
async function reviewAs(sub: string, groups: string[], id: string, body: unknown) {
  return invoke(review, {
    method: 'POST',
    path: `/v1/sessions/${id}/review`,
    token: await tokenFor(sub, { groups, name: sub }),
    body,
    pathParameters: { id },
  });
}

beforeAll(async () => {
  await useLocalSts();
  await useIsolatedTables();
  vend = (await import('../../functions/credentials.ts')).handler;
  review = (await import('../../functions/sessions-review.ts')).handler;
  list = (await import('../../functions/sessions-list.ts')).handler;
});

describe('POST /v1/sessions/{id}/review', () => {
  it('records an auditor verdict on the session, visible in the audit query', async () => {
    const { id } = await breakGlass('olga');
    const answer = await reviewAs('audrey', AUDITORS, id, { status: 'justified', comment: 'matches INC-77' });
    expect(answer.status).toBe(200);
    expect(answer.body.breakGlass).toEqual({
      justification: WHY,
      review: {
        status: 'justified',
        reviewer: { sub: 'audrey', name: 'audrey' },
        at: expect.any(String),
        comment: 'matches INC-77',
      },
    });
    const listed = await invoke(list, {
      path: '/v1/sessions',
      token: await tokenFor('audrey', { groups: AUDITORS }),
      query: { breakGlass: 'true' },
    });
    const shown = listed.body.items.find((s: { id: string }) => s.id === id);
    expect(shown.breakGlass.review.status).toBe('justified');
    const events = (await allItems('audit')).filter((i) => i.event === 'session.reviewed');
    expect(events.some((e) => (e.details as { sessionId: string }).sessionId === id)).toBe(true);
  });

  it('refuses a second review with 409, keeping the first', async () => {
    const { id } = await breakGlass('olga');
    await reviewAs('audrey', AUDITORS, id, { status: 'unjustified', comment: 'no incident at that time' });
    const again = await reviewAs('auggie', AUDITORS, id, { status: 'justified', comment: 'fine' });
    expect(again.status).toBe(409);
    const [item] = (await allItems('audit')).filter((i) => i.sessionId === id);
    expect(item?.review).toMatchObject({ status: 'unjustified' });
  });

  it('refuses an auditor reviewing their own break-glass session', async () => {
    const { id } = await breakGlass('audrey', ['oncall', 'auditors']);
    const answer = await reviewAs('audrey', AUDITORS, id, { status: 'justified', comment: 'it was me' });
    expect(answer.status).toBe(403);
    expect(answer.body.error.code).toBe('self_approval_forbidden');
  });

  it('refuses a reviewer who is not an auditor, and writes nothing', async () => {
    const { id } = await breakGlass('olga');
    const answer = await reviewAs('bob', ['approvers'], id, { status: 'justified', comment: 'ok' });
    expect(answer.status).toBe(403);
    expect(answer.body.error.code).toBe('forbidden');
    const [item] = (await allItems('audit')).filter((i) => i.sessionId === id);
    expect(item?.review).toBeUndefined();
  });

  it('refuses to review a session that is not break glass (409), an unknown one (404), and a bad verdict (400)', async () => {
    const normal = await invoke(vend, {
      path: '/v1/credentials',
      token: await tokenFor('alice', { groups: ['engineers'] }),
      body: { entitlementId: 'sandbox-readonly' },
    });
    expect(
      (await reviewAs('audrey', AUDITORS, normal.body.session.id, { status: 'justified', comment: 'x' }))
        .status,
    ).toBe(409);
    expect(
      (await reviewAs('audrey', AUDITORS, 'nosuchsession', { status: 'justified', comment: 'x' })).status,
    ).toBe(404);
    const { id } = await breakGlass('olga');
    expect((await reviewAs('audrey', AUDITORS, id, { status: 'fine', comment: 'x' })).status).toBe(400);
    expect((await reviewAs('audrey', AUDITORS, id, { status: 'justified' })).status).toBe(400);
  });
});

/**
 * Telling tampering with a session record from the two changes hallpass makes itself: the review
 * (one `review` attribute added to a break-glass session) and DynamoDB's TTL expiry.
 */
import { describe, expect, it } from 'vitest';
import { tamperingOf } from '../../../lib/core/tamper.ts';

const session = {
  pk: { S: 'session#ASIAEXAMPLE000000001' },
  kind: { S: 'session' },
  principalSub: { S: 'alice' },
  breakGlass: { S: 'true' },
  issuedAt: { S: '2026-11-28T12:00:00Z' },
  record: { M: { id: { S: 's1' }, roleArn: { S: 'arn:aws:iam::111111111111:role/admin' } } },
};
const review = { M: { status: { S: 'justified' }, reviewer: { M: { sub: { S: 'audrey' } } } } };
const TTL = { type: 'Service', principalId: 'dynamodb.amazonaws.com' };

describe('tamperingOf', () => {
  it('passes new records', () => {
    expect(tamperingOf({ eventName: 'INSERT', newImage: session })).toBeNull();
  });

  it('passes the review: one review attribute added to a break-glass session', () => {
    expect(
      tamperingOf({ eventName: 'MODIFY', oldImage: session, newImage: { ...session, review } }),
    ).toBeNull();
    // Attribute order is not a change.
    const reordered = Object.fromEntries(Object.entries({ ...session, review }).reverse());
    expect(tamperingOf({ eventName: 'MODIFY', oldImage: session, newImage: reordered })).toBeNull();
  });

  it('passes removal by TTL', () => {
    expect(tamperingOf({ eventName: 'REMOVE', oldImage: session, userIdentity: TTL })).toBeNull();
  });

  it.each([
    ['a rewritten principal', { ...session, principalSub: { S: 'mallory' } }, ['principalSub']],
    ['a rewritten record', { ...session, record: { M: { id: { S: 's1' } } } }, ['record']],
    [
      'a review that also changes the record',
      { ...session, review, principalSub: { S: 'x' } },
      ['principalSub', 'review'],
    ],
    [
      'an attribute dropped',
      { pk: session.pk, kind: session.kind },
      ['breakGlass', 'issuedAt', 'principalSub', 'record'],
    ],
  ])('flags %s', (_, newImage, changed) => {
    expect(tamperingOf({ eventName: 'MODIFY', oldImage: session, newImage })).toEqual({
      key: 'session#ASIAEXAMPLE000000001',
      change: 'modified',
      changed,
    });
  });

  it('flags a review written onto a session that is not break glass, or replacing a review', () => {
    const plain = { ...session, breakGlass: undefined };
    delete plain.breakGlass;
    expect(
      tamperingOf({ eventName: 'MODIFY', oldImage: plain, newImage: { ...plain, review } }),
    ).toMatchObject({
      change: 'modified',
      changed: ['review'],
    });
    const other = { M: { status: { S: 'unjustified' } } };
    expect(
      tamperingOf({
        eventName: 'MODIFY',
        oldImage: { ...session, review },
        newImage: { ...session, review: other },
      }),
    ).toMatchObject({ change: 'modified', changed: ['review'] });
  });

  it('flags removal by anyone but TTL', () => {
    expect(tamperingOf({ eventName: 'REMOVE', oldImage: session })).toEqual({
      key: 'session#ASIAEXAMPLE000000001',
      change: 'removed',
      changed: [],
    });
    expect(
      tamperingOf({
        eventName: 'REMOVE',
        oldImage: session,
        userIdentity: { type: 'Service', principalId: 'lambda.amazonaws.com' },
      }),
    ).toMatchObject({ change: 'removed' });
  });

  it('flags a modification it cannot compare (no old image)', () => {
    expect(tamperingOf({ eventName: 'MODIFY', newImage: { ...session, review } })).toMatchObject({
      change: 'modified',
    });
  });

  it('ignores event records: only session records are immutable in this sense', () => {
    const event = { pk: { S: 'event#request.created#r1#x' }, kind: { S: 'event' } };
    expect(tamperingOf({ eventName: 'REMOVE', oldImage: event })).toBeNull();
  });
});

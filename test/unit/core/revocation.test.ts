import { describe, expect, it } from 'vitest';
import {
  addPrincipal,
  addSessions,
  emptyState,
  fitPolicy,
  hourBucket,
  mergeStates,
  parsePolicy,
  policySize,
  prune,
  REVOCATION_POLICY_BUDGET,
  renderPolicy,
  revocationInstant,
} from '../../../lib/core/revocation.ts';

const NOW = new Date('2030-01-01T12:00:00Z');
const ids = (state: ReturnType<typeof emptyState>) => [...state.sessions.values()].flatMap((s) => [...s]);

describe('the revocation policy', () => {
  it('reads back what it wrote, statements it did not write kept as they are', () => {
    const state = emptyState();
    addSessions(state, [{ id: 'aaaaaaaaaaaaaaaa', expiresAt: '2030-01-01T12:30:00Z' }]);
    addPrincipal(state, 'alice', '2030-01-01T12:00:01Z', '2030-01-02T00:00:01Z');
    const foreign = { Sid: 'Mine', Effect: 'Deny', Action: 's3:*', Resource: '*' };
    const document = JSON.parse(renderPolicy(state));
    document.Statement.push(foreign);
    const read = parsePolicy(JSON.stringify(document));
    expect(ids(read)).toEqual(['aaaaaaaaaaaaaaaa']);
    expect(read.principals.get('alice')).toEqual({
      before: '2030-01-01T12:00:01Z',
      until: '2030-01-02T00:00:01Z',
    });
    expect(read.foreign).toEqual([foreign]);
  });

  it('denies by session id only until the hour its sessions have all expired', () => {
    expect(hourBucket('2030-01-01T12:30:00Z')).toBe('2030-01-01T13:00:00Z');
    expect(hourBucket('2030-01-01T13:00:00Z')).toBe('2030-01-01T13:00:00Z');
    const state = emptyState();
    addSessions(state, [{ id: 'x', expiresAt: '2030-01-01T12:30:00Z' }]);
    expect(JSON.parse(renderPolicy(state)).Statement[0].Condition).toEqual({
      StringEquals: { 'aws:PrincipalTag/hallpass:session-id': ['x'] },
      DateLessThan: { 'aws:CurrentTime': '2030-01-01T13:00:00Z' },
    });
  });

  it('loses nothing when merging two copies', () => {
    const a = emptyState();
    const b = emptyState();
    addSessions(a, [{ id: 'a', expiresAt: '2030-01-01T12:30:00Z' }]);
    addSessions(b, [{ id: 'b', expiresAt: '2030-01-01T12:40:00Z' }]);
    addPrincipal(a, 'p', '2030-01-01T11:00:00Z', '2030-01-01T13:00:00Z');
    addPrincipal(b, 'p', '2030-01-01T11:30:00Z', '2030-01-01T13:30:00Z');
    const merged = mergeStates(a, b);
    expect(ids(merged).sort()).toEqual(['a', 'b']);
    expect(merged.principals.get('p')).toEqual({
      before: '2030-01-01T11:30:00Z',
      until: '2030-01-01T13:30:00Z',
    });
  });

  it('prunes entries whose sessions have all expired', () => {
    const state = emptyState();
    addSessions(state, [
      { id: 'old', expiresAt: '2030-01-01T10:30:00Z' },
      { id: 'live', expiresAt: '2030-01-01T12:30:00Z' },
    ]);
    addPrincipal(state, 'gone', '2030-01-01T09:00:00Z', '2030-01-01T10:00:00Z');
    const pruned = prune(state, NOW);
    expect(ids(pruned)).toEqual(['live']);
    expect(pruned.principals.size).toBe(0);
  });

  it('folds into one role-wide issue-time deny, and says so, when hundreds of live ids would not fit', () => {
    const state = emptyState();
    addSessions(
      state,
      Array.from({ length: 600 }, (_, i) => ({
        id: `s${String(i).padStart(15, '0')}`,
        expiresAt: '2030-01-01T12:59:00Z',
      })),
    );
    const fitted = fitPolicy(state, NOW);
    expect(fitted.roleWideFallback).toBe(true);
    expect(policySize(fitted.document)).toBeLessThan(REVOCATION_POLICY_BUDGET);
    const folded = parsePolicy(fitted.document);
    expect(folded.sessions.size).toBe(0);
    expect(folded.role).toEqual({ before: revocationInstant(NOW), until: '2030-01-01T13:00:00Z' });
  });

  it('takes the next whole second as the revocation instant, so sessions of the same second are denied', () => {
    expect(revocationInstant(new Date('2030-01-01T12:00:00.200Z'))).toBe('2030-01-01T12:00:01Z');
    expect(revocationInstant(new Date('2030-01-01T12:00:00.000Z'))).toBe('2030-01-01T12:00:01Z');
  });
});

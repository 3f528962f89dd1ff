/**
 * Revocation of live sessions: the deny policy hallpass keeps on each target role (one inline policy,
 * `hallpass-revocations`), as plain data, and the rules that change it. STS credentials cannot be
 * recalled; a role's identity policy can deny its own sessions, by what every hallpass session
 * carries: its `hallpass:session-id` tag, its SourceIdentity (the human) and its issue time.
 *
 * Every statement also carries `aws:CurrentTime` before a moment after which every session it could
 * match has expired: the policy describes itself, so expired entries are pruned from what was read
 * back from IAM, with no other record of their expiry. Pure.
 */
import type { Catalog } from './catalog.ts';
import { TAG } from './tags.ts';

export const REVOCATION_POLICY_NAME = 'hallpass-revocations';
/**
 * IAM's quota on a role's inline policies, all of them together, counted without whitespace. hallpass
 * cannot see the role's other inline policies (its revoker may read only its own), so it keeps its
 * own well under the quota and treats IAM's LimitExceeded as "does not fit" too.
 */
export const ROLE_INLINE_POLICY_LIMIT = 10_240;
export const REVOCATION_POLICY_BUDGET = 8_192;
/**
 * How full a person's own revocation may make the policy: three quarters of the budget, so that
 * however many people revoke their own sessions, auditors keep room for exact denies before theirs
 * would fold into the role-wide one.
 */
export const SELF_REVOCATION_BUDGET = 6_144;

const SESSION_TAG_KEY = `aws:PrincipalTag/${TAG.sessionId}`;

/** What one role's policy denies; times are API times (`2026-11-28T12:00:00Z`). */
export interface RevocationState {
  /** Revoked session ids, grouped by the hour by which all of them have expired. */
  sessions: Map<string, Set<string>>;
  /** Per SourceIdentity: sessions issued before `before` are denied, until `until`. */
  principals: Map<string, { before: string; until: string }>;
  /** Every session of the role issued before `before` (an entitlement's, or the fallback). */
  role: { before: string; until: string } | null;
  /** Statements of the policy hallpass did not write (kept as they are). */
  foreign: unknown[];
}

export const emptyState = (): RevocationState => ({
  sessions: new Map(),
  principals: new Map(),
  role: null,
  foreign: [],
});

const later = (a: string, b: string) => (a >= b ? a : b);
const asList = (v: unknown): string[] =>
  Array.isArray(v) ? v.map(String) : typeof v === 'string' ? [v] : [];

/**
 * The next whole second: aws:TokenIssueTime has whole seconds, so a session issued in the same second
 * as the revocation (before or just after it) is denied too; one issued a second later is not.
 */
export function revocationInstant(now: Date): string {
  const seconds = Math.floor(now.getTime() / 1000) + 1;
  return `${new Date(seconds * 1000).toISOString().slice(0, 19)}Z`;
}

/** The end of the hour an expiry falls in (an expiry on the hour is its own end). */
export function hourBucket(expiresAt: string): string {
  const ms = Date.parse(expiresAt);
  const hour = Math.ceil(ms / 3_600_000) * 3_600_000;
  return `${new Date(hour).toISOString().slice(0, 19)}Z`;
}

const addSeconds = (at: string, seconds: number) =>
  `${new Date(Date.parse(at) + seconds * 1000).toISOString().slice(0, 19)}Z`;

/** The longest session any entitlement on the role allows (break glass included): how long a deny by issue time matters. */
export function roleLifetimeSeconds(catalog: Catalog, roleArn: string): number {
  const durations = catalog.entitlements
    .filter((e) => e.roleArn === roleArn)
    .map((e) => Math.max(e.maxDurationSeconds, e.breakGlass?.maxDurationSeconds ?? 0));
  return Math.max(3600, ...durations);
}

/** Whether the role serves this entitlement alone (then an issue-time deny is exact). */
export const roleServesOnly = (catalog: Catalog, roleArn: string, entitlementId: string): boolean =>
  catalog.entitlements.every((e) => e.roleArn !== roleArn || e.id === entitlementId);

export function addSessions(state: RevocationState, sessions: Array<{ id: string; expiresAt: string }>) {
  for (const s of sessions) {
    const bucket = hourBucket(s.expiresAt);
    const ids = state.sessions.get(bucket) ?? new Set<string>();
    ids.add(s.id);
    state.sessions.set(bucket, ids);
  }
}

export function addPrincipal(state: RevocationState, sourceIdentity: string, before: string, until: string) {
  const known = state.principals.get(sourceIdentity);
  state.principals.set(sourceIdentity, {
    before: known ? later(known.before, before) : before,
    until: known ? later(known.until, until) : until,
  });
}

export function addRoleWide(state: RevocationState, before: string, until: string) {
  state.role = state.role
    ? { before: later(state.role.before, before), until: later(state.role.until, until) }
    : { before, until };
}

/** Everything either denies (a deny is never lost by merging: the union only grows). */
export function mergeStates(a: RevocationState, b: RevocationState): RevocationState {
  const out = emptyState();
  for (const state of [a, b]) {
    for (const [bucket, ids] of state.sessions)
      addSessions(
        out,
        [...ids].map((id) => ({ id, expiresAt: bucket })),
      );
    for (const [si, p] of state.principals) addPrincipal(out, si, p.before, p.until);
    if (state.role) addRoleWide(out, state.role.before, state.role.until);
  }
  const seen = new Set<string>();
  out.foreign = [...a.foreign, ...b.foreign].filter((s) => {
    const key = JSON.stringify(s);
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
  return out;
}

/** Drops what can no longer match a live session: entries whose `until` has passed. */
export function prune(state: RevocationState, now: Date): RevocationState {
  const at = `${now.toISOString().slice(0, 19)}Z`;
  const out = emptyState();
  out.foreign = state.foreign;
  for (const [bucket, ids] of state.sessions) if (bucket > at) out.sessions.set(bucket, new Set(ids));
  for (const [si, p] of state.principals) if (p.until > at) out.principals.set(si, { ...p });
  if (state.role && state.role.until > at) out.role = { ...state.role };
  return out;
}

const compact = (time: string) => time.replace(/[-:]/g, '').slice(0, 11);
const deny = (sid: string, condition: Record<string, Record<string, unknown>>) => ({
  Sid: sid,
  Effect: 'Deny',
  Action: '*',
  Resource: '*',
  Condition: condition,
});

/** The policy document, minified (IAM counts characters without whitespace). */
export function renderPolicy(state: RevocationState): string {
  const statements: unknown[] = [];
  for (const [bucket, ids] of [...state.sessions].sort(([a], [b]) => (a < b ? -1 : 1))) {
    statements.push(
      deny(`Sessions${compact(bucket)}`, {
        StringEquals: { [SESSION_TAG_KEY]: [...ids].sort() },
        DateLessThan: { 'aws:CurrentTime': bucket },
      }),
    );
  }
  [...state.principals]
    .sort(([a], [b]) => (a < b ? -1 : 1))
    .forEach(([sourceIdentity, p], i) => {
      statements.push(
        deny(`Principal${i + 1}`, {
          StringEquals: { 'aws:SourceIdentity': sourceIdentity },
          DateLessThan: { 'aws:TokenIssueTime': p.before, 'aws:CurrentTime': p.until },
        }),
      );
    });
  if (state.role) {
    statements.push(
      deny('RoleWide', {
        DateLessThan: { 'aws:TokenIssueTime': state.role.before, 'aws:CurrentTime': state.role.until },
      }),
    );
  }
  return JSON.stringify({ Version: '2012-10-17', Statement: [...statements, ...state.foreign] });
}

/** The size IAM counts: every character but whitespace. */
export const policySize = (document: string): number => document.replace(/\s/g, '').length;

/** Reads a policy hallpass wrote (or an empty state for none); statements it did not write are kept. */
export function parsePolicy(document: string | undefined): RevocationState {
  const state = emptyState();
  if (!document) return state;
  let parsed: { Statement?: unknown };
  try {
    parsed = JSON.parse(document) as { Statement?: unknown };
  } catch {
    return state;
  }
  const statements = Array.isArray(parsed.Statement)
    ? parsed.Statement
    : parsed.Statement
      ? [parsed.Statement]
      : [];
  for (const raw of statements) {
    const s = raw as { Sid?: string; Effect?: string; Condition?: Record<string, Record<string, unknown>> };
    const equals = s.Condition?.StringEquals ?? {};
    const dates = s.Condition?.DateLessThan ?? {};
    const until = asList(dates['aws:CurrentTime'])[0];
    const before = asList(dates['aws:TokenIssueTime'])[0];
    if (s.Effect !== 'Deny' || !until || !s.Sid) state.foreign.push(raw);
    else if (s.Sid.startsWith('Sessions') && equals[SESSION_TAG_KEY] !== undefined)
      addSessions(
        state,
        asList(equals[SESSION_TAG_KEY]).map((id) => ({ id, expiresAt: until })),
      );
    else if (s.Sid.startsWith('Principal') && before && equals['aws:SourceIdentity'] !== undefined)
      for (const si of asList(equals['aws:SourceIdentity'])) addPrincipal(state, si, before, until);
    else if (s.Sid === 'RoleWide' && before) addRoleWide(state, before, until);
    else state.foreign.push(raw);
  }
  return state;
}

export interface FittedPolicy {
  document: string;
  /** The entries did not fit: every session of the role issued before `at` is denied instead. */
  roleWideFallback: boolean;
}

/**
 * The state as a document within `budget`: pruned first; if it still does not fit, every session and
 * principal entry is folded into one role-wide issue-time deny (`before` the revocation, `until` the
 * latest of theirs), which denies at least what they did (and, honestly, more: every session of the
 * role issued before now).
 */
export function fitPolicy(
  state: RevocationState,
  now: Date,
  budget = REVOCATION_POLICY_BUDGET,
): FittedPolicy {
  const pruned = prune(state, now);
  const document = renderPolicy(pruned);
  if (policySize(document) <= budget) return { document, roleWideFallback: false };
  return { document: renderPolicy(foldRoleWide(pruned, now)), roleWideFallback: true };
}

/** Every entry as one role-wide deny of sessions issued before now. */
export function foldRoleWide(state: RevocationState, now: Date): RevocationState {
  const before = revocationInstant(now);
  const untils = [
    ...state.sessions.keys(),
    ...[...state.principals.values()].map((p) => p.until),
    ...(state.role ? [state.role.until] : []),
  ];
  const folded = emptyState();
  folded.foreign = state.foreign;
  if (state.role) addRoleWide(folded, state.role.before, state.role.until);
  if (untils.length) addRoleWide(folded, before, untils.reduce(later));
  return folded;
}

export { addSeconds };

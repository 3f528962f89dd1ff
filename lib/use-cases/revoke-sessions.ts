/**
 * POST /v1/sessions/{id}/revoke and POST /v1/revocations: live sessions stop working. STS cannot
 * recall credentials, so hallpass denies them on their own role: it merges the revocation into the
 * role's `hallpass-revocations` deny policy (lib/core/revocation.ts) under a per-role lock, writes it
 * through the account's revoker role, and only then marks each session revoked (once, conditionally)
 * and appends `session.revoked`. A retry after a failure part-way finds the deny already merged (a
 * merge only adds) and completes the marks; a session already marked is 409.
 *
 * Only an auditor's revocation may fall back to one role-wide deny when the policy is full: that
 * denies every session of the role, and a person revoking (and re-vending) their own sessions in a
 * loop must not be able to do that to everyone. Their revocation is refused instead (409
 * `revocation_policy_full`, nothing changed, `session.revocation-refused` recorded), and they may revoke
 * at most SELF_REVOCATIONS_PER_HOUR of their own sessions an hour.
 *
 * IAM applies the deny within seconds. Before writing it, a canary session of each role is made (see
 * lib/core/revocation-canary.ts) and its id goes into the same policy document; after the marks, the
 * canary probes until it is refused or the wait runs out, and `session.revocation-observed` records,
 * per revoked session, `observed` (when), `pending` (not yet seen when the wait ran out) or
 * `unverified` (why the check could not be made). The check never fails a revocation.
 */
import { findSessionById, findSessions } from '../adapters/audit-query.ts';
import { type AuditTable, putEvent, putRevocation } from '../adapters/audit-table.ts';
import type { RolePolicies } from '../adapters/iam.ts';
import { roleName } from '../adapters/iam.ts';
import type { Canary, StartCanary } from '../adapters/iam-canary.ts';
import { acquireRoleLock, releaseRoleLock } from '../adapters/iam-policy-lock.ts';
import type { RequestsTable } from '../adapters/requests-table.ts';
import { AuditEvent, LogEvent } from '../audit-events.ts';
import { type Catalog, findEntitlement, isAuditor } from '../core/catalog.ts';
import type { Principal } from '../core/principal.ts';
import {
  addPrincipal,
  addRoleWide,
  addSeconds,
  addSessions,
  fitPolicy,
  foldRoleWide,
  mergeStates,
  parsePolicy,
  type RevocationState,
  renderPolicy,
  revocationInstant,
  roleLifetimeSeconds,
  roleServesOnly,
  SELF_REVOCATION_BUDGET,
} from '../core/revocation.ts';
import {
  CANARY_SECONDS,
  overallPropagation,
  PROPAGATION_BUDGET_MS,
  PROPAGATION_WAIT_MS,
  type Propagation,
  type PropagationStatus,
  probeDelay,
} from '../core/revocation-canary.ts';
import { checkSelfRevocationAllowance, SELF_REVOCATION_WINDOW_SECONDS } from '../core/revocation-limit.ts';
import type { RevocationRecord, Session } from '../core/session.ts';
import { sleep as timerSleep, toApiTime } from '../core/time.ts';
import {
  ConflictError,
  ForbiddenError,
  NotFoundError,
  RevocationPolicyFullError,
  UpstreamUnavailableError,
} from '../errors.ts';
import { describeError, log } from '../log.ts';

export interface RevokeDeps {
  catalog: Catalog;
  audit: AuditTable;
  /** Where the per-role lock items live. */
  requests: RequestsTable;
  /** The revocation policies of a role's account, as its revoker. */
  policies: (roleArn: string) => Promise<RolePolicies>;
  now: () => Date;
  /** Waits between attempts on a busy lock and between probes (tests pass a shorter one). */
  sleep?: (ms: number) => Promise<void>;
  /** Canary sessions of target roles, for the follow-up check; without them it is `unverified`. */
  canaries?: StartCanary;
  /** How long the answer waits for the deny to be observed (default PROPAGATION_WAIT_MS). */
  propagationWaitMs?: number;
}

/** How a role's policy now denies the revoked sessions. */
export type RevocationScope = 'session' | 'principal' | 'entitlement';

export interface RoleDeny {
  roleArn: string;
  scope: RevocationScope;
  /** The entries did not fit IAM's size limit: every session of the role issued before the revocation is denied. */
  roleWideFallback: boolean;
}

export interface RoleOutcome extends RoleDeny {
  /** Whether a canary of the role was seen denied (IAM applies the deny within seconds, not at once). */
  propagation: Propagation;
}

export interface RevocationAnswer {
  revoked: Session[];
  roles: RoleOutcome[];
  /** `observed` when every role's deny was seen applied; else `pending` or `unverified` (see roles). */
  propagation: PropagationStatus;
}

const LEASE_MS = 20_000;
const MAX_ATTEMPTS = 40;

/**
 * Merges `change` into a role's revocation policy without losing anyone else's: take the role's lock
 * (retrying with jittered backoff while another revocation holds it), read the policy from IAM and
 * the lock's copy of the last one written, merge both with the change, prune, fit (or fold into one
 * role-wide deny, when `mayFallBack`; else, past SELF_REVOCATION_BUDGET, give the lock back unwritten
 * and throw RevocationPolicyFullError), write, and give the lock back. If the lease passed to someone else
 * meanwhile, do it all again: they may have written without this change.
 */
export async function updateRolePolicy(
  deps: RevokeDeps,
  roleArn: string,
  change: (state: RevocationState) => void,
  options: { mayFallBack: boolean },
): Promise<{ roleWideFallback: boolean }> {
  const sleep = deps.sleep ?? timerSleep;
  const policies = await deps.policies(roleArn);
  const role = roleName(roleArn);
  for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
    const lock = await acquireRoleLock(deps.requests, roleArn, deps.now(), LEASE_MS);
    if (!lock) {
      await sleep(Math.min(1000, 25 * 2 ** Math.min(attempt, 5)) * (0.5 + Math.random()));
      continue;
    }
    let written: string | undefined;
    let roleWideFallback = false;
    try {
      const state = mergeStates(parsePolicy(lock.lastDocument), parsePolicy(await policies.read(role)));
      change(state);
      const now = deps.now();
      // Anyone else's revocation must leave auditors room: it may fill the policy only so far.
      const fitted = fitPolicy(state, now, options.mayFallBack ? undefined : SELF_REVOCATION_BUDGET);
      if (fitted.roleWideFallback && !options.mayFallBack) throw policyFull(roleArn);
      roleWideFallback = fitted.roleWideFallback;
      written = fitted.document;
      if (!(await policies.write(role, written))) {
        // IAM counts the role's other inline policies too: fold, and try once more.
        if (!options.mayFallBack) throw policyFull(roleArn);
        roleWideFallback = true;
        written = renderPolicy(foldRoleWide(parsePolicy(written), now));
        if (!(await policies.write(role, written)))
          throw new UpstreamUnavailableError('iam', `the role ${roleArn} has no room left for a deny policy`);
      }
    } catch (error) {
      await releaseRoleLock(deps.requests, roleArn, lock.owner, undefined).catch(() => false);
      throw error;
    }
    if (await releaseRoleLock(deps.requests, roleArn, lock.owner, written)) return { roleWideFallback };
  }
  throw new UpstreamUnavailableError(
    'dynamodb',
    `the revocation policy of ${roleArn} stayed busy; try again`,
    {
      retryAfterSeconds: 2,
    },
  );
}

const policyFull = (roleArn: string) =>
  new RevocationPolicyFullError(
    `the revocation policy of ${roleArn} is full: only an auditor may revoke now (which denies every ` +
      'session of the role issued before then); nothing was changed',
  );

const isLive = (s: Session, now: Date) => Date.parse(s.expiresAt) > now.getTime();

/**
 * Records that a person's own revocation was refused because the role's policy is full: one
 * `session.revocation-refused` per session (so an auditor sees whose and which), and a log line.
 */
async function recordRefusal(
  deps: RevokeDeps,
  principal: Principal,
  sessions: Session[],
  reason: string,
): Promise<void> {
  const at = toApiTime(deps.now());
  for (const session of sessions) {
    const details = {
      sessionId: session.id,
      accessKeyId: session.accessKeyId,
      roleArn: session.roleArn,
      reason,
      refused: 'revocation_policy_full',
    };
    log.warn(AuditEvent.sessionRevocationRefused, { actor: principal.sub, ...details });
    try {
      await putEvent(deps.audit, {
        event: AuditEvent.sessionRevocationRefused,
        at,
        actor: { sub: principal.sub, name: principal.name },
        subjectSub: session.principal.sub,
        requestId: session.requestId,
        entitlementId: session.entitlementId,
        details,
      });
    } catch (error) {
      log.error(LogEvent.auditEventUnwritten, {
        lostEvent: AuditEvent.sessionRevocationRefused,
        sessionId: session.id,
        ...describeError(error),
      });
    }
  }
}

/** Updates a role's policy; a refusal for a full policy is recorded against the sessions, then thrown. */
async function denyOnRole(
  deps: RevokeDeps,
  principal: Principal,
  sessions: Session[],
  reason: string,
  change: (state: RevocationState) => void,
  mayFallBack: boolean,
): Promise<{ roleWideFallback: boolean }> {
  const roleArn = sessions[0]?.roleArn ?? '';
  try {
    return await updateRolePolicy(deps, roleArn, change, { mayFallBack });
  } catch (error) {
    if (error instanceof RevocationPolicyFullError) await recordRefusal(deps, principal, sessions, reason);
    throw error;
  }
}

/** Revoking `revoking` more of their own sessions keeps a person within the hourly limit (else 429). */
function checkSelfRevocationRate(
  deps: RevokeDeps,
  principal: Principal,
  recent: Session[],
  revoking: number,
): void {
  const now = deps.now();
  const since = now.getTime() - SELF_REVOCATION_WINDOW_SECONDS * 1000;
  const recentRevokedAt = recent
    .map((s) => s.revocation)
    .filter((r): r is RevocationRecord => r?.by.sub === principal.sub && Date.parse(r.at) > since)
    .map((r) => r.at);
  checkSelfRevocationAllowance({ recentRevokedAt, revoking, now });
}

/** Marks the sessions revoked and appends one `session.revoked` each; those marked meanwhile are left out. */
async function markRevoked(
  deps: RevokeDeps,
  sessions: Session[],
  revocation: RevocationRecord,
  outcome: (s: Session) => RoleDeny,
): Promise<Session[]> {
  const marked: Session[] = [];
  for (const session of sessions) {
    if (!(await putRevocation(deps.audit, session.accessKeyId, revocation))) continue;
    marked.push({ ...session, revocation });
    const { scope, roleWideFallback } = outcome(session);
    const details = {
      sessionId: session.id,
      accessKeyId: session.accessKeyId,
      roleArn: session.roleArn,
      expiresAt: session.expiresAt,
      reason: revocation.reason,
      scope,
      roleWideFallback,
      propagation: 'pending',
    };
    try {
      await putEvent(
        deps.audit,
        {
          event: AuditEvent.sessionRevoked,
          at: revocation.at,
          actor: revocation.by,
          subjectSub: session.principal.sub,
          requestId: session.requestId,
          entitlementId: session.entitlementId,
          details,
        },
        `${AuditEvent.sessionRevoked}#${session.id}`,
      );
      log.info(AuditEvent.sessionRevoked, { actor: revocation.by.sub, ...details });
    } catch (error) {
      // The revocation itself is on the session record and in IAM; the event is the searchable copy.
      log.error(LogEvent.auditEventUnwritten, {
        lostEvent: AuditEvent.sessionRevoked,
        sessionId: session.id,
        ...describeError(error),
      });
    }
  }
  return marked;
}

type CanaryStart = { canary: Canary } | { unavailable: string };

/**
 * A canary of the role that the probe role lets in before the deny is written (else the check could
 * not tell the deny from a missing probe role), or why there is none. Never throws.
 */
async function startCanary(deps: RevokeDeps, roleArn: string): Promise<CanaryStart> {
  if (!deps.canaries) return { unavailable: 'no canary is configured' };
  let started: CanaryStart;
  try {
    started = await deps.canaries(roleArn);
  } catch (error) {
    return { unavailable: `the canary could not be made (${describeError(error).error})` };
  }
  if (!('canary' in started)) return started;
  try {
    if (!(await started.canary.denied())) return started;
    started.canary.close();
    return {
      unavailable:
        "the probe role refused the canary before the deny was written: deploy the target-account template of this version (the account's probe role)",
    };
  } catch (error) {
    started.canary.close();
    return { unavailable: `the probe failed before the deny was written (${describeError(error).error})` };
  }
}

/** The canary's id as one more revoked session of the same document (it expires with the canary). */
function withCanary(deps: RevokeDeps, start: CanaryStart, change: (state: RevocationState) => void) {
  const expiresAt = toApiTime(new Date(deps.now().getTime() + CANARY_SECONDS * 1000));
  return (state: RevocationState) => {
    change(state);
    if ('canary' in start) addSessions(state, [{ id: start.canary.id, expiresAt }]);
  };
}

/**
 * Probes with the canary (backing off) until it is refused, the probe fails, or `deadline` (a
 * Date.now() time: the budget is real time, whatever the domain clock says) passes.
 */
async function observe(deps: RevokeDeps, start: CanaryStart, deadline: number): Promise<Propagation> {
  if (!('canary' in start)) return { status: 'unverified', observedAt: null, reason: start.unavailable };
  const sleep = deps.sleep ?? timerSleep;
  const waited = Math.round((deps.propagationWaitMs ?? PROPAGATION_WAIT_MS) / 1000);
  for (let attempt = 0; ; attempt++) {
    try {
      if (await start.canary.denied())
        return { status: 'observed', observedAt: toApiTime(deps.now()), reason: null };
    } catch (error) {
      return {
        status: 'unverified',
        observedAt: null,
        reason: `the probe failed (${describeError(error).error})`,
      };
    }
    const delay = probeDelay(attempt);
    if (Date.now() + delay >= deadline)
      return {
        status: 'pending',
        observedAt: null,
        reason: `the canary was not yet denied when the check stopped (it waits up to ${waited} s): IAM has not applied the deny everywhere yet`,
      };
    await sleep(delay);
  }
}

/** When the check must stop: the wait after the deny was written, within the function's budget. */
const checkDeadline = (deps: RevokeDeps, startedMs: number) =>
  Math.min(Date.now() + (deps.propagationWaitMs ?? PROPAGATION_WAIT_MS), startedMs + PROPAGATION_BUDGET_MS);

/** One `session.revocation-observed` per revoked session, and a log line; a lost event is logged. */
async function recordPropagation(
  deps: RevokeDeps,
  revoked: Session[],
  revocation: RevocationRecord,
  outcome: (s: Session) => RoleOutcome,
  canaryIds: (s: Session) => string | null,
): Promise<void> {
  for (const session of revoked) {
    const { propagation } = outcome(session);
    const details = {
      sessionId: session.id,
      roleArn: session.roleArn,
      propagation: propagation.status,
      observedAt: propagation.observedAt,
      reason: propagation.reason,
      canarySessionId: canaryIds(session),
    };
    log.info(AuditEvent.sessionRevocationObserved, { actor: revocation.by.sub, ...details });
    try {
      await putEvent(
        deps.audit,
        {
          event: AuditEvent.sessionRevocationObserved,
          at: toApiTime(deps.now()),
          actor: revocation.by,
          subjectSub: session.principal.sub,
          requestId: session.requestId,
          entitlementId: session.entitlementId,
          details,
        },
        `${AuditEvent.sessionRevocationObserved}#${session.id}`,
      );
    } catch (error) {
      log.error(LogEvent.auditEventUnwritten, {
        lostEvent: AuditEvent.sessionRevocationObserved,
        sessionId: session.id,
        ...describeError(error),
      });
    }
  }
}

const canaryId = (start: CanaryStart) => ('canary' in start ? start.canary.id : null);

/**
 * Revokes one session: auditors, and the session's own principal ("I'm done"); anyone else gets 404,
 * as for reading it. An expired or already revoked session is 409. The role's policy gets the
 * session's id (by its `hallpass:session-id` tag), then the session is marked.
 */
export async function revokeSession(
  deps: RevokeDeps,
  principal: Principal,
  id: string,
  body: { reason: string },
): Promise<RevocationAnswer> {
  const session = await findSessionById(deps.audit, id, deps.now());
  const mine = session?.principal.sub === principal.sub;
  const auditor = isAuditor(deps.catalog, principal);
  if (!session || !(mine || auditor)) throw new NotFoundError(`session '${id}' was not found`);
  if (session.revocation)
    throw new ConflictError(
      `the session was already revoked at ${session.revocation.at} by ${session.revocation.by.sub}`,
    );
  if (!isLive(session, deps.now()))
    throw new ConflictError('the session has expired: there is nothing to revoke');
  if (!auditor)
    checkSelfRevocationRate(deps, principal, await recentSessions(deps, { principal: principal.sub }), 1);

  const startedMs = Date.now();
  const canary = await startCanary(deps, session.roleArn);
  try {
    const { roleWideFallback } = await denyOnRole(
      deps,
      principal,
      [session],
      body.reason,
      withCanary(deps, canary, (state) =>
        addSessions(state, [{ id: session.id, expiresAt: session.expiresAt }]),
      ),
      auditor,
    );
    const deadline = checkDeadline(deps, startedMs);
    const revocation = {
      at: toApiTime(deps.now()),
      by: { sub: principal.sub, name: principal.name },
      reason: body.reason,
    };
    const deny: RoleDeny = { roleArn: session.roleArn, scope: 'session', roleWideFallback };
    const revoked = await markRevoked(deps, [session], revocation, () => deny);
    if (revoked.length === 0) throw new ConflictError('the session was revoked meanwhile, by another call');
    const outcome: RoleOutcome = { ...deny, propagation: await observe(deps, canary, deadline) };
    await recordPropagation(
      deps,
      revoked,
      revocation,
      () => outcome,
      () => canaryId(canary),
    );
    return { revoked, roles: [outcome], propagation: overallPropagation([outcome.propagation]) };
  } finally {
    if ('canary' in canary) canary.canary.close();
  }
}

/**
 * Every session matching the filter that may still be live (by its index; issued within the longest
 * session): the live ones among them can be revoked, and a session is revoked only while live, so
 * they also hold every revocation of the last hour.
 */
async function recentSessions(
  deps: RevokeDeps,
  filter: { principal?: string; entitlementId?: string },
): Promise<Session[]> {
  const now = deps.now();
  const from = toApiTime(new Date(now.getTime() - 43_200_000 - 60_000));
  const found: Session[] = [];
  let start: Parameters<typeof findSessions>[2]['start'];
  do {
    const page = await findSessions(deps.audit, { ...filter, from }, { start, limit: 100, now });
    found.push(...page.items);
    start = page.next;
  } while (start);
  return found;
}

const liveUnrevoked = (sessions: Session[], now: Date) =>
  sessions.filter((s) => isLive(s, now) && !s.revocation);

/**
 * Revokes every live session of a person (`{principal}`: auditors, or that person) or of an
 * entitlement (`{entitlementId}`: auditors). Per role: a person by SourceIdentity with issue time
 * before now (it also covers sessions the index has not shown yet); an entitlement by issue time
 * alone when the role serves no other entitlement, else by the sessions' ids. Nothing live is 409.
 */
export async function revokeSessions(
  deps: RevokeDeps,
  principal: Principal,
  body: { reason: string; principal?: string | undefined; entitlementId?: string | undefined },
): Promise<RevocationAnswer> {
  const auditor = isAuditor(deps.catalog, principal);
  let sessions: Session[];
  if (body.principal !== undefined) {
    if (!auditor && body.principal !== principal.sub)
      throw new ForbiddenError("only auditors revoke another person's sessions");
    const recent = await recentSessions(deps, { principal: body.principal });
    sessions = liveUnrevoked(recent, deps.now());
    if (!auditor && sessions.length > 0) checkSelfRevocationRate(deps, principal, recent, sessions.length);
  } else {
    if (!auditor) throw new ForbiddenError("only auditors revoke an entitlement's sessions");
    const entitlementId = body.entitlementId ?? '';
    if (!findEntitlement(deps.catalog, entitlementId))
      throw new NotFoundError(`entitlement '${entitlementId}' was not found`);
    sessions = liveUnrevoked(await recentSessions(deps, { entitlementId }), deps.now());
  }
  if (sessions.length === 0) throw new ConflictError('there is no live session to revoke');

  const startedMs = Date.now();
  const byRole = new Map<string, Session[]>();
  for (const s of sessions) byRole.set(s.roleArn, [...(byRole.get(s.roleArn) ?? []), s]);
  const canaries = new Map<string, CanaryStart>();
  try {
    for (const roleArn of byRole.keys()) canaries.set(roleArn, await startCanary(deps, roleArn));
    return await denyEach(deps, principal, body, auditor, sessions, byRole, canaries, startedMs);
  } finally {
    for (const start of canaries.values()) if ('canary' in start) start.canary.close();
  }
}

/** revokeSessions once the sessions are known and each role has its canary (or why not). */
async function denyEach(
  deps: RevokeDeps,
  principal: Principal,
  body: { reason: string; principal?: string | undefined; entitlementId?: string | undefined },
  auditor: boolean,
  sessions: Session[],
  byRole: Map<string, Session[]>,
  canaries: Map<string, CanaryStart>,
  startedMs: number,
): Promise<RevocationAnswer> {
  const now = deps.now();
  const before = revocationInstant(now);
  const denies = new Map<string, RoleDeny>();
  for (const [roleArn, ofRole] of byRole) {
    const until = addSeconds(before, roleLifetimeSeconds(deps.catalog, roleArn));
    let scope: RevocationScope;
    let change: (state: RevocationState) => void;
    if (body.principal !== undefined) {
      scope = 'principal';
      const identities = new Set(ofRole.map((s) => s.sourceIdentity));
      change = (state) => {
        for (const si of identities) addPrincipal(state, si, before, until);
      };
    } else {
      scope = 'entitlement';
      const exact = roleServesOnly(deps.catalog, roleArn, body.entitlementId ?? '');
      change = exact
        ? (state) => addRoleWide(state, before, until)
        : (state) =>
            addSessions(
              state,
              ofRole.map((s) => ({ id: s.id, expiresAt: s.expiresAt })),
            );
    }
    const canary = canaries.get(roleArn) ?? { unavailable: 'no canary' };
    const { roleWideFallback } = await denyOnRole(
      deps,
      principal,
      ofRole,
      body.reason,
      withCanary(deps, canary, change),
      auditor,
    );
    denies.set(roleArn, { roleArn, scope, roleWideFallback });
  }
  const deadline = checkDeadline(deps, startedMs);
  const revocation = {
    at: toApiTime(now),
    by: { sub: principal.sub, name: principal.name },
    reason: body.reason,
  };
  const revoked = await markRevoked(deps, sessions, revocation, (s) => denies.get(s.roleArn) as RoleDeny);
  if (revoked.length === 0) throw new ConflictError('the sessions were revoked meanwhile, by another call');
  const outcomes = new Map<string, RoleOutcome>();
  await Promise.all(
    [...denies.values()].map(async (deny) => {
      const start = canaries.get(deny.roleArn) ?? { unavailable: 'no canary' };
      outcomes.set(deny.roleArn, { ...deny, propagation: await observe(deps, start, deadline) });
    }),
  );
  await recordPropagation(
    deps,
    revoked,
    revocation,
    (s) => outcomes.get(s.roleArn) as RoleOutcome,
    (s) => canaryId(canaries.get(s.roleArn) ?? { unavailable: '' }),
  );
  const roles = [...denies.keys()].map((arn) => outcomes.get(arn) as RoleOutcome);
  return { revoked, roles, propagation: overallPropagation(roles.map((r) => r.propagation)) };
}

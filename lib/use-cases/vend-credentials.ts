/**
 * POST /v1/credentials as one use case: decide -> consume -> issue -> audit. Every rule of a vend
 * is in vendCredentials, top to bottom.
 */
import { breakGlassIssuedSince } from '../adapters/audit-query.ts';
import { type AuditTable, putSession } from '../adapters/audit-table.ts';
import type { Metrics, VendPath } from '../adapters/metrics.ts';
import { consumeUse, getRequest, type RequestsTable, recordUnissued } from '../adapters/requests-table.ts';
import { assumeRole } from '../adapters/sts.ts';
import { AuditEvent, LogEvent } from '../audit-events.ts';
import type { Config } from '../config.ts';
import { checkUsable, type RequestRecord } from '../core/approval.ts';
import { BREAK_GLASS_WINDOW_SECONDS, checkBreakGlassAllowance } from '../core/break-glass-limit.ts';
import { type Catalog, findEntitlement } from '../core/catalog.ts';
import { decideGrant, type Grant, requestedDuration, settleDuration } from '../core/grant.ts';
import type { Principal } from '../core/principal.ts';
import { describeSession, type Session } from '../core/session.ts';
import { newSessionId, sessionParameters } from '../core/session-plan.ts';
import { toApiTime } from '../core/time.ts';
import { ConflictError, NotFoundError } from '../errors.ts';
import { describeError, log } from '../log.ts';
import type { VendRequest } from '../schemas.ts';

export interface VendDeps {
  catalog: Catalog;
  config: Pick<Config, 'breakGlassMaxPerHour'>;
  sts: import('@aws-sdk/client-sts').STSClient;
  audit: AuditTable;
  requests: RequestsTable;
  /** Counts vends by entitlement and path, and audit records that could not be written. */
  metrics?: Metrics;
  now: () => Date;
}

const PATH_OF: Record<Grant['kind'], VendPath> = {
  direct: 'direct',
  'approved-request': 'approved',
  'break-glass': 'break-glass',
};

export interface VendInput {
  principal: Principal;
  body: VendRequest;
  client: Session['client'];
}

export interface VendResult {
  credentials: { accessKeyId: string; secretAccessKey: string; sessionToken: string; expiration: string };
  session: Session;
}

/**
 * Consumes one use of the caller's approved request in one conditional write (approved, uses left,
 * window open, the caller's, this entitlement, at least the duration asked for). Of racing calls on
 * a last use exactly one wins; the others learn why they lost from a read: 404 or 409 (or 400 for a
 * duration above the approved one).
 */
async function consumeApproval(
  deps: VendDeps,
  principal: Principal,
  entitlementId: string,
  grant: Grant & { kind: 'approved-request' },
  use: { sessionId: string; now: Date; requested: number | undefined },
): Promise<RequestRecord> {
  const consumed = await consumeUse(deps.requests, {
    id: grant.requestId,
    requesterSub: principal.sub,
    entitlementId,
    now: toApiTime(use.now),
    sessionId: use.sessionId,
    // The write's own guard of settleDuration's rule: the approval covers the duration asked for.
    durationSeconds: use.requested ?? 0,
  });
  if (consumed) return consumed;
  const current = await getRequest(deps.requests, grant.requestId);
  // The SDK retries a write whose answer was lost; if the first attempt landed, this use is ours.
  if (current?.consumptions.some((c) => c.sessionId === use.sessionId)) return current;
  checkUsable(current, principal, entitlementId, use.now);
  // A duration above the approved one is the caller's mistake (400), not a lost race.
  if (current) settleDuration(grant, use.requested, current);
  throw new ConflictError('the approval was used up by another call');
}

/**
 * Vends temporary credentials for one entitlement. Every rule is here, top to bottom:
 * 1. decide: the entitlement exists (404) and the caller may use it now: requester groups (checked
 *    again at every vend), or break-glass groups with a justification; an entitlement that needs
 *    approval needs the caller's approved request (403 without one); break glass at most
 *    HALLPASS_BREAK_GLASS_MAX_PER_HOUR times an hour per person (429). A duration asked for is within
 *    the grant's maximum and at least 900 s, never clamped (400). Every AssumeRole parameter comes
 *    from the catalog and the verified token, checked against STS's limits: a refusal costs no use;
 * 2. consume: with a request, one use is consumed by a conditional write, before STS is called;
 *    then the duration is settled, once (at most the approved one);
 * 3. issue: AssumeRole with exactly that duration;
 * 4. audit: the record is written with a conditional put; if it cannot be, no credentials (503),
 *    and a consumed use that produced no credentials is recorded on the request. The credentials
 *    and the Session are returned (the handler adds Cache-Control: no-store).
 */
export async function vendCredentials(deps: VendDeps, input: VendInput): Promise<VendResult> {
  const { principal, body } = input;
  // 1. Decide.
  const entitlement = findEntitlement(deps.catalog, body.entitlementId);
  if (!entitlement) throw new NotFoundError(`entitlement '${body.entitlementId}' was not found`);
  const grant = decideGrant(entitlement, principal, body);
  const requested = requestedDuration(grant, body.durationSeconds);
  const sessionId = newSessionId();
  const now = deps.now();
  const parameters = sessionParameters({
    entitlement,
    principal,
    sessionId,
    requestId: grant.kind === 'approved-request' ? grant.requestId : null,
    breakGlass: grant.kind === 'break-glass',
  });

  if (grant.kind === 'break-glass') await checkBreakGlassRate(deps, principal, now);

  // 2. Consume.
  const request =
    grant.kind === 'approved-request'
      ? await consumeApproval(deps, principal, entitlement.id, grant, { sessionId, now, requested })
      : null;

  try {
    const plan = { ...parameters, durationSeconds: settleDuration(grant, requested, request) };
    // 3. Issue.
    const issued = await assumeRole(deps.sts, plan);
    const session = describeSession({
      sessionId,
      issuedAt: now,
      principal,
      entitlement,
      plan,
      issued,
      requestId: request?.id ?? null,
      approvers: request?.approvals.map((a) => a.approver) ?? [],
      breakGlassJustification: grant.kind === 'break-glass' ? grant.justification : null,
      client: input.client,
    });
    // 4. Audit.
    try {
      await putSession(deps.audit, session);
    } catch (error) {
      // The keys exist at STS but never leave hallpass; operators can still see which ones.
      deps.metrics?.count('AuditWriteFailed', {});
      log.error(AuditEvent.credentialsUnaudited, {
        sessionId,
        accessKeyId: issued.accessKeyId,
        entitlementId: entitlement.id,
      });
      throw error;
    }
    log.info(AuditEvent.credentialsIssued, {
      sessionId,
      accessKeyId: issued.accessKeyId,
      principal: principal.sub,
      entitlementId: entitlement.id,
      requestId: request?.id ?? null,
      breakGlass: grant.kind === 'break-glass',
    });
    deps.metrics?.count('CredentialsIssued', { Entitlement: entitlement.id, Path: PATH_OF[grant.kind] });
    if (grant.kind === 'break-glass') deps.metrics?.count('BreakGlassIssued', {});
    return {
      credentials: {
        accessKeyId: issued.accessKeyId,
        secretAccessKey: issued.secretAccessKey,
        sessionToken: issued.sessionToken,
        expiration: toApiTime(issued.expiration),
      },
      session,
    };
  } catch (error) {
    if (request) await noteUnissued(deps, request.id, sessionId, (error as Error).name);
    throw error;
  }
}

/** At most `breakGlassMaxPerHour` break-glass sessions per person in any hour (429 beyond). */
async function checkBreakGlassRate(deps: VendDeps, principal: Principal, now: Date): Promise<void> {
  const max = deps.config.breakGlassMaxPerHour;
  if (max === 0) return;
  const since = toApiTime(new Date(now.getTime() - BREAK_GLASS_WINDOW_SECONDS * 1000));
  const recentIssuedAt = await breakGlassIssuedSince(deps.audit, principal.sub, since, now);
  checkBreakGlassAllowance({ recentIssuedAt, now, max });
}

async function noteUnissued(
  deps: VendDeps,
  requestId: string,
  sessionId: string,
  reason: string,
): Promise<void> {
  try {
    await recordUnissued(deps.requests, requestId, { sessionId, at: toApiTime(deps.now()), reason });
  } catch (error) {
    log.error(LogEvent.requestUnissuedUnrecorded, { requestId, sessionId, reason, ...describeError(error) });
  }
}

import { type AuditTable, putSession } from '../adapters/audit-table.ts';
import { consumeUse, getRequest, type RequestsTable, recordUnissued } from '../adapters/requests-table.ts';
import { assumeRole } from '../adapters/sts.ts';
import { AuditEvent } from '../audit-events.ts';
import { type Catalog, type Entitlement, findEntitlement, mayBreakGlass, mayRequest } from '../catalog.ts';
import { checkUsable, type RequestRecord } from '../core/approval.ts';
import type { Principal } from '../core/principal.ts';
import { describeSession, type Session, toApiTime } from '../core/session.ts';
import { newSessionId, planSession, resolveDuration } from '../core/session-plan.ts';
import {
  ApprovalRequiredError,
  ConflictError,
  ForbiddenError,
  InvalidRequestError,
  NotFoundError,
} from '../errors.ts';
import { describeError, log } from '../log.ts';
import type { VendRequest } from '../schemas.ts';

export interface VendDeps {
  catalog: Catalog;
  sts: import('@aws-sdk/client-sts').STSClient;
  audit: AuditTable;
  requests: RequestsTable;
  now: () => Date;
}

export interface VendInput {
  principal: Principal;
  body: VendRequest;
  client: Session['client'];
}

export interface VendResult {
  credentials: { accessKeyId: string; secretAccessKey: string; sessionToken: string; expiration: string };
  session: Session;
}

type Path = 'direct' | 'break-glass' | 'approved-request';

/** Which path to credentials this call takes, decided from the catalog and the caller's groups. */
function authorize(entitlement: Entitlement, principal: Principal, body: VendRequest): Path {
  if (body.breakGlass) {
    if (body.requestId !== undefined)
      throw new InvalidRequestError('give either requestId or breakGlass, not both');
    if (!mayBreakGlass(entitlement, principal))
      throw new ForbiddenError(`you may not break glass on '${entitlement.id}'`);
    return 'break-glass';
  }
  if (!mayRequest(entitlement, principal))
    throw new ForbiddenError(`you may not request '${entitlement.id}'`);
  if (body.requestId !== undefined) return 'approved-request';
  if (entitlement.approval.required) {
    throw new ApprovalRequiredError(
      `'${entitlement.id}' needs an approved request: create one with POST /v1/requests`,
    );
  }
  return 'direct';
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
  entitlement: Entitlement,
  requestId: string,
  use: { sessionId: string; now: Date; durationSeconds: number | undefined },
): Promise<RequestRecord> {
  const consumed = await consumeUse(deps.requests, {
    id: requestId,
    requesterSub: principal.sub,
    entitlementId: entitlement.id,
    now: toApiTime(use.now),
    sessionId: use.sessionId,
    durationSeconds: use.durationSeconds ?? 0,
  });
  if (consumed) return consumed;
  const current = await getRequest(deps.requests, requestId);
  // The SDK retries a write whose answer was lost; if the first attempt landed, this use is ours.
  if (current?.consumptions.some((c) => c.sessionId === use.sessionId)) return current;
  checkUsable(current, principal, entitlement.id, use.now);
  if (current && use.durationSeconds !== undefined && use.durationSeconds > current.durationSeconds) {
    const message = `must be at most ${current.durationSeconds} seconds (the approved duration)`;
    throw new InvalidRequestError(`durationSeconds ${message}`, [{ path: 'durationSeconds', message }]);
  }
  throw new ConflictError('the approval was used up by another call');
}

/**
 * Vends temporary credentials for one entitlement. Every rule is here, top to bottom:
 * 1. the entitlement exists (404) and the caller may use it now: requester groups (checked again at
 *    every vend), or break-glass groups with a justification; an entitlement that needs approval
 *    needs the caller's approved request (403 without one);
 * 2. the duration is within the maximum (the entitlement's, the approved request's, or break
 *    glass's), at least 900 s, never clamped (400);
 * 3. every AssumeRole parameter comes from the catalog and the verified token, and is checked
 *    against STS's limits before any write or call;
 * 4. with a request: one use is consumed by a conditional write, before STS is called;
 * 5. AssumeRole;
 * 6. the audit record is written with a conditional put; if it cannot be, no credentials (503);
 *    a consumed use that produced no credentials is recorded on the request;
 * 7. the credentials and the Session are returned (the handler adds Cache-Control: no-store).
 */
export async function vendCredentials(deps: VendDeps, input: VendInput): Promise<VendResult> {
  const { principal, body } = input;
  const entitlement = findEntitlement(deps.catalog, body.entitlementId);
  if (!entitlement) throw new NotFoundError(`entitlement '${body.entitlementId}' was not found`);
  const path = authorize(entitlement, principal, body);

  const maximum =
    path === 'break-glass'
      ? (entitlement.breakGlass?.maxDurationSeconds ?? 0)
      : entitlement.maxDurationSeconds;
  // A duration asked for is checked now; without one, the default applies (for an approved
  // request, the approved duration, known once its use is consumed).
  const requested =
    body.durationSeconds === undefined ? undefined : resolveDuration(body.durationSeconds, 0, maximum);
  const sessionId = newSessionId();
  const now = deps.now();
  // Planned (and checked against STS's limits) before a use is consumed: a refusal here costs none.
  const draft = planSession({
    entitlement,
    principal,
    sessionId,
    durationSeconds: resolveDuration(requested, entitlement.defaultDurationSeconds, maximum),
    requestId: path === 'approved-request' ? (body.requestId ?? null) : null,
    breakGlass: path === 'break-glass',
  });
  const request =
    path === 'approved-request'
      ? await consumeApproval(deps, principal, entitlement, body.requestId as string, {
          sessionId,
          now,
          durationSeconds: requested,
        })
      : null;
  const plan = request
    ? { ...draft, durationSeconds: requested ?? Math.min(request.durationSeconds, maximum) }
    : draft;

  try {
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
      breakGlassJustification: body.breakGlass?.justification ?? null,
      client: input.client,
    });
    try {
      await putSession(deps.audit, session);
    } catch (error) {
      // The keys exist at STS but never leave hallpass; operators can still see which ones.
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
      breakGlass: path === 'break-glass',
    });
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

async function noteUnissued(
  deps: VendDeps,
  requestId: string,
  sessionId: string,
  reason: string,
): Promise<void> {
  try {
    await recordUnissued(deps.requests, requestId, { sessionId, at: toApiTime(deps.now()), reason });
  } catch (error) {
    log.error('request.unissued_unrecorded', { requestId, sessionId, reason, ...describeError(error) });
  }
}

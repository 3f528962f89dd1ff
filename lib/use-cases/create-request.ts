/**
 * POST /v1/requests: a request for access, checked against the catalog and stored (pending, or
 * approved at once when the entitlement needs no approval), with `request.created` in the trail.
 */
import { recordEvent } from '../adapters/audit-trail.ts';
import { createRequest as storeRequest } from '../adapters/requests-table.ts';
import { AuditEvent } from '../audit-events.ts';
import { type ApiRequest, newRequest, toApiRequest } from '../core/approval.ts';
import { findEntitlement, mayRequest } from '../core/catalog.ts';
import { newRequestId } from '../core/ids.ts';
import type { Principal } from '../core/principal.ts';
import { resolveDuration } from '../core/session-plan.ts';
import type { RequestDeps } from '../deps.ts';
import { ForbiddenError, NotFoundError } from '../errors.ts';
import type { CreateRequestBody } from '../schemas.ts';

/**
 * Asks for access: the entitlement exists (404) and the caller may request it (403); the duration is
 * within its maximum (400). The request is stored pending, or approved at once when the entitlement
 * needs no approval, and `request.created` is recorded.
 */
export async function createRequest(
  deps: RequestDeps,
  principal: Principal,
  body: CreateRequestBody,
): Promise<ApiRequest> {
  const entitlement = findEntitlement(deps.catalog, body.entitlementId);
  if (!entitlement) throw new NotFoundError(`entitlement '${body.entitlementId}' was not found`);
  if (!mayRequest(entitlement, principal))
    throw new ForbiddenError(`you may not request '${entitlement.id}'`);
  const durationSeconds = resolveDuration(
    body.durationSeconds,
    entitlement.defaultDurationSeconds,
    entitlement.maxDurationSeconds,
  );
  const now = deps.now();
  const record = newRequest({
    id: newRequestId(now),
    entitlement,
    requester: principal,
    justification: body.justification,
    ticket: body.ticket ?? null,
    durationSeconds,
    now,
  });
  await storeRequest(deps.requests, record);
  await recordEvent(deps, AuditEvent.requestCreated, record, record.requester, {
    durationSeconds,
    justification: record.justification,
    ticket: record.ticket,
    approvalRequired: entitlement.approval.required,
    approverGroups: entitlement.approval.required ? entitlement.approval.approverGroups : [],
  });
  return toApiRequest(record, now, true);
}

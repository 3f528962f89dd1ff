import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { STSClient } from '@aws-sdk/client-sts';
import { putSession } from '../adapters/audit-table.ts';
import { assumeRole } from '../adapters/sts.ts';
import { AuditEvent } from '../audit-events.ts';
import { type Catalog, type Entitlement, findEntitlement, mayBreakGlass, mayRequest } from '../catalog.ts';
import type { Principal } from '../core/principal.ts';
import { describeSession, type Session, toApiTime } from '../core/session.ts';
import { newSessionId, planSession, resolveDuration } from '../core/session-plan.ts';
import { ApprovalRequiredError, ForbiddenError, NotFoundError } from '../errors.ts';
import { log } from '../log.ts';
import type { VendRequest } from '../schemas.ts';

export interface VendDeps {
  catalog: Catalog;
  sts: STSClient;
  dynamodb: DynamoDBClient;
  auditTable: string;
  auditRetentionDays: number;
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

/** Which path to credentials this call takes, decided from the catalog and the caller's groups. */
function authorize(
  entitlement: Entitlement,
  principal: Principal,
  body: VendRequest,
): 'direct' | 'break-glass' {
  if (body.breakGlass) {
    if (!mayBreakGlass(entitlement, principal)) {
      throw new ForbiddenError(`you may not break glass on '${entitlement.id}'`);
    }
    return 'break-glass';
  }
  if (!mayRequest(entitlement, principal))
    throw new ForbiddenError(`you may not request '${entitlement.id}'`);
  // Approval requests arrive with the approval workflow; until then no request id can name one.
  if (body.requestId !== undefined) throw new NotFoundError(`request '${body.requestId}' was not found`);
  if (entitlement.approval.required) {
    throw new ApprovalRequiredError(
      `'${entitlement.id}' needs an approved request: create one with POST /v1/requests`,
    );
  }
  return 'direct';
}

/**
 * Vends temporary credentials for one entitlement. Every rule is here, top to bottom:
 * 1. the entitlement exists (404) and the caller may use it: requester groups, or break-glass
 *    groups with a justification; an entitlement that needs approval needs an approved request (403);
 * 2. the duration is within the entitlement's (or break glass's) maximum, never clamped (400);
 * 3. every AssumeRole parameter comes from the catalog and the verified token, and is checked
 *    against STS's limits before STS is called;
 * 4. AssumeRole;
 * 5. the audit record is written with a conditional put; if it cannot be, no credentials (503);
 * 6. the credentials and the Session are returned (the handler adds Cache-Control: no-store).
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
  const durationSeconds = resolveDuration(body.durationSeconds, entitlement.defaultDurationSeconds, maximum);

  const sessionId = newSessionId();
  const plan = planSession({
    entitlement,
    principal,
    sessionId,
    durationSeconds,
    requestId: null,
    breakGlass: path === 'break-glass',
  });

  const issuedAt = deps.now();
  const issued = await assumeRole(deps.sts, plan);

  const session = describeSession({
    sessionId,
    issuedAt,
    principal,
    entitlement,
    plan,
    issued,
    requestId: null,
    approvers: [],
    breakGlassJustification: body.breakGlass?.justification ?? null,
    client: input.client,
  });
  try {
    await putSession(
      { client: deps.dynamodb, tableName: deps.auditTable, retentionDays: deps.auditRetentionDays },
      session,
    );
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
}

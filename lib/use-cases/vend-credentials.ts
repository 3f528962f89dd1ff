/**
 * POST /v1/credentials as one use case: decide -> consume -> issue -> audit. Every rule of a vend
 * is in vendCredentials, top to bottom. POST /v1/console is the same vend, then a sign-in URL
 * (vendConsoleSignIn), so it lives here too: a use case never calls another.
 */
import { breakGlassIssuedSince } from '../adapters/audit-query.ts';
import { type AuditTable, putSession } from '../adapters/audit-table.ts';
import { consoleSignInUrl } from '../adapters/federation.ts';
import type { Metrics, VendPath } from '../adapters/metrics.ts';
import { consumeUse, getRequest, type RequestsTable, recordUnissued } from '../adapters/requests-table.ts';
import { assumeRole, assumeRoleWithWebIdentity, type IssuedCredentials } from '../adapters/sts.ts';
import { AuditEvent, LogEvent } from '../audit-events.ts';
import type { Config } from '../config.ts';
import { checkUsable, type RequestRecord } from '../core/approval.ts';
import { BREAK_GLASS_WINDOW_SECONDS, checkBreakGlassAllowance } from '../core/break-glass-limit.ts';
import { type Catalog, type Entitlement, findEntitlement } from '../core/catalog.ts';
import { checkDestination, consoleSessionDuration } from '../core/console.ts';
import { decideGrant, type Grant, requestedDuration, settleDuration } from '../core/grant.ts';
import type { Principal } from '../core/principal.ts';
import { describeSession, type Session } from '../core/session.ts';
import {
  type AssumeRolePlan,
  newSessionId,
  type SessionParameters,
  sessionParameters,
} from '../core/session-plan.ts';
import { toApiTime } from '../core/time.ts';
import { type WebIdentityClaims, webIdentityClaims } from '../core/web-identity.ts';
import { ConflictError, NotFoundError } from '../errors.ts';
import { describeError, log } from '../log.ts';
import type { ConsoleRequest, VendRequest } from '../schemas.ts';

/** hallpass as an OIDC provider: its issuer, its tokens' audience, and the KMS-backed signer. */
export interface WebIdentityIssuer {
  issuer: string;
  audience: string;
  sign(claims: WebIdentityClaims): Promise<string>;
}

export interface VendDeps {
  catalog: Catalog;
  config: Pick<Config, 'breakGlassMaxPerHour'>;
  sts: import('@aws-sdk/client-sts').STSClient;
  /** Needed by web-identity entitlements only (deps.ts refuses to start without it when one exists). */
  webIdentity?: WebIdentityIssuer | undefined;
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
 * 3. issue: AssumeRole with exactly that duration, or, for a web-identity entitlement,
 *    AssumeRoleWithWebIdentity with a token hallpass signs for this session alone (tags and
 *    SourceIdentity in its claims; it never leaves hallpass);
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
  if (entitlement.issuance === 'web-identity' && !deps.webIdentity)
    throw new Error(`entitlement '${entitlement.id}' is web-identity but hallpass has no issuer configured`);
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
    const issued = await issue(deps, entitlement, plan, { sessionId, parameters, now });
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

export interface ConsoleDeps extends VendDeps {
  console: {
    /** AWS's federation endpoint (getSigninToken, login). */
    federationUrl: string;
    /** Hosts a destination may be on (their subdomains too). */
    hosts: string[];
    /** Where AWS sends the browser when the console session ends: hallpass's own URL. */
    issuer: string;
    fetch?: typeof fetch;
  };
}

export interface ConsoleInput {
  principal: Principal;
  body: ConsoleRequest;
  client: Session['client'];
}

export interface ConsoleResult {
  /** The sign-in URL: a bearer secret until used (15 minutes), never logged or stored. */
  url: string;
  expiresAt: string;
  session: Session;
}

/**
 * POST /v1/console: a vend under exactly vendCredentials' rules and audit, then its credentials
 * exchanged at AWS's federation endpoint for a console sign-in URL.
 * 1. The destination is checked first (400, and nothing consumed or issued, when it is not an https
 *    URL on an allowed console host).
 * 2. vendCredentials: decide, consume, issue, audit.
 * 3. The federation endpoint: SessionDuration as AWS allows it (none for role-chained credentials,
 *    so the console session ends with them; the credentials' remaining life for web-identity ones).
 *    If it fails the session stays audited and its credentials never leave hallpass (503).
 */
export async function vendConsoleSignIn(deps: ConsoleDeps, input: ConsoleInput): Promise<ConsoleResult> {
  const { destination, ...vend } = input.body;
  const target = checkDestination(destination, deps.console.hosts);
  const { credentials, session } = await vendCredentials(deps, { ...input, body: vend });
  const expiresAt = new Date(credentials.expiration);
  const sessionDurationSeconds = consoleSessionDuration({
    remainingSeconds: (expiresAt.getTime() - deps.now().getTime()) / 1000,
    chained: session.issuance === 'assume-role',
  });
  let url: string;
  try {
    url = await consoleSignInUrl({
      federationUrl: deps.console.federationUrl,
      issuer: deps.console.issuer,
      destination: target,
      credentials,
      ...(sessionDurationSeconds === undefined ? {} : { sessionDurationSeconds }),
      ...(deps.console.fetch ? { fetch: deps.console.fetch } : {}),
    });
  } catch (error) {
    log.error(LogEvent.consoleSignInFailed, {
      sessionId: session.id,
      accessKeyId: session.accessKeyId,
      ...describeError(error),
    });
    throw error;
  }
  log.info(LogEvent.consoleSignInIssued, {
    sessionId: session.id,
    accessKeyId: session.accessKeyId,
    principal: input.principal.sub,
    entitlementId: session.entitlementId,
  });
  deps.metrics?.count('ConsoleSignIns', { Entitlement: session.entitlementId });
  const consoleEnds =
    sessionDurationSeconds === undefined
      ? expiresAt
      : new Date(deps.now().getTime() + sessionDurationSeconds * 1000);
  return { url, expiresAt: toApiTime(consoleEnds), session };
}

/** Calls STS the entitlement's way (its issuance mode). */
async function issue(
  deps: VendDeps,
  entitlement: Entitlement,
  plan: AssumeRolePlan,
  session: { sessionId: string; parameters: SessionParameters; now: Date },
): Promise<IssuedCredentials> {
  if (entitlement.issuance === 'assume-role') return assumeRole(deps.sts, plan);
  const issuer = deps.webIdentity as WebIdentityIssuer;
  const token = await issuer.sign(
    webIdentityClaims({
      issuer: issuer.issuer,
      audience: issuer.audience,
      entitlementId: entitlement.id,
      sessionId: session.sessionId,
      parameters: session.parameters,
      now: session.now,
    }),
  );
  return assumeRoleWithWebIdentity(deps.sts, plan, token);
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

/**
 * The Session of API.md: what was issued, to whom, why and until when. It is also the audit record,
 * so it never holds a secret or a token, only the AccessKeyId that CloudTrail logs.
 */
import type { Entitlement, Issuance } from './catalog.ts';
import type { Principal } from './principal.ts';
import type { AssumeRolePlan } from './session-plan.ts';
import { toApiTime } from './time.ts';

export interface PersonRef {
  sub: string;
  name: string;
}

export interface BreakGlassRecord {
  justification: string;
  review: {
    status: 'pending' | 'justified' | 'unjustified';
    reviewer: PersonRef | null;
    at: string | null;
    comment: string | null;
  };
}

export interface Session {
  id: string;
  issuedAt: string;
  expiresAt: string;
  principal: { sub: string; name: string; groups: string[] };
  entitlementId: string;
  /** How STS issued it: AssumeRole (role chaining) or AssumeRoleWithWebIdentity (hallpass's token). */
  issuance: Issuance;
  roleArn: string;
  assumedRoleArn: string;
  sessionName: string;
  sourceIdentity: string;
  accessKeyId: string;
  durationSeconds: number;
  sessionPolicy: string | null;
  policyArns: string[];
  tags: Record<string, string>;
  requestId: string | null;
  approvers: PersonRef[];
  breakGlass: BreakGlassRecord | null;
  client: { sourceIp: string | null; userAgent: string | null };
  /** Set once when the session is revoked (its role denies it); absent on records read before. */
  revocation?: RevocationRecord | null;
}

/** Who revoked a session, when, and why. */
export interface RevocationRecord {
  at: string;
  by: PersonRef;
  reason: string;
}

export interface SessionInput {
  sessionId: string;
  issuedAt: Date;
  principal: Principal;
  entitlement: Entitlement;
  plan: AssumeRolePlan;
  issued: { accessKeyId: string; expiration: Date; assumedRoleArn: string };
  requestId: string | null;
  approvers: PersonRef[];
  breakGlassJustification: string | null;
  client: Session['client'];
}

/** The record of one issuance, from what was asked of STS and what STS answered. */
export function describeSession(input: SessionInput): Session {
  const { plan, principal } = input;
  return {
    id: input.sessionId,
    issuedAt: toApiTime(input.issuedAt),
    expiresAt: toApiTime(input.issued.expiration),
    principal: { sub: principal.sub, name: principal.name, groups: [...principal.groups] },
    entitlementId: input.entitlement.id,
    issuance: input.entitlement.issuance,
    roleArn: plan.roleArn,
    assumedRoleArn: input.issued.assumedRoleArn,
    sessionName: plan.roleSessionName,
    sourceIdentity: plan.sourceIdentity,
    accessKeyId: input.issued.accessKeyId,
    durationSeconds: plan.durationSeconds,
    sessionPolicy: plan.policy,
    policyArns: [...plan.policyArns],
    tags: { ...plan.tags },
    requestId: input.requestId,
    approvers: input.approvers,
    breakGlass:
      input.breakGlassJustification === null
        ? null
        : {
            justification: input.breakGlassJustification,
            review: { status: 'pending', reviewer: null, at: null, comment: null },
          },
    client: input.client,
  };
}

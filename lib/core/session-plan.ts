/**
 * What hallpass asks of STS for one session: every AssumeRole parameter, built from the catalog
 * entry and the verified principal only (never from the request body), and checked against STS's
 * limits before any call. Pure.
 */

import { CatalogProblemError, InvalidRequestError } from '../errors.ts';
import type { Entitlement } from './catalog.ts';
import type { Principal } from './principal.ts';
import { encodePrincipalTag, encodeSessionNamePrefix, encodeSourceIdentity } from './sts-encoding.ts';
import { checkDuration, checkSessionPolicy, checkTags, checkTagValue } from './sts-limits.ts';
import { TAG } from './tags.ts';
import { renderPolicy, renderString, type TemplateContext } from './templates.ts';

export interface AssumeRolePlan {
  roleArn: string;
  roleSessionName: string;
  durationSeconds: number;
  policy: string | null;
  policyArns: string[];
  tags: Record<string, string>;
  transitiveTagKeys: string[];
  sourceIdentity: string;
  externalId: string | null;
}

/** Every AssumeRole parameter but the duration, which is settled once the approval is known. */
export type SessionParameters = Omit<AssumeRolePlan, 'durationSeconds'>;

export { newSessionId } from './ids.ts';

/**
 * The duration to ask for: the caller's, or the default, within [900, maximum]. Out of range is an
 * error, never silently clamped.
 */
export function resolveDuration(requested: number | undefined, fallback: number, maximum: number): number {
  const duration = requested ?? Math.min(fallback, maximum);
  const problem = checkDuration(duration, maximum);
  if (problem)
    throw new InvalidRequestError(`durationSeconds ${problem}`, [
      { path: 'durationSeconds', message: problem },
    ]);
  return duration;
}

export interface ParametersInput {
  entitlement: Entitlement;
  principal: Principal;
  sessionId: string;
  requestId: string | null;
  breakGlass: boolean;
}

export interface PlanInput extends ParametersInput {
  durationSeconds: number;
}

/** Builds and checks the AssumeRole parameters of one session, its duration given. */
export function planSession(input: PlanInput): AssumeRolePlan {
  return { ...sessionParameters(input), durationSeconds: input.durationSeconds };
}

/**
 * Builds and checks every AssumeRole parameter of one session but its duration: tags and policy
 * rendered from the catalog entry and the verified principal, within STS's limits (a catalog that
 * cannot be issued as configured is refused here, before anything is written or called).
 */
export function sessionParameters(input: ParametersInput): SessionParameters {
  const { entitlement, principal, sessionId } = input;
  const context: TemplateContext = { principal, entitlementId: entitlement.id, sessionId };

  const catalogTags = Object.fromEntries(
    Object.entries(entitlement.sessionTags).map(([key, template]) => [
      key,
      renderString(template, context, (value) => checkTagValue(key, value) === null),
    ]),
  );
  const tags: Record<string, string> = {
    ...catalogTags,
    [TAG.sessionId]: sessionId,
    [TAG.principal]: encodePrincipalTag(principal.sub),
    ...(input.requestId ? { [TAG.requestId]: input.requestId } : {}),
    ...(input.breakGlass ? { [TAG.breakGlass]: 'true' } : {}),
  };
  const policy =
    entitlement.sessionPolicy === undefined
      ? null
      : JSON.stringify(renderPolicy(entitlement.sessionPolicy, context));

  const problem =
    checkTags(tags, entitlement.transitiveTagKeys) ?? (policy === null ? null : checkSessionPolicy(policy));
  if (problem) {
    throw new CatalogProblemError(
      `entitlement '${entitlement.id}' cannot be issued as configured: ${problem}`,
    );
  }

  return {
    roleArn: entitlement.roleArn,
    // The principal (shortened) and the session id: unique, and readable in CloudTrail's ARN.
    roleSessionName: `${encodeSessionNamePrefix(principal.sub, 64 - sessionId.length - 1)}.${sessionId}`,
    policy,
    policyArns: entitlement.policyArns,
    tags,
    transitiveTagKeys: entitlement.transitiveTagKeys,
    sourceIdentity: encodeSourceIdentity(principal.sub),
    externalId: entitlement.externalId ?? null,
  };
}

/**
 * Catalog templates: `${principal.sub}`, `${principal.name}`, `${claims.<name>}`, `${entitlement.id}`
 * and `${session.id}`, rendered from the verified token only. IAM policy variables such as
 * `${aws:username}` contain a colon and no dot, and pass through untouched. Pure.
 *
 * What a catalog may use is the catalog's to decide (lib/core/catalog.ts refuses `${principal.name}`
 * and untrusted claims); what a token may bring is decided here: a value is one path segment (no
 * `/`, no `..`), and an `email` claim counts only when the issuer verified it.
 */
import { ForbiddenError } from '../errors.ts';
import type { Principal } from './principal.ts';

const VARIABLE = /\$\{([^}]*)\}/g;
const HALLPASS_VARIABLE = /^(principal\.(?:sub|name)|claims\.[A-Za-z0-9_:/.-]+|entitlement\.id|session\.id)$/;
/** What a claim name may be, to be usable as `${claims.<name>}`. */
export const CLAIM_NAME = /^[A-Za-z0-9_:/.-]+$/;
// IAM policy variables look like `${aws:username}` or `${aws:PrincipalTag/team}`.
const IAM_VARIABLE = /^[A-Za-z0-9-]+:[^.]*$/;

export interface TemplateContext {
  principal: Principal;
  entitlementId: string;
  sessionId: string;
}

/** The hallpass template variables of `text` (`principal.sub`, `claims.team`, ...), in order. */
export function templateVariables(text: string): string[] {
  return [...text.matchAll(VARIABLE)]
    .map((match) => match[1] ?? '')
    .filter((name) => HALLPASS_VARIABLE.test(name));
}

/** The template variables of `text` that are neither hallpass's nor IAM's (a catalog error). */
export function unknownVariables(text: string): string[] {
  return [...text.matchAll(VARIABLE)]
    .map((match) => match[1] ?? '')
    .filter((name) => !HALLPASS_VARIABLE.test(name) && !IAM_VARIABLE.test(name));
}

function lookup(name: string, context: TemplateContext): string {
  if (name === 'principal.sub') return context.principal.sub;
  if (name === 'principal.name') return context.principal.name;
  if (name === 'entitlement.id') return context.entitlementId;
  if (name === 'session.id') return context.sessionId;
  const claimName = name.slice('claims.'.length);
  const { claims } = context.principal;
  // Many issuers let users set their email: it identifies someone only once the issuer verified it.
  const claim = claimName === 'email' && claims.email_verified !== true ? undefined : claims[claimName];
  if (typeof claim === 'string' && claim.length > 0) return claim;
  if (typeof claim === 'number' || typeof claim === 'boolean') return String(claim);
  // An empty or missing value could match a policy condition it was never meant to: refuse.
  throw new ForbiddenError(`your token has no usable '${claimName}' claim, which this entitlement needs`);
}

// A value from the token lands inside ARNs and paths (directly, or through a tag that a policy uses
// as `${aws:PrincipalTag/...}`): it must stay one path segment, or `payments/../` moves the path.
const isOneSegment = (value: string): boolean =>
  !value.includes('/') && !value.includes('..') && value !== '.';
const FROM_TOKEN = /^(?:principal|claims)\./;

/**
 * Renders one string. A value from the token must be one path segment; `accept` decides whether a
 * substituted value is safe where it lands (a wildcard in a policy resource, say). An unsafe value
 * refuses the request rather than being altered.
 */
export function renderString(
  template: string,
  context: TemplateContext,
  accept: (value: string) => boolean,
): string {
  return template.replace(VARIABLE, (whole, name: string) => {
    if (!HALLPASS_VARIABLE.test(name)) return whole;
    const value = lookup(name, context);
    if (!accept(value) || (FROM_TOKEN.test(name) && !isOneSegment(value)))
      throw new ForbiddenError(
        `the value of '${name}' in your token cannot be used in this entitlement's session`,
      );
    return value;
  });
}

// Values substituted into a policy may not bring wildcards, variables or quotes with them.
const POLICY_SAFE_VALUE = /^[\w+=,.@:/ -]+$/;

/** Renders every string of a session policy document (not its JSON text: no injection by quoting). */
export function renderPolicy(policy: unknown, context: TemplateContext): unknown {
  if (typeof policy === 'string')
    return renderString(policy, context, (value) => POLICY_SAFE_VALUE.test(value));
  if (Array.isArray(policy)) return policy.map((item) => renderPolicy(item, context));
  if (policy !== null && typeof policy === 'object') {
    return Object.fromEntries(
      Object.entries(policy).map(([key, value]) => [key, renderPolicy(value, context)]),
    );
  }
  return policy;
}

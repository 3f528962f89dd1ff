/**
 * Catalog templates: `${principal.sub}`, `${principal.name}`, `${claims.<name>}`, `${entitlement.id}`
 * and `${session.id}`, rendered from the verified token only. IAM policy variables such as
 * `${aws:username}` contain a colon and no dot, and pass through untouched. Pure.
 */
import { ForbiddenError } from '../errors.ts';
import type { Principal } from './principal.ts';

const VARIABLE = /\$\{([^}]*)\}/g;
const HALLPASS_VARIABLE = /^(principal\.(?:sub|name)|claims\.[A-Za-z0-9_:/.-]+|entitlement\.id|session\.id)$/;
// IAM policy variables look like `${aws:username}` or `${aws:PrincipalTag/team}`.
const IAM_VARIABLE = /^[A-Za-z0-9-]+:[^.]*$/;

export interface TemplateContext {
  principal: Principal;
  entitlementId: string;
  sessionId: string;
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
  const claim = context.principal.claims[name.slice('claims.'.length)];
  if (typeof claim === 'string' && claim.length > 0) return claim;
  if (typeof claim === 'number' || typeof claim === 'boolean') return String(claim);
  // An empty or missing value could match a policy condition it was never meant to: refuse.
  throw new ForbiddenError(
    `your token has no usable '${name.slice('claims.'.length)}' claim, which this entitlement needs`,
  );
}

/**
 * Renders one string. `accept` decides whether a substituted value is safe where it lands (a
 * wildcard in a policy resource, say); an unsafe value refuses the request rather than being altered.
 */
export function renderString(
  template: string,
  context: TemplateContext,
  accept: (value: string) => boolean,
): string {
  return template.replace(VARIABLE, (whole, name: string) => {
    if (!HALLPASS_VARIABLE.test(name)) return whole;
    const value = lookup(name, context);
    if (!accept(value))
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

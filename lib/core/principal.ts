/** The verified caller, as every use case sees it. Built only from a verified token. */
export interface Principal {
  sub: string;
  name: string;
  groups: string[];
  /** Every verified claim, for session tag and policy templates. */
  claims: Readonly<Record<string, unknown>>;
  /**
   * The configured issuer's name (lib/adapters/auth.ts): `primary` for the first. A principal of any
   * other issuer has `sub` and groups prefixed with `<issuer>:`, so principals of different issuers
   * never collide. Absent only where a Principal is made without a token (tests, fixtures).
   */
  issuer?: string;
}

/**
 * A workload identity, as the principal of a further issuer (HALLPASS_ISSUERS) is named:
 * `<issuer name>:<its principal claim>`, e.g. `github:repo:org/app:ref:refs/heads/main`: the form
 * the catalog's requesterPrincipals must have. Matched exactly: no wildcard, so `*` and `?` are
 * refused rather than taken literally by surprise.
 */
export const WORKLOAD_PRINCIPAL = /^([a-z][a-z0-9-]{0,31}):[!-)+->@-~]{1,256}$/;

/** The primary issuer's name (HALLPASS_ISSUER's), when its settings give none. */
export const PRIMARY_ISSUER = 'primary';

export function inAnyGroup(principal: Principal, groups: readonly string[]): boolean {
  return groups.some((group) => principal.groups.includes(group));
}

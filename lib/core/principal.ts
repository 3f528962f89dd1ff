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

export function inAnyGroup(principal: Principal, groups: readonly string[]): boolean {
  return groups.some((group) => principal.groups.includes(group));
}

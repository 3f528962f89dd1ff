/** The verified caller, as every use case sees it. Built only from a verified token. */
export interface Principal {
  sub: string;
  name: string;
  groups: string[];
  /** Every verified claim, for session tag and policy templates. */
  claims: Readonly<Record<string, unknown>>;
}

export function inAnyGroup(principal: Principal, groups: readonly string[]): boolean {
  return groups.some((group) => principal.groups.includes(group));
}

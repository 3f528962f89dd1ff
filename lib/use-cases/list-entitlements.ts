/**
 * GET /v1/entitlements: the catalog as it applies to the caller, each entry with what they may do on
 * it (request, approve, break glass). Pure: it reads only the catalog.
 */
import { type Catalog, type Entitlement, mayApprove, mayBreakGlass, mayRequest } from '../core/catalog.ts';
import type { Principal } from '../core/principal.ts';
import type { Entitlement as EntitlementView } from '../schemas.ts';
import type * as z from '../zod.ts';

function view(entitlement: Entitlement, principal: Principal): z.infer<typeof EntitlementView> {
  const { approval, breakGlass } = entitlement;
  return {
    id: entitlement.id,
    description: entitlement.description,
    roleArn: entitlement.roleArn,
    issuance: entitlement.issuance,
    ...(entitlement.region ? { region: entitlement.region } : {}),
    maxDurationSeconds: entitlement.maxDurationSeconds,
    defaultDurationSeconds: entitlement.defaultDurationSeconds,
    approval: approval.required
      ? {
          required: true,
          minApprovals: approval.minApprovals,
          approverGroups: approval.approverGroups,
          validForSeconds: approval.validForSeconds,
          maxUses: approval.maxUses,
        }
      : { required: false, minApprovals: 0, approverGroups: [], validForSeconds: null, maxUses: null },
    breakGlass: {
      allowed: mayBreakGlass(entitlement, principal),
      maxDurationSeconds: breakGlass?.maxDurationSeconds ?? null,
    },
    canRequest: mayRequest(entitlement, principal),
    canApprove: mayApprove(entitlement, principal),
  };
}

/**
 * The catalog as it applies to the caller: every entitlement the caller may request, approve or
 * break glass on, in catalog order. Others are not listed (not even their ids). With it, the caller
 * as the rules saw them (principal, groups, issuer), so that a client (`hallpass doctor`) can say
 * what to put in the catalog when nothing is listed.
 */
export function listEntitlements(catalog: Catalog, principal: Principal) {
  const { sub, name, groups, issuer } = principal;
  return {
    items: catalog.entitlements
      .map((entitlement) => view(entitlement, principal))
      .filter((item) => item.canRequest || item.canApprove || item.breakGlass.allowed),
    caller: { sub, name, groups: [...groups], ...(issuer ? { issuer } : {}) },
  };
}

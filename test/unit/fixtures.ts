/**
 * Builders shared by the unit tests: principals, catalog documents (plain objects, as YAML would
 * give them) and catalogs parsed by the real `parseCatalog`.
 */
import { type Catalog, type Entitlement, parseCatalog } from '../../lib/core/catalog.ts';
import type { Principal } from '../../lib/core/principal.ts';

export const SANDBOX_ROLE = 'arn:aws:iam::111111111111:role/hallpass-sandbox-readonly';
export const PROD_ROLE = 'arn:aws:iam::222222222222:role/hallpass-prod-admin';
export const CATALOG_OPTIONS = { maxSessionSeconds: 3600 };

export function principal(overrides: Partial<Principal> = {}): Principal {
  return {
    sub: 'alice',
    name: 'alice@example.com',
    groups: ['engineers'],
    claims: { sub: 'alice', email: 'alice@example.com', team: 'data' },
    ...overrides,
  };
}

/** The example catalog's first entitlement, as a catalog document holds it. */
export function sandboxDocument(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    id: 'sandbox-readonly',
    description: 'Read-only access to the sandbox account',
    roleArn: SANDBOX_ROLE,
    requesterGroups: ['engineers'],
    maxDurationSeconds: 3600,
    defaultDurationSeconds: 900,
    sessionPolicy: {
      Version: '2012-10-17',
      Statement: [
        {
          Effect: 'Allow',
          Action: ['s3:GetObject', 's3:ListBucket'],
          Resource: ['arn:aws:s3:::sandbox-scratch', 'arn:aws:s3:::sandbox-scratch/${principal.sub}/*'],
        },
      ],
    },
    sessionTags: { environment: 'sandbox' },
    transitiveTagKeys: ['hallpass:principal'],
    approval: { required: false },
    ...overrides,
  };
}

/** The example catalog's second entitlement: approval required, break glass for on-call. */
export function prodDocument(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    id: 'prod-admin',
    description: 'Administrator access to production, with approval',
    roleArn: PROD_ROLE,
    requesterGroups: ['engineers'],
    maxDurationSeconds: 3600,
    defaultDurationSeconds: 900,
    approval: {
      required: true,
      approverGroups: ['approvers'],
      minApprovals: 1,
      validForSeconds: 3600,
      maxUses: 1,
      decisionTimeoutSeconds: 86400,
    },
    breakGlass: { groups: ['oncall'], maxDurationSeconds: 900 },
    ...overrides,
  };
}

/** A catalog document that trusts the `team` claim (tests of claim templates use it). */
export function catalogDocument(...entitlements: Array<Record<string, unknown>>): Record<string, unknown> {
  return { auditorGroups: ['auditors'], trustedClaims: ['team'], entitlements };
}

/** A catalog with the example's two entitlements, validated by parseCatalog. */
export function testCatalog(): Catalog {
  return parseCatalog(catalogDocument(sandboxDocument(), prodDocument()), CATALOG_OPTIONS);
}

/** One entitlement (the sandbox one, with `overrides`), validated by parseCatalog. */
export function sandboxEntitlement(overrides: Record<string, unknown> = {}): Entitlement {
  const [entitlement] = parseCatalog(
    catalogDocument(sandboxDocument(overrides)),
    CATALOG_OPTIONS,
  ).entitlements;
  if (!entitlement) throw new Error('the catalog has no entitlement');
  return entitlement;
}

/** Deterministic pseudo-random numbers in [0, 1) (mulberry32), for property-style loops. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A random string of 0..maxLength characters drawn from `alphabet`. */
export function randomString(random: () => number, alphabet: readonly string[], maxLength: number): string {
  const length = Math.floor(random() * (maxLength + 1));
  let out = '';
  for (let i = 0; i < length; i++) out += alphabet[Math.floor(random() * alphabet.length)];
  return out;
}

/**
 * Issue 19, item 1 (catalog side): only stable, issuer-controlled identifiers reach session policies
 * and tags. `${principal.name}` (from email or preferred_username, which users may edit) is for
 * display only; a `${claims.<name>}` must name a claim the catalog lists in `trustedClaims`; an
 * `email` claim counts only with `email_verified: true`.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { loadCatalog } from '../../../lib/adapters/catalog-file.ts';
import { parseCatalog } from '../../../lib/core/catalog.ts';
import { planSession } from '../../../lib/core/session-plan.ts';
import { ConfigError, ForbiddenError } from '../../../lib/errors.ts';
import { thrown } from '../../support/errors.ts';
import { CATALOG_OPTIONS, principal, prodDocument, sandboxDocument } from '../fixtures.ts';

const SANDBOX = 'entitlements[0] (sandbox-readonly)';
const policyWith = (resource: string) => ({
  Version: '2012-10-17',
  Statement: [{ Effect: 'Allow', Action: 's3:GetObject', Resource: resource }],
});

/** A catalog document with no trusted claims unless given. */
function document(entitlement: Record<string, unknown>, top: Record<string, unknown> = {}) {
  return { auditorGroups: ['auditors'], ...top, entitlements: [entitlement, prodDocument()] };
}

const refusal = (doc: unknown): ConfigError => thrown(ConfigError, () => parseCatalog(doc, CATALOG_OPTIONS));

describe('${principal.name} in a catalog', () => {
  it('is refused in a session tag, naming the tag', () => {
    const error = refusal(document(sandboxDocument({ sessionTags: { who: '${principal.name}' } })));

    expect(error.message).toContain(`${SANDBOX}.sessionTags.who: \${principal.name}`);
  });

  it('is refused in a session policy, naming the field', () => {
    const sessionPolicy = policyWith('arn:aws:s3:::b/home/${principal.name}/*');

    const error = refusal(document(sandboxDocument({ sessionPolicy })));

    expect(error.message).toContain(`${SANDBOX}.sessionPolicy: \${principal.name}`);
  });

  it('is refused even when a claim of that name is trusted', () => {
    const doc = document(sandboxDocument({ sessionTags: { who: '${principal.name}' } }), {
      trustedClaims: ['preferred_username', 'email'],
    });

    expect(() => parseCatalog(doc, CATALOG_OPTIONS)).toThrow(ConfigError);
  });
});

describe('${claims.<name>} in a catalog', () => {
  it('is refused in a tag when the claim is not trusted, naming the tag and trustedClaims', () => {
    const error = refusal(document(sandboxDocument({ sessionTags: { team: '${claims.team}' } })));

    expect(error.message).toContain(`${SANDBOX}.sessionTags.team: \${claims.team}`);
    expect(error.message).toContain('trustedClaims');
  });

  it('is refused in a policy when the claim is not trusted', () => {
    const sessionPolicy = policyWith('arn:aws:s3:::b/${claims.team}/*');

    const error = refusal(document(sandboxDocument({ sessionPolicy })));

    expect(error.message).toContain(`${SANDBOX}.sessionPolicy: \${claims.team}`);
  });

  it('is accepted when the catalog trusts the claim', () => {
    const doc = document(sandboxDocument({ sessionTags: { team: '${claims.team}' } }), {
      trustedClaims: ['team'],
    });

    const catalog = parseCatalog(doc, CATALOG_OPTIONS);

    expect(catalog.entitlements[0]?.sessionTags.team).toBe('${claims.team}');
  });

  it('is accepted when the entitlement trusts the claim', () => {
    const doc = document(
      sandboxDocument({ sessionTags: { team: '${claims.team}' }, trustedClaims: ['team'] }),
    );

    expect(() => parseCatalog(doc, CATALOG_OPTIONS)).not.toThrow();
  });

  it('is refused when only another entitlement trusts the claim', () => {
    const doc = {
      entitlements: [
        sandboxDocument({ trustedClaims: ['team'] }),
        prodDocument({ sessionTags: { team: '${claims.team}' } }),
      ],
    };

    const error = refusal(doc);

    expect(error.message).toContain('entitlements[1] (prod-admin).sessionTags.team');
  });

  it('refuses a trusted claim name that templates could not use', () => {
    const error = refusal(document(sandboxDocument(), { trustedClaims: ['te am'] }));

    expect(error.message).toContain('trustedClaims');
  });
});

describe('an email claim in templates', () => {
  const emailTagged = () =>
    parseCatalog(
      document(sandboxDocument({ sessionPolicy: undefined, sessionTags: { mail: '${claims.email}' } }), {
        trustedClaims: ['email'],
      }),
      CATALOG_OPTIONS,
    ).entitlements[0];

  const plan = (claims: Record<string, unknown>) => {
    const entitlement = emailTagged();
    if (!entitlement) throw new Error('no entitlement');
    return planSession({
      entitlement,
      principal: principal({ claims }),
      sessionId: 'abcdefghijklmnop',
      durationSeconds: 900,
      requestId: null,
      breakGlass: false,
    });
  };

  it('is refused without email_verified', () => {
    expect(() => plan({ email: 'alice@example.com' })).toThrow(ForbiddenError);
  });

  it('is refused with email_verified: false', () => {
    expect(() => plan({ email: 'alice@example.com', email_verified: false })).toThrow(ForbiddenError);
  });

  it('is rendered with email_verified: true', () => {
    expect(plan({ email: 'alice@example.com', email_verified: true }).tags.mail).toBe('alice@example.com');
  });
});

describe('the shipped catalogs', () => {
  it('the example catalog uses no user-editable claim', () => {
    const text = readFileSync('catalog/example.yaml', 'utf8');

    expect(() => parseCatalog(parse(text), CATALOG_OPTIONS)).not.toThrow();
    expect(text).not.toMatch(/^[^#]*\$\{principal\.name\}/m);
  });

  it('the test catalog loads, trusting the claim its team tag uses', () => {
    const catalog = loadCatalog('test/fixtures/catalog.yaml', CATALOG_OPTIONS);

    expect(catalog.trustedClaims).toEqual(['team']);
  });
});

import { describe, expect, it } from 'vitest';
import {
  newSessionId,
  type PlanInput,
  planSession,
  resolveDuration,
} from '../../../lib/core/session-plan.ts';
import { encodeSourceIdentity, encodeTagValue } from '../../../lib/core/sts-encoding.ts';
import { SOURCE_IDENTITY } from '../../../lib/core/sts-limits.ts';
import { TAG } from '../../../lib/core/tags.ts';
import { CatalogProblemError, ForbiddenError, InvalidRequestError } from '../../../lib/errors.ts';
import { principal, SANDBOX_ROLE, sandboxEntitlement } from '../fixtures.ts';

const SESSION_ID = 'abcdefghijklmnop';
// For subs that a session policy would refuse to carry (`|`, non-ASCII): no policy to render.
const withoutPolicy = () => sandboxEntitlement({ sessionPolicy: undefined });

function input(overrides: Partial<PlanInput> = {}): PlanInput {
  return {
    entitlement: sandboxEntitlement(),
    principal: principal(),
    sessionId: SESSION_ID,
    durationSeconds: 900,
    requestId: null,
    breakGlass: false,
    ...overrides,
  };
}

describe('planSession', () => {
  it("sets the catalog's tags and hallpass's session-id and principal tags", () => {
    const plan = planSession(input());

    expect(plan.tags).toEqual({
      environment: 'sandbox',
      [TAG.sessionId]: SESSION_ID,
      [TAG.principal]: 'alice',
    });
  });

  it('renders claim templates in tag values', () => {
    const entitlement = sandboxEntitlement({ sessionTags: { team: '${claims.team}' } });

    const plan = planSession(input({ entitlement }));

    expect(plan.tags.team).toBe('data');
  });

  it('encodes the principal tag one-to-one', () => {
    const plan = planSession(input({ entitlement: withoutPolicy(), principal: principal({ sub: 'a|b' }) }));

    expect(plan.tags[TAG.principal]).toBe(encodeTagValue('a|b'));
  });

  it('adds the request-id tag when there is a request', () => {
    const plan = planSession(input({ requestId: 'req-123' }));

    expect(plan.tags[TAG.requestId]).toBe('req-123');
  });

  it('has no request-id tag without a request', () => {
    const plan = planSession(input({ requestId: null }));

    expect(plan.tags).not.toHaveProperty(TAG.requestId);
  });

  it('adds the break-glass tag for break glass', () => {
    const plan = planSession(input({ breakGlass: true }));

    expect(plan.tags[TAG.breakGlass]).toBe('true');
  });

  it('has no break-glass tag otherwise', () => {
    const plan = planSession(input({ breakGlass: false }));

    expect(plan.tags).not.toHaveProperty(TAG.breakGlass);
  });

  it('refuses a claim value STS would not take as a tag value', () => {
    const entitlement = sandboxEntitlement({ sessionTags: { team: '${claims.team}' } });
    const caller = principal({ claims: { team: 'data*' } });

    expect(() => planSession(input({ entitlement, principal: caller }))).toThrow(ForbiddenError);
  });

  it('names the session <encoded sub>.<session id>', () => {
    const plan = planSession(input({ principal: principal({ sub: 'alice+ops@example.com' }) }));

    expect(plan.roleSessionName).toBe(`alice=2Bops@example.com.${SESSION_ID}`);
  });

  it('keeps the session name of a 300-character sub within 64 characters', () => {
    const plan = planSession(input({ principal: principal({ sub: 's'.repeat(300) }) }));

    expect(plan.roleSessionName).toHaveLength(64);
  });

  it('keeps the session id whole after a shortened, escaped sub', () => {
    const plan = planSession(
      input({ entitlement: withoutPolicy(), principal: principal({ sub: '日'.repeat(300) }) }),
    );

    expect(plan.roleSessionName).toMatch(new RegExp(`^[\\w+=,.@-]{47}\\.${SESSION_ID}$`));
  });

  it('sets the SourceIdentity to the encoded sub', () => {
    const plan = planSession(input({ entitlement: withoutPolicy(), principal: principal({ sub: 'a|b' }) }));

    expect(plan.sourceIdentity).toBe(encodeSourceIdentity('a|b'));
  });

  it('keeps the SourceIdentity of a 300-character sub valid', () => {
    const plan = planSession(input({ principal: principal({ sub: 's'.repeat(300) }) }));

    expect(plan.sourceIdentity).toMatch(SOURCE_IDENTITY);
  });

  it('renders the session policy and sends it minified', () => {
    const plan = planSession(input());

    expect(plan.policy).toBe(
      JSON.stringify({
        Version: '2012-10-17',
        Statement: [
          {
            Effect: 'Allow',
            Action: ['s3:GetObject', 's3:ListBucket'],
            Resource: ['arn:aws:s3:::sandbox-scratch', 'arn:aws:s3:::sandbox-scratch/alice/*'],
          },
        ],
      }),
    );
  });

  it('has no policy when the entitlement has none', () => {
    const plan = planSession(input({ entitlement: sandboxEntitlement({ sessionPolicy: undefined }) }));

    expect(plan.policy).toBeNull();
  });

  it('has a null externalId when the entitlement has none', () => {
    const plan = planSession(input());

    expect(plan.externalId).toBeNull();
  });

  it("passes the entitlement's externalId", () => {
    const plan = planSession(input({ entitlement: sandboxEntitlement({ externalId: 'partner-42' }) }));

    expect(plan.externalId).toBe('partner-42');
  });

  it('passes the role ARN, duration, policy ARNs and transitive keys of the entitlement', () => {
    const entitlement = sandboxEntitlement({ policyArns: ['arn:aws:iam::111111111111:policy/boundary'] });

    const plan = planSession(input({ entitlement, durationSeconds: 1800 }));

    expect(plan).toMatchObject({
      roleArn: SANDBOX_ROLE,
      durationSeconds: 1800,
      policyArns: ['arn:aws:iam::111111111111:policy/boundary'],
      transitiveTagKeys: ['hallpass:principal'],
    });
  });

  it('refuses a sub that a session policy cannot carry', () => {
    const plan = () => planSession(input({ principal: principal({ sub: 'auth0|12345' }) }));

    expect(plan).toThrow(ForbiddenError);
  });

  it('refuses, as a catalog problem, a policy that renders to over 2048 characters', () => {
    const resources = Array.from({ length: 20 }, (_, i) => `arn:aws:s3:::b${i}/\${principal.sub}/*`);
    const entitlement = sandboxEntitlement({
      sessionPolicy: {
        Version: '2012-10-17',
        Statement: [{ Effect: 'Allow', Action: 's3:*', Resource: resources }],
      },
    });

    const plan = () => planSession(input({ entitlement, principal: principal({ sub: 'u'.repeat(200) }) }));

    expect(plan).toThrow(CatalogProblemError);
  });
});

describe('resolveDuration', () => {
  it('uses the default when none is asked for', () => {
    expect(resolveDuration(undefined, 1200, 3600)).toBe(1200);
  });

  it('uses the duration asked for', () => {
    expect(resolveDuration(1800, 900, 3600)).toBe(1800);
  });

  it('accepts exactly the maximum', () => {
    expect(resolveDuration(3600, 900, 3600)).toBe(3600);
  });

  it('refuses a duration over the maximum instead of clamping it', () => {
    expect(() => resolveDuration(3601, 900, 3600)).toThrow(InvalidRequestError);
  });

  it('refuses a duration under 900 instead of raising it', () => {
    expect(() => resolveDuration(899, 900, 3600)).toThrow(InvalidRequestError);
  });

  it('names durationSeconds in the details', () => {
    let error: unknown;
    try {
      resolveDuration(3601, 900, 3600);
    } catch (caught) {
      error = caught;
    }

    expect((error as InvalidRequestError).details).toEqual([
      { path: 'durationSeconds', message: 'must be at most 3600 seconds' },
    ]);
  });

  it('refuses a fractional duration', () => {
    expect(() => resolveDuration(1.5, 900, 3600)).toThrow(InvalidRequestError);
  });
});

describe('newSessionId', () => {
  it('is 16 characters of lowercase base32', () => {
    expect(newSessionId()).toMatch(/^[a-z2-7]{16}$/);
  });

  it('differs between calls', () => {
    const ids = new Set(Array.from({ length: 100 }, newSessionId));

    expect(ids.size).toBe(100);
  });
});

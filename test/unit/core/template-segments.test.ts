/**
 * Issue 19, item 9: a value from the token is one path segment wherever it lands. `/` is a
 * policy-safe character, so `team=payments/../` used to move a resource path; it and `..` are now
 * refused in policies and tags, never altered.
 */
import { describe, expect, it } from 'vitest';
import { type PlanInput, planSession } from '../../../lib/core/session-plan.ts';
import { renderPolicy, type TemplateContext } from '../../../lib/core/templates.ts';
import { ForbiddenError } from '../../../lib/errors.ts';
import { principal, sandboxEntitlement } from '../fixtures.ts';

const TEAM_POLICY = {
  Version: '2012-10-17',
  Statement: [{ Effect: 'Allow', Action: 's3:GetObject', Resource: 'arn:aws:s3:::data/${claims.team}/*' }],
};

function context(claims: Record<string, unknown>, sub = 'alice'): TemplateContext {
  return {
    principal: principal({ sub, claims }),
    entitlementId: 'sandbox-readonly',
    sessionId: 'abcdefghijklmnop',
  };
}

function plan(overrides: Partial<PlanInput>): ReturnType<typeof planSession> {
  return planSession({
    entitlement: sandboxEntitlement(),
    principal: principal(),
    sessionId: 'abcdefghijklmnop',
    durationSeconds: 900,
    requestId: null,
    breakGlass: false,
    ...overrides,
  });
}

describe('a claim value inside a policy ARN', () => {
  it('refuses payments/../', () => {
    expect(() => renderPolicy(TEAM_POLICY, context({ team: 'payments/../' }))).toThrow(ForbiddenError);
  });

  it('refuses a value with a slash', () => {
    expect(() => renderPolicy(TEAM_POLICY, context({ team: 'payments/admin' }))).toThrow(ForbiddenError);
  });

  it('refuses ..', () => {
    expect(() => renderPolicy(TEAM_POLICY, context({ team: '..' }))).toThrow(ForbiddenError);
  });

  it('refuses .', () => {
    expect(() => renderPolicy(TEAM_POLICY, context({ team: '.' }))).toThrow(ForbiddenError);
  });

  it('renders one segment with a dot in it', () => {
    const rendered = renderPolicy(TEAM_POLICY, context({ team: 'pay.ments' })) as typeof TEAM_POLICY;

    expect(rendered.Statement[0]?.Resource).toBe('arn:aws:s3:::data/pay.ments/*');
  });
});

describe('a sub inside a policy ARN', () => {
  it('refuses a sub with a slash', () => {
    expect(() => plan({ principal: principal({ sub: 'alice/../bob' }) })).toThrow(ForbiddenError);
  });
});

describe('a claim value in a session tag', () => {
  it('refuses payments/../, which a role policy could use as ${aws:PrincipalTag/team} in an ARN', () => {
    const entitlement = sandboxEntitlement({ sessionTags: { team: '${claims.team}' } });

    expect(() => plan({ entitlement, principal: principal({ claims: { team: 'payments/../' } }) })).toThrow(
      ForbiddenError,
    );
  });

  it('refuses ..', () => {
    const entitlement = sandboxEntitlement({ sessionTags: { team: '${claims.team}' } });

    expect(() => plan({ entitlement, principal: principal({ claims: { team: '..' } }) })).toThrow(
      ForbiddenError,
    );
  });
});

import { describe, expect, it } from 'vitest';
import {
  renderPolicy,
  renderString,
  type TemplateContext,
  unknownVariables,
} from '../../../lib/core/templates.ts';
import { ForbiddenError } from '../../../lib/errors.ts';
import { principal } from '../fixtures.ts';

const SESSION_ID = 'abcdefghijklmnop';
const acceptAll = () => true;

function context(claims: Record<string, unknown> = {}, sub = 'alice'): TemplateContext {
  return {
    principal: principal({ sub, name: 'Alice Smith', claims: { team: 'data', ...claims } }),
    entitlementId: 'sandbox-readonly',
    sessionId: SESSION_ID,
  };
}

describe('renderString', () => {
  it('substitutes ${principal.sub}', () => {
    expect(renderString('home/${principal.sub}', context(), acceptAll)).toBe('home/alice');
  });

  it('substitutes ${principal.name}', () => {
    expect(renderString('${principal.name}', context(), acceptAll)).toBe('Alice Smith');
  });

  it('substitutes ${claims.x} from the verified claims', () => {
    expect(renderString('team-${claims.team}', context(), acceptAll)).toBe('team-data');
  });

  it('substitutes ${entitlement.id}', () => {
    expect(renderString('${entitlement.id}', context(), acceptAll)).toBe('sandbox-readonly');
  });

  it('substitutes ${session.id}', () => {
    expect(renderString('${session.id}', context(), acceptAll)).toBe(SESSION_ID);
  });

  it('substitutes every variable of one string', () => {
    const rendered = renderString('${principal.sub}/${claims.team}/${session.id}', context(), acceptAll);

    expect(rendered).toBe(`alice/data/${SESSION_ID}`);
  });

  it('renders a numeric claim as its decimal text', () => {
    expect(renderString('${claims.level}', context({ level: 3 }), acceptAll)).toBe('3');
  });

  it('leaves ${aws:username} untouched', () => {
    expect(renderString('home/${aws:username}', context(), acceptAll)).toBe('home/${aws:username}');
  });

  it('leaves ${aws:PrincipalTag/team} untouched', () => {
    const template = '${aws:PrincipalTag/team}';

    expect(renderString(template, context(), acceptAll)).toBe(template);
  });

  it('refuses a claim the token does not have', () => {
    expect(() => renderString('${claims.department}', context(), acceptAll)).toThrow(ForbiddenError);
  });

  it('refuses an empty claim', () => {
    expect(() => renderString('${claims.team}', context({ team: '' }), acceptAll)).toThrow(ForbiddenError);
  });

  it('refuses a claim that is not a string, number or boolean', () => {
    const claims = { team: ['data', 'ops'] };

    expect(() => renderString('${claims.team}', context(claims), acceptAll)).toThrow(ForbiddenError);
  });

  it('refuses a value the caller does not accept', () => {
    expect(() => renderString('${principal.sub}', context(), () => false)).toThrow(ForbiddenError);
  });
});

describe('renderPolicy', () => {
  it('substitutes inside nested arrays and objects', () => {
    const policy = {
      Statement: [
        { Resource: ['arn:aws:s3:::b/${principal.sub}/*'], Condition: { X: { Y: '${claims.team}' } } },
      ],
    };

    const rendered = renderPolicy(policy, context());

    expect(rendered).toEqual({
      Statement: [{ Resource: ['arn:aws:s3:::b/alice/*'], Condition: { X: { Y: 'data' } } }],
    });
  });

  it('never substitutes in keys', () => {
    const policy = { Condition: { StringEquals: { '${principal.sub}': '${principal.sub}' } } };

    const rendered = renderPolicy(policy, context());

    expect(rendered).toEqual({ Condition: { StringEquals: { '${principal.sub}': 'alice' } } });
  });

  it('keeps numbers, booleans and null as they are', () => {
    const policy = { a: 1, b: true, c: null };

    expect(renderPolicy(policy, context())).toEqual({ a: 1, b: true, c: null });
  });

  it('leaves IAM policy variables untouched', () => {
    const policy = { Resource: 'arn:aws:s3:::b/${aws:username}/${aws:PrincipalTag/team}' };

    expect(renderPolicy(policy, context())).toEqual(policy);
  });

  it('refuses a value with a wildcard rather than altering it', () => {
    const policy = { Resource: 'arn:aws:s3:::b/${principal.sub}/*' };

    expect(() => renderPolicy(policy, context({}, 'ali*'))).toThrow(ForbiddenError);
  });

  it('refuses a value with a double quote rather than altering it', () => {
    const policy = { Resource: 'arn:aws:s3:::b/${claims.team}/*' };

    expect(() => renderPolicy(policy, context({ team: 'data","Effect":"Allow' }))).toThrow(ForbiddenError);
  });

  it('refuses a value that smuggles an IAM variable', () => {
    const policy = { Resource: 'arn:aws:s3:::b/${claims.team}/*' };

    expect(() => renderPolicy(policy, context({ team: '${aws:username}' }))).toThrow(ForbiddenError);
  });

  it('refuses a missing claim in a policy', () => {
    const policy = { Resource: 'arn:aws:s3:::b/${claims.department}/*' };

    expect(() => renderPolicy(policy, context())).toThrow(ForbiddenError);
  });
});

describe('unknownVariables', () => {
  it('finds a variable that is neither hallpass nor IAM', () => {
    expect(unknownVariables('a ${foo.bar} b')).toEqual(['foo.bar']);
  });

  it('finds a principal field that templates do not offer', () => {
    expect(unknownVariables('${principal.email}')).toEqual(['principal.email']);
  });

  it('ignores IAM policy variables', () => {
    expect(unknownVariables('${aws:username} ${aws:PrincipalTag/team} ${saml:sub}')).toEqual([]);
  });

  it("ignores hallpass's own variables", () => {
    const text = '${principal.sub} ${principal.name} ${claims.team} ${entitlement.id} ${session.id}';

    expect(unknownVariables(text)).toEqual([]);
  });

  it('finds every unknown variable in order', () => {
    expect(unknownVariables('${a.b} ${principal.sub} ${c}')).toEqual(['a.b', 'c']);
  });
});

/**
 * Free text at the edge (issue 19, item 8): lengths count what is left after trimming, and no
 * free-text field carries control or bidi-override characters. What is kept is the trimmed text.
 */
import { describe, expect, it } from 'vitest';
import { detailsOf } from '../../lib/http/middleware/json-body.ts';
import { ApproveBody, CreateRequestBody, DenyBody, ReviewBody, VendRequest } from '../../lib/schemas.ts';
import type * as z from '../../lib/zod.ts';

const GOOD = 'INC-501: payments database is refusing connections';

/** The details of a refusal, as API.md shows them. */
function refusal(schema: z.ZodMiniType, body: unknown): Array<{ path: string; message: string }> {
  const result = schema.safeParse(body);
  expect(result.success).toBe(false);
  return detailsOf((result as { error: z.core.$ZodError }).error);
}

// Every free-text field of every body, as [schema, a good body, the field's path, set it].
const FIELDS: Array<[string, z.ZodMiniType, (v: string) => unknown, string]> = [
  [
    'break-glass justification',
    VendRequest,
    (v) => ({ entitlementId: 'prod-admin', breakGlass: { justification: v } }),
    'breakGlass.justification',
  ],
  [
    'request justification',
    CreateRequestBody,
    (v) => ({ entitlementId: 'prod-admin', justification: v }),
    'justification',
  ],
  [
    'request ticket',
    CreateRequestBody,
    (v) => ({ entitlementId: 'prod-admin', justification: GOOD, ticket: v }),
    'ticket',
  ],
  ['approval comment', ApproveBody, (v) => ({ comment: v }), 'comment'],
  ['denial reason', DenyBody, (v) => ({ reason: v }), 'reason'],
  ['review comment', ReviewBody, (v) => ({ status: 'justified', comment: v }), 'comment'],
];

describe('free text', () => {
  it('refuses a break-glass justification of twenty spaces (the minimum is 20 characters)', () => {
    const details = refusal(VendRequest, {
      entitlementId: 'prod-admin',
      breakGlass: { justification: ' '.repeat(20) },
    });
    expect(details.map((d) => d.path)).toEqual(['breakGlass.justification']);
  });

  it('counts the length after trimming, and keeps the trimmed text', () => {
    const padded = `   ${'x'.repeat(9)}   `;
    expect(refusal(CreateRequestBody, { entitlementId: 'prod-admin', justification: padded })[0]?.path).toBe(
      'justification',
    );
    const parsed = CreateRequestBody.parse({ entitlementId: 'prod-admin', justification: `\n  ${GOOD} \t` });
    expect(parsed.justification).toBe(GOOD);
  });

  it.each(FIELDS)('refuses a %s of blanks only', (_, schema, body, path) => {
    expect(refusal(schema, body(' \t\n  '))[0]?.path).toBe(path);
  });

  it.each(
    FIELDS.flatMap(([name, schema, body, path]) =>
      ['\u0000', '\u0007', '\u001b[2J', '\u007f', '\u0085', '\u202e', '\u2066', '\u200f', '\u061c', '\r'].map(
        (bad) =>
          [name, `U+${bad.codePointAt(0)?.toString(16).padStart(4, '0')}`, schema, body, path, bad] as const,
      ),
    ),
  )('refuses a %s with %s, naming the field', (_, _shown, schema, body, path, bad) => {
    const details = refusal(schema, body(`${GOOD} ${bad}tail`));
    expect(details).toEqual([{ path, message: expect.stringMatching(/control|bidi/) }]);
  });

  it('accepts newlines and tabs inside long text, and the text is kept as sent less the ends', () => {
    const text = `${GOOD}\n\n- step one\n\t- step two`;
    expect(DenyBody.parse({ reason: ` ${text} ` }).reason).toBe(text);
    expect(
      VendRequest.parse({ entitlementId: 'prod-admin', breakGlass: { justification: text } }),
    ).toMatchObject({
      breakGlass: { justification: text },
    });
  });

  it('accepts Windows line ends in long text, kept as newlines', () => {
    expect(DenyBody.parse({ reason: 'not now\r\nwait for the window' }).reason).toBe(
      'not now\nwait for the window',
    );
  });

  it('refuses a newline in a one-line field', () => {
    expect(
      refusal(CreateRequestBody, {
        entitlementId: 'prod-admin',
        justification: GOOD,
        ticket: 'CHG-1\nCHG-2',
      })[0]?.path,
    ).toBe('ticket');
  });

  it('accepts the non-Latin text people write, emoji included', () => {
    const text = 'Déploiement du correctif — 支払い 🔥 👩‍💻 שלום';
    expect(DenyBody.parse({ reason: text }).reason).toBe(text);
  });
});

describe('ErrorResponse', () => {
  it('names exactly the error codes the API answers (lib/http/errors.ts), so clients can rely on it', async () => {
    const { ErrorResponse } = await import('../../lib/schemas.ts');
    const { ErrorCode } = await import('../../lib/http/errors.ts');
    const options = (ErrorResponse.shape.error as unknown as { shape: { code: { options: string[] } } }).shape
      .code.options;
    expect([...options].sort()).toEqual(Object.values(ErrorCode).sort());
  });
});

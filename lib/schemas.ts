/**
 * The API's bodies as zod schemas: request schemas validate at the edge (strict: an unknown field is
 * a 400), and every schema here also feeds the OpenAPI document (lib/http/openapi.ts).
 */
import { MAX_DURATION_SECONDS, MIN_DURATION_SECONDS } from './core/sts-limits.ts';
import { UNSAFE_IN_LINE, UNSAFE_IN_TEXT } from './core/text.ts';
import * as z from './zod.ts';

/**
 * A schema, built where it is declared. Declared free of side effects, so that a function's bundle
 * drops (and its cold start never builds) the schemas its route does not use: every function bundles
 * this file, for its own route's schema alone (lib/http/routes.ts).
 */
/* @__NO_SIDE_EFFECTS__ */
function schema<T>(build: () => T): T {
  return build();
}

// Free text is trimmed before its length is checked (twenty spaces are no justification), and what
// is stored is the trimmed text. Control and bidi-override characters are refused (core/text.ts).
const noneOf = (unsafe: RegExp, what: string) =>
  z.refine<string>((s) => !unsafe.test(s), `must not contain ${what} or bidi-override characters`);

/** One line of text: identifiers, tickets, query values. */
const text = (min: number, max: number) =>
  z.string().check(z.trim(), z.minLength(min), z.maxLength(max), noneOf(UNSAFE_IN_LINE, 'control'));

/** Text people write (justifications, reasons, comments): newlines and tabs allowed. */
const longText = (min: number, max: number) =>
  z.string().check(
    z.overwrite((s) => s.replace(/\r\n/g, '\n')),
    z.trim(),
    z.minLength(min),
    z.maxLength(max),
    noneOf(UNSAFE_IN_TEXT, 'control (other than newline and tab)'),
    z.describe('Trimmed before its length is counted; no control (but newline and tab) or bidi characters'),
  );

const limitParam = schema(() =>
  z._default(
    z.pipe(
      z.string().check(z.regex(/^\d{1,3}$/, 'must be a whole number from 1 to 100')),
      z.pipe(z.transform(Number), z.int().check(z.gte(1), z.lte(100))),
    ),
    50,
  ),
);

export const VendRequest = schema(() =>
  z.strictObject({
    entitlementId: text(1, 128),
    requestId: z.optional(text(1, 128)),
    durationSeconds: z.optional(z.int().check(z.gte(MIN_DURATION_SECONDS), z.lte(MAX_DURATION_SECONDS))),
    breakGlass: z.optional(z.strictObject({ justification: longText(20, 1000) })),
  }),
);
export type VendRequest = z.infer<typeof VendRequest>;

/** POST /v1/console: a vend, plus the console page to land on (an https URL on an AWS console host). */
export const ConsoleRequest = schema(() =>
  z.strictObject({
    ...VendRequest.def.shape,
    destination: z.optional(
      text(1, 2048).check(z.describe('An https URL on an AWS console host; default the console home')),
    ),
  }),
);
export type ConsoleRequest = z.infer<typeof ConsoleRequest>;

export const CreateRequestBody = schema(() =>
  z.strictObject({
    entitlementId: text(1, 128),
    justification: longText(10, 1000),
    durationSeconds: z.optional(z.int().check(z.gte(MIN_DURATION_SECONDS), z.lte(MAX_DURATION_SECONDS))),
    ticket: z.optional(text(1, 128)),
  }),
);
export type CreateRequestBody = z.infer<typeof CreateRequestBody>;

export const ApproveBody = schema(() => z.strictObject({ comment: z.optional(longText(1, 1000)) }));
export const DenyBody = schema(() => z.strictObject({ reason: longText(1, 1000) }));
export const CancelBody = schema(() => z.strictObject({}));
/** POST /v1/slack/links: the one-time code `/hallpass link` showed in Slack. */
export const SlackLinkBody = schema(() =>
  z.strictObject({ code: z.string().check(z.minLength(1), z.maxLength(32)) }),
);
/** POST /v1/slack/links/{id}/unlink: nothing to say. */
export const UnlinkBody = schema(() => z.strictObject({}));
/** POST /v1/sessions/{id}/revoke: why the session must stop working. */
export const RevokeBody = schema(() => z.strictObject({ reason: longText(1, 1000) }));
/** POST /v1/revocations: every live session of one person, or of one entitlement. */
export const RevocationsBody = schema(() =>
  z.union([
    z.strictObject({ principal: text(1, 256), reason: longText(1, 1000) }),
    z.strictObject({ entitlementId: text(1, 128), reason: longText(1, 1000) }),
  ]),
);
export type RevocationsBody = z.infer<typeof RevocationsBody>;

export const ReviewBody = schema(() =>
  z.strictObject({
    status: z.enum(['justified', 'unjustified']),
    comment: longText(1, 1000),
  }),
);

export const REQUEST_STATUSES = [
  'pending',
  'approved',
  'denied',
  'cancelled',
  'expired',
  'consumed',
] as const;

export const ListRequestsQuery = schema(() =>
  z.strictObject({
    view: z._default(z.enum(['mine', 'approvable']), 'mine'),
    status: z.optional(z.enum(REQUEST_STATUSES)),
    limit: limitParam,
    cursor: z.optional(text(1, 2048)),
  }),
);
export type ListRequestsQuery = z.infer<typeof ListRequestsQuery>;

const timeParam = schema(() =>
  z.iso.datetime({
    offset: true,
    error: 'must be an RFC 3339 time, e.g. 2026-11-28T12:00:00Z',
  }),
);

/** The filters of the sessions audit query, shared by the listing and the export. */
const SESSION_FILTERS = schema(() => ({
  principal: z.optional(text(1, 256)),
  entitlementId: z.optional(text(1, 128)),
  roleArn: z.optional(text(1, 2048)),
  accessKeyId: z.optional(z.string().check(z.regex(/^[A-Z0-9]{16,128}$/, 'must be an access key id'))),
  requestId: z.optional(text(1, 128)),
  breakGlass: z.optional(z.enum(['true', 'false'])),
  from: z.optional(timeParam),
  to: z.optional(timeParam),
}));

export const SessionsQuery = schema(() =>
  z.strictObject({
    ...SESSION_FILTERS,
    limit: limitParam,
    cursor: z.optional(text(1, 4096)),
    format: z._default(z.enum(['json', 'ndjson', 'csv']), 'json'),
  }),
);
export type SessionsQuery = z.infer<typeof SessionsQuery>;

/**
 * GET /v1/sessions/export: the filters of GET /v1/sessions and every matching record (no page
 * size); `ocsf` (the default) adds the workflow events, as OCSF records.
 */
export const SessionsExportQuery = schema(() =>
  z.strictObject({
    ...SESSION_FILTERS,
    cursor: z.optional(text(1, 4096)),
    format: z._default(z.enum(['ocsf', 'ndjson', 'csv']), 'ocsf'),
  }),
);
export type SessionsExportQuery = z.infer<typeof SessionsExportQuery>;

export const EventsQuery = schema(() =>
  z.strictObject({
    requestId: z.optional(text(1, 128)),
    principal: z.optional(text(1, 256)),
    limit: limitParam,
    cursor: z.optional(text(1, 4096)),
  }),
);
export type EventsQuery = z.infer<typeof EventsQuery>;

const Time = schema(() => z.string().check(z.describe('RFC 3339 UTC time, e.g. 2026-11-28T12:00:00Z')));
const PersonRef = schema(() => z.object({ sub: z.string(), name: z.string() }));

export const Request = schema(() =>
  z.object({
    id: z.string(),
    entitlementId: z.string(),
    requester: PersonRef,
    justification: z.string(),
    ticket: z.nullable(z.string()),
    durationSeconds: z.int(),
    status: z.enum(REQUEST_STATUSES),
    approvals: z.array(z.object({ approver: PersonRef, at: Time, comment: z.nullable(z.string()) })),
    minApprovals: z.int(),
    denial: z.nullable(z.object({ by: PersonRef, at: Time, reason: z.string() })),
    createdAt: Time,
    expiresAt: Time,
    usesRemaining: z.int(),
  }),
);

export const RequestList = schema(() =>
  z.object({ items: z.array(Request), nextCursor: z.nullable(z.string()) }),
);

export const Entitlement = schema(() =>
  z.object({
    id: z.string(),
    description: z.string(),
    roleArn: z.string(),
    issuance: z.enum(['assume-role', 'web-identity']),
    region: z.optional(z.string().check(z.describe("The role's AWS region, when the catalog names one"))),
    maxDurationSeconds: z.int(),
    defaultDurationSeconds: z.int(),
    approval: z.object({
      required: z.boolean(),
      minApprovals: z.int(),
      approverGroups: z.array(z.string()),
      validForSeconds: z.nullable(z.int()),
      maxUses: z.nullable(z.int()),
    }),
    breakGlass: z.object({ allowed: z.boolean(), maxDurationSeconds: z.nullable(z.int()) }),
    canRequest: z.boolean(),
    canApprove: z.boolean(),
  }),
);

/**
 * The caller as the API authenticated them (extension): `sub` and `groups` as the catalog's rules
 * see them, a further issuer's with its `<name>:` prefix, and that issuer's name (`primary` for
 * HALLPASS_ISSUER's). Optional for clients: an API before it did not send it.
 */
export const Caller = schema(() =>
  z.object({
    sub: z.string(),
    name: z.string(),
    groups: z.array(z.string()),
    issuer: z.optional(
      z.string().check(z.describe("The issuer's name in HALLPASS_ISSUERS; primary for HALLPASS_ISSUER")),
    ),
  }),
);
export const EntitlementList = schema(() =>
  z.object({ items: z.array(Entitlement), caller: z.optional(Caller) }),
);

export const Session = schema(() =>
  z.object({
    id: z.string(),
    issuedAt: Time,
    expiresAt: Time,
    principal: z.object({ sub: z.string(), name: z.string(), groups: z.array(z.string()) }),
    entitlementId: z.string(),
    issuance: z.enum(['assume-role', 'web-identity']),
    roleArn: z.string(),
    assumedRoleArn: z.string(),
    sessionName: z.string(),
    sourceIdentity: z.string(),
    accessKeyId: z.string(),
    durationSeconds: z.int(),
    sessionPolicy: z.nullable(z.string()),
    policyArns: z.array(z.string()),
    tags: z.record(z.string(), z.string()),
    requestId: z.nullable(z.string()),
    approvers: z.array(PersonRef),
    breakGlass: z.nullable(
      z.object({
        justification: z.string(),
        review: z.object({
          status: z.enum(['pending', 'justified', 'unjustified']),
          reviewer: z.nullable(PersonRef),
          at: z.nullable(Time),
          comment: z.nullable(z.string()),
        }),
      }),
    ),
    client: z.object({ sourceIp: z.nullable(z.string()), userAgent: z.nullable(z.string()) }),
    revocation: z.optional(z.nullable(z.object({ at: Time, by: PersonRef, reason: z.string() }))),
  }),
);

export const SessionList = schema(() =>
  z.object({ items: z.array(Session), nextCursor: z.nullable(z.string()) }),
);

export const AuditEventView = schema(() =>
  z.object({
    id: z.string(),
    event: z.string(),
    at: Time,
    actor: PersonRef,
    principal: z.string(),
    requestId: z.nullable(z.string()),
    entitlementId: z.string(),
    details: z.record(z.string(), z.unknown()),
  }),
);
export const AuditEventList = schema(() =>
  z.object({
    items: z.array(AuditEventView),
    nextCursor: z.nullable(z.string()),
  }),
);

export const VendResponse = schema(() =>
  z.object({
    credentials: z.object({
      accessKeyId: z.string(),
      secretAccessKey: z.string(),
      sessionToken: z.string(),
      expiration: Time,
    }),
    session: Session,
  }),
);

export const ConsoleResponse = schema(() =>
  z.object({
    url: z.string().check(z.describe('The console sign-in URL: a bearer secret until it is used')),
    expiresAt: Time,
    session: Session,
  }),
);

/** Whether the deny was seen applied: by a canary session of the role that it denies (docs/api.md). */
const PropagationStatus = schema(() => z.enum(['observed', 'pending', 'unverified']));

export const RevocationResponse = schema(() =>
  z.object({
    revoked: z.array(Session),
    roles: z.array(
      z.object({
        roleArn: z.string(),
        scope: z.enum(['session', 'principal', 'entitlement']),
        roleWideFallback: z.boolean(),
        propagation: z.object({
          status: PropagationStatus,
          observedAt: z.nullable(Time),
          reason: z.nullable(z.string()),
        }),
      }),
    ),
    propagation: PropagationStatus,
  }),
);

export const Health = schema(() => z.object({ status: z.literal('ok') }));

export const ErrorResponse = schema(() =>
  z.object({
    error: z.object({
      code: z.enum([
        'invalid_request',
        'unauthenticated',
        'forbidden',
        'approval_required',
        'self_approval_forbidden',
        'not_found',
        'conflict',
        'revocation_policy_full',
        'payload_too_large',
        'unsupported_media_type',
        'too_many_requests',
        'upstream_unavailable',
        'internal',
        // The Slack link routes' own codes.
        'link_code_not_found',
        'link_not_found',
        'slack_not_configured',
        'slack_user_linked',
        'too_many_links',
      ]),
      message: z.string(),
      requestId: z.string(),
      details: z.optional(z.array(z.object({ path: z.string(), message: z.string() }))),
    }),
  }),
);

/** A link between a Slack user and the caller (issue 13). */
export const SlackLink = schema(() =>
  z.object({
    id: z.string().check(z.describe('<teamId>-<userId>')),
    teamId: z.string(),
    userId: z.string(),
    linkedAt: z.string(),
  }),
);
export const SlackLinkResponse = schema(() => z.object({ link: SlackLink }));
export const SlackLinkList = schema(() =>
  z.object({
    links: z.array(SlackLink),
    groups: z.object({
      refreshedAt: z.nullable(
        z.string().check(z.describe('when hallpass last recorded your groups; null: no link')),
      ),
      maxAgeSeconds: z.int().check(z.describe('Slack decisions use groups at most this old')),
    }),
  }),
);

/**
 * The OpenAPI 3.1 document of the API, generated from the table of routes (lib/http/routes.ts) and
 * the same zod schemas that validate requests (lib/schemas.ts), so the document cannot drift from
 * what is routed and what the handlers accept. Methods, paths, security, request bodies, query and
 * path parameters come from the table; only the prose and the responses are written here, in one
 * map that must name every route.
 */
import {
  ApproveBody,
  AuditEventList,
  CancelBody,
  ConsoleRequest,
  ConsoleResponse,
  CreateRequestBody,
  DenyBody,
  EntitlementList,
  ErrorResponse,
  Health,
  Request,
  RequestList,
  ReviewBody,
  RevocationResponse,
  RevocationsBody,
  RevokeBody,
  Session,
  SessionList,
  SlackLinkBody,
  SlackLinkList,
  SlackLinkResponse,
  UnlinkBody,
  VendRequest,
  VendResponse,
} from '../schemas.ts';
import * as z from '../zod.ts';
import { ROUTE_NAMES, ROUTES, type RouteName, type RouteSpec } from './routes.ts';

type Json = Record<string, unknown>;

const schema = (s: z.ZodMiniType, io: 'input' | 'output' = 'output'): Json => {
  const { $schema: _ignored, ...rest } = z.toJSONSchema(s, { io, unrepresentable: 'any' }) as Json;
  return rest;
};

/** Request bodies, named as components; a route's `body` is found here by identity. */
const BODIES = {
  VendRequest,
  ConsoleRequest,
  CreateRequestBody,
  ApproveBody,
  DenyBody,
  CancelBody,
  ReviewBody,
  RevokeBody,
  RevocationsBody,
  SlackLinkBody,
  UnlinkBody,
};

const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });

const errorResponse = (description: string) => ({
  description,
  content: { 'application/json': { schema: ref('Error') } },
});

const jsonResponse = (description: string, name: string, headers: Json = {}) => ({
  description,
  headers,
  content: { 'application/json': { schema: ref(name) } },
});

/** What every authenticated route may answer besides its own statuses. */
const authErrors = {
  '401': errorResponse('Missing, malformed, expired or unverifiable token'),
  '429': errorResponse('Over the rate limit'),
  '503': errorResponse(
    "DynamoDB, STS, the issuer's JWKS, KMS, IAM or the federation endpoint failed; Retry-After is set; nothing handed out",
  ),
};

/** What every route that takes a body may answer (API.md, Conventions). */
const bodyErrors = {
  '413': errorResponse('Body over 16 KiB'),
  '415': errorResponse('Body is not JSON'),
};

const decision = (summary: string): Operation => ({
  summary,
  responses: {
    '200': jsonResponse('The request after the decision', 'Request'),
    '400': errorResponse('Invalid body'),
    '403': errorResponse('forbidden, or self_approval_forbidden'),
    '404': errorResponse('Unknown request'),
    '409': errorResponse('Not pending, already approved by this approver, or expired'),
  },
});

/** Slack's requests: form-encoded, signed with the app's signing secret. */
const slackForm = (description: string): Json => ({
  required: true,
  content: { 'application/x-www-form-urlencoded': { schema: { type: 'object', description } } },
});

const slackErrors = {
  '400': errorResponse('Not a Slack payload'),
  '401': errorResponse('Missing, stale (over 5 minutes) or wrong X-Slack-Signature: nothing changes'),
  '413': errorResponse('Body over 64 KiB'),
  '415': errorResponse('Body is not application/x-www-form-urlencoded'),
  '503': errorResponse('DynamoDB, SSM (the signing secret) or Slack failed; Retry-After is set'),
};

interface Operation {
  summary: string;
  /** A body the table does not describe (Slack's form-encoded requests). */
  requestBody?: Json;
  /** The route's own statuses; the authentication and body errors are added from the table. */
  responses: Record<string, Json>;
}

/** The prose and responses of each route: TypeScript refuses a route of the table missing here. */
const OPERATIONS: Record<RouteName, Operation> = {
  health: { summary: 'Liveness', responses: { '200': jsonResponse('Alive', 'Health') } },
  openapi: { summary: 'This document', responses: { '200': { description: 'OpenAPI 3.1' } } },
  entitlements: {
    summary: 'The entitlements the caller may request, approve or break glass on',
    responses: { '200': jsonResponse('The catalog as it applies to the caller', 'EntitlementList') },
  },
  credentials: {
    summary: 'Vend temporary AWS credentials for an entitlement',
    responses: {
      '200': jsonResponse('Credentials and the audit record of the session', 'VendResponse', {
        'Cache-Control': { schema: { type: 'string', const: 'no-store' } },
      }),
      '400': errorResponse('Invalid body, duration out of range, or an entitlement STS cannot issue'),
      '403': errorResponse('forbidden, or approval_required'),
      '404': errorResponse('Unknown entitlement or request'),
      '409': errorResponse('Approval expired or used up'),
    },
  },
  console: {
    summary: 'Vend a session as POST /v1/credentials does, and answer an AWS console sign-in URL for it',
    responses: {
      '200': jsonResponse(
        'The sign-in URL (a bearer secret), its expiry and the session',
        'ConsoleResponse',
        {
          'Cache-Control': { schema: { type: 'string', const: 'no-store' } },
        },
      ),
      '400': errorResponse(
        'Invalid body, a destination off the AWS console hosts, duration out of range, or an entitlement STS cannot issue',
      ),
      '403': errorResponse('forbidden, or approval_required'),
      '404': errorResponse('Unknown entitlement or request'),
      '409': errorResponse('Approval expired or used up'),
    },
  },
  'oidc-configuration': {
    summary: "hallpass's OIDC discovery document, for STS (web-identity issuance)",
    responses: { '200': { description: 'OpenID Provider Metadata (issuer, jwks_uri)' } },
  },
  'oidc-jwks': {
    summary: "The public keys of the KMS keys that sign hallpass's web identity tokens",
    responses: {
      '200': { description: 'A JWK Set' },
      '503': errorResponse('KMS could not be read; Retry-After is set'),
    },
  },
  'requests-create': {
    summary: 'Ask for access that needs approval',
    responses: {
      '201': jsonResponse('The request: pending, or approved at once if no approval is needed', 'Request'),
      '400': errorResponse('Invalid body or duration'),
      '403': errorResponse('Not in the requester groups'),
      '404': errorResponse('Unknown entitlement'),
    },
  },
  'requests-list': {
    summary: "The caller's requests (view=mine) or those they may decide (view=approvable), newest first",
    responses: {
      '200': jsonResponse('A page of requests', 'RequestList'),
      '400': errorResponse('Bad parameter or cursor'),
    },
  },
  'requests-get': {
    summary: 'One request, for its requester, its eligible approvers and auditors',
    responses: {
      '200': jsonResponse('The request', 'Request'),
      '404': errorResponse('Unknown or not visible'),
    },
  },
  'requests-approve': decision('Approve (eligible approvers, never the requester)'),
  'requests-deny': decision('Deny a pending request (eligible approvers)'),
  'requests-cancel': decision('Cancel (the requester, while pending or usable)'),
  'sessions-list': {
    summary: 'Audit query over issued sessions, newest first (auditors: all; others: their own)',
    responses: {
      '200': {
        description:
          'A page of sessions (json), or every matching session (ndjson, csv; X-Next-Cursor if cut at 5 MB)',
        content: {
          'application/json': { schema: ref('SessionList') },
          'application/x-ndjson': { schema: { type: 'string' } },
          'text/csv': { schema: { type: 'string' } },
        },
      },
      '400': errorResponse('Bad parameter, reversed time range or bad cursor'),
    },
  },
  'sessions-export': {
    summary:
      'Every matching session for a SIEM (auditors: all; others: their own); ocsf adds the workflow events',
    responses: {
      '200': {
        description:
          'ocsf (default): one OCSF 1.5.0 record per line, sessions as Authentication (3002), workflow events as Entity Management (3004); ndjson, csv: the sessions as GET /v1/sessions exports them. X-Next-Cursor if cut at 5 MB or 10 s',
        headers: { 'X-Next-Cursor': { schema: { type: 'string' }, description: 'Continues a cut export' } },
        content: {
          'application/x-ndjson': { schema: { type: 'string' } },
          'text/csv': { schema: { type: 'string' } },
        },
      },
      '400': errorResponse('Bad parameter, reversed time range or bad cursor'),
    },
  },
  'sessions-get': {
    summary: 'One session, for auditors and for its principal',
    responses: {
      '200': jsonResponse('The session', 'Session'),
      '404': errorResponse('Unknown or not visible'),
    },
  },
  'sessions-review': {
    summary: "An auditor's verdict on a break-glass session (auditors, never on their own session)",
    responses: {
      '200': jsonResponse('The session with its review', 'Session'),
      '400': errorResponse('Invalid body'),
      '403': errorResponse('forbidden (not an auditor), or self_approval_forbidden'),
      '404': errorResponse('Unknown session'),
      '409': errorResponse('Not a break-glass session, or already reviewed'),
    },
  },
  'sessions-revoke': {
    summary:
      "Revoke one live session (auditors, and the session's principal): its role denies it from now on (IAM: within seconds)",
    responses: {
      '200': jsonResponse(
        'What was revoked, how each role denies it, and whether a canary of each role was seen denied',
        'RevocationResponse',
      ),
      '400': errorResponse('Invalid body'),
      '404': errorResponse('Unknown or not visible'),
      '409': errorResponse(
        "conflict (already revoked, or expired), or revocation_policy_full (the session's own principal, when the role's deny policy is full: only an auditor may revoke now; nothing changed)",
      ),
      '429': errorResponse('A person revoking more than 20 of their own sessions in an hour'),
    },
  },
  revocations: {
    summary:
      'Revoke every live session of a person (auditors, or that person) or of an entitlement (auditors)',
    responses: {
      '200': jsonResponse(
        'What was revoked, how each role denies it, and whether a canary of each role was seen denied',
        'RevocationResponse',
      ),
      '400': errorResponse('Invalid body: exactly one of principal and entitlementId, and a reason'),
      '403': errorResponse('forbidden'),
      '404': errorResponse('Unknown entitlement'),
      '409': errorResponse(
        'conflict (no live session to revoke), or revocation_policy_full (a person revoking their own sessions when a role deny policy is full)',
      ),
      '429': errorResponse('A person revoking more than 20 of their own sessions in an hour'),
    },
  },
  'events-list': {
    summary: 'The story of a request or a person: request.* events and credentials.issued, newest first',
    responses: {
      '200': jsonResponse('A page of events', 'AuditEventList'),
      '400': errorResponse('Bad parameter or cursor'),
    },
  },
  'slack-links-list': {
    summary: "The caller's Slack links, and when hallpass last recorded the groups Slack decisions use",
    responses: {
      '200': jsonResponse('The links (oldest first) and the groups refresh time', 'SlackLinkList'),
      '404': errorResponse('slack_not_configured'),
    },
  },
  'slack-links-create': {
    summary: 'Link the Slack user who ran /hallpass link (its one-time code) to the caller',
    responses: {
      '201': jsonResponse('The new link', 'SlackLinkResponse'),
      '400': errorResponse('Invalid body, or not a link code'),
      '404': errorResponse(
        'link_code_not_found (unknown, used or expired: one answer), or slack_not_configured',
      ),
      '409': errorResponse(
        'slack_user_linked (that Slack user is linked to someone else), or too_many_links (5)',
      ),
    },
  },
  'slack-links-unlink': {
    summary: "Remove one of the caller's Slack links",
    responses: {
      '200': jsonResponse('The removed link', 'SlackLinkResponse'),
      '404': errorResponse('link_not_found, or slack_not_configured'),
    },
  },
  'slack-commands': {
    summary: "Slack's slash command (/hallpass link, unlink, whoami, help): Slack's signature, no token",
    requestBody: slackForm("Slack's slash-command fields (team_id, user_id, command, text, ...)"),
    responses: {
      '200': {
        description:
          'An answer only the caller sees ({response_type: "ephemeral", text}); empty for a replay',
        content: { 'application/json': { schema: { type: 'object' } } },
      },
      ...slackErrors,
    },
  },
  'slack-interactions': {
    summary: "Approve and Deny pressed in Slack, and the Deny modal submitted: Slack's signature, no token",
    requestBody: slackForm('payload: the JSON of a block_actions or view_submission interaction'),
    responses: {
      '200': {
        description:
          'Acknowledged within Slack\'s 3 s (empty; a modal problem as {response_action: "errors"}); the outcome reaches the clicker as an ephemeral message',
        content: { 'application/json': { schema: { type: 'object' } } },
      },
      ...slackErrors,
    },
  },
  'web-index': {
    summary: 'The web console (Cache-Control: no-cache; a strict Content-Security-Policy)',
    responses: {
      '200': { description: 'The console page', content: { 'text/html': { schema: { type: 'string' } } } },
      '404': errorResponse('The console was not built into this deployment'),
    },
  },
  'web-assets': {
    summary: "A script or style of the web console, named by its content's hash (cached for a year)",
    responses: {
      '200': {
        description: 'The asset',
        content: {
          'text/javascript': { schema: { type: 'string' } },
          'text/css': { schema: { type: 'string' } },
        },
      },
      '404': errorResponse('No such asset'),
    },
  },
};

const ID = {
  name: 'id',
  in: 'path',
  required: true,
  schema: { type: 'string', pattern: '^[a-z0-9]{1,64}$' },
};

/** A Slack link's id: the Slack team and user ids. */
const LINK_ID = {
  name: 'id',
  in: 'path',
  required: true,
  schema: { type: 'string', pattern: '^[A-Z0-9]{2,32}-[A-Z0-9]{2,32}$' },
};

const FILE = {
  name: 'file',
  in: 'path',
  required: true,
  schema: { type: 'string', pattern: '^[\\w-]+\\.(js|css)$' },
};

/** Said of a query parameter wherever a route takes it. */
const QUERY_DESCRIPTIONS: Record<string, string> = { cursor: 'nextCursor of the previous page' };

/**
 * One parameter per property of the route's strict query schema. The schema is the parsed value's
 * (`output`): `limit` is then the integer 1..100 it stands for, not the digits that carry it.
 */
function queryParameters(query: z.ZodMiniType): Json[] {
  const shape = (query as z.ZodMiniObject)._zod.def.shape as Record<string, z.ZodMiniType>;
  return Object.entries(shape).map(([name, property]) => {
    const description = QUERY_DESCRIPTIONS[name];
    return {
      name,
      in: 'query',
      required: property._zod.optin === undefined,
      schema: { ...schema(property), ...(description ? { description } : {}) },
    };
  });
}

function requestBody(spec: RouteSpec): Json {
  const name = Object.entries(BODIES).find(([, body]) => body === spec.body)?.[0];
  if (!name) throw new Error(`the body schema of ${spec.method} ${spec.path} has no name in BODIES`);
  return { required: !spec.emptyBody, content: { 'application/json': { schema: ref(name) } } };
}

function operation(name: RouteName): Json {
  const spec: RouteSpec = ROUTES[name];
  const { summary, responses, requestBody: form } = OPERATIONS[name];
  const parameters = [
    ...(spec.path.includes('{id}') ? [spec.path.startsWith('/v1/slack/') ? LINK_ID : ID] : []),
    ...(spec.path.includes('{file}') ? [FILE] : []),
    ...(spec.query ? queryParameters(spec.query) : []),
  ];
  return {
    summary,
    security: spec.auth ? [{ bearer: [] }] : [],
    ...(parameters.length > 0 ? { parameters } : {}),
    ...(spec.body ? { requestBody: requestBody(spec) } : form ? { requestBody: form } : {}),
    responses: {
      ...responses,
      ...(spec.body ? bodyErrors : {}),
      ...(spec.auth ? authErrors : {}),
    },
  };
}

function paths(): Record<string, Record<string, Json>> {
  const byPath: Record<string, Record<string, Json>> = {};
  for (const name of ROUTE_NAMES) {
    const { method, path } = ROUTES[name];
    byPath[path] = { ...byPath[path], [method.toLowerCase()]: operation(name) };
  }
  return byPath;
}

let document: Json | undefined;

export function openApiDocument(): Json {
  document ??= {
    openapi: '3.1.0',
    info: {
      title: 'hallpass',
      version: '1.0.0',
      description: 'Just-in-time AWS credentials: OIDC bearer token in, audited STS session out.',
    },
    servers: [{ url: '/' }],
    components: {
      securitySchemes: { bearer: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' } },
      schemas: {
        ...Object.fromEntries(Object.entries(BODIES).map(([name, body]) => [name, schema(body, 'input')])),
        VendResponse: schema(VendResponse),
        ConsoleResponse: schema(ConsoleResponse),
        Session: schema(Session),
        RevocationResponse: schema(RevocationResponse),
        EntitlementList: schema(EntitlementList),
        Health: schema(Health),
        Request: schema(Request),
        RequestList: schema(RequestList),
        SessionList: schema(SessionList),
        AuditEventList: schema(AuditEventList),
        SlackLinkList: schema(SlackLinkList),
        SlackLinkResponse: schema(SlackLinkResponse),
        Error: schema(ErrorResponse),
      },
    },
    paths: paths(),
  };
  return document;
}

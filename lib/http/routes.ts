/**
 * Every HTTP route of the API, in one table: method, path, the handler file under functions/, whether
 * it needs a bearer token, and the strict schemas of its body and query. The handlers take their
 * middleware options from here, the OpenAPI document and the test route lists are derived from it,
 * and a test checks that serverless.yml routes exactly these (test/deploy/routes.test.ts).
 */
import {
  ApproveBody,
  CancelBody,
  ConsoleRequest,
  CreateRequestBody,
  DenyBody,
  EventsQuery,
  ListRequestsQuery,
  ReviewBody,
  RevocationsBody,
  RevokeBody,
  SessionsExportQuery,
  SessionsQuery,
  SlackLinkBody,
  UnlinkBody,
  VendRequest,
} from '../schemas.ts';
import type * as z from '../zod.ts';

export interface RouteSpec {
  method: 'GET' | 'POST';
  /** As API Gateway routes it, path parameters in braces. */
  path: string;
  /** Whether the route needs a bearer token (all but health, openapi, the OIDC documents, the web console's files and Slack's signed requests). */
  auth: boolean;
  /** The strict schema of the body, for routes that take one. */
  body?: z.ZodMiniType;
  /** Whether an empty body is acceptable (routes whose fields are all optional). */
  emptyBody?: boolean;
  /** The strict schema of the query string, for routes that take one. */
  query?: z.ZodMiniType;
}

/** Keyed by the handler's file name in functions/ (`requests-approve` -> functions/requests-approve.ts). */
export const ROUTES = {
  health: { method: 'GET', path: '/v1/health', auth: false },
  openapi: { method: 'GET', path: '/v1/openapi.json', auth: false },
  entitlements: { method: 'GET', path: '/v1/entitlements', auth: true },
  credentials: { method: 'POST', path: '/v1/credentials', auth: true, body: VendRequest },
  console: { method: 'POST', path: '/v1/console', auth: true, body: ConsoleRequest },
  // hallpass as an OIDC provider (web-identity issuance): STS reads these, without a token.
  'oidc-configuration': { method: 'GET', path: '/.well-known/openid-configuration', auth: false },
  'oidc-jwks': { method: 'GET', path: '/.well-known/jwks.json', auth: false },
  'requests-create': { method: 'POST', path: '/v1/requests', auth: true, body: CreateRequestBody },
  'requests-list': { method: 'GET', path: '/v1/requests', auth: true, query: ListRequestsQuery },
  'requests-get': { method: 'GET', path: '/v1/requests/{id}', auth: true },
  'requests-approve': {
    method: 'POST',
    path: '/v1/requests/{id}/approve',
    auth: true,
    body: ApproveBody,
    emptyBody: true,
  },
  'requests-deny': { method: 'POST', path: '/v1/requests/{id}/deny', auth: true, body: DenyBody },
  'requests-cancel': {
    method: 'POST',
    path: '/v1/requests/{id}/cancel',
    auth: true,
    body: CancelBody,
    emptyBody: true,
  },
  'sessions-list': { method: 'GET', path: '/v1/sessions', auth: true, query: SessionsQuery },
  'sessions-export': { method: 'GET', path: '/v1/sessions/export', auth: true, query: SessionsExportQuery },
  'sessions-get': { method: 'GET', path: '/v1/sessions/{id}', auth: true },
  'sessions-review': { method: 'POST', path: '/v1/sessions/{id}/review', auth: true, body: ReviewBody },
  'events-list': { method: 'GET', path: '/v1/events', auth: true, query: EventsQuery },
  // Revocation of live sessions (the role's deny policy): one session, or a person's or an entitlement's.
  'sessions-revoke': { method: 'POST', path: '/v1/sessions/{id}/revoke', auth: true, body: RevokeBody },
  revocations: { method: 'POST', path: '/v1/revocations', auth: true, body: RevocationsBody },
  // Slack approvals: the caller's links (a person ties their Slack user to themselves with a one-time
  // code), and Slack's own requests, which carry Slack's signature instead of a token.
  'slack-links-list': { method: 'GET', path: '/v1/slack/links', auth: true },
  'slack-links-create': { method: 'POST', path: '/v1/slack/links', auth: true, body: SlackLinkBody },
  'slack-links-unlink': {
    method: 'POST',
    path: '/v1/slack/links/{id}/unlink',
    auth: true,
    body: UnlinkBody,
    emptyBody: true,
  },
  'slack-commands': { method: 'POST', path: '/v1/slack/commands', auth: false },
  'slack-interactions': { method: 'POST', path: '/v1/slack/interactions', auth: false },
  // The web console (web/), on the API's own origin: its page and its content-hashed assets.
  'web-index': { method: 'GET', path: '/', auth: false },
  'web-assets': { method: 'GET', path: '/assets/{file}', auth: false },
} as const satisfies Record<string, RouteSpec>;

export type RouteName = keyof typeof ROUTES;

/** Every route name, in the table's order. */
export const ROUTE_NAMES = Object.keys(ROUTES) as RouteName[];

/**
 * The catch-all for paths no route matches (a JSON 404): routed as `httpApi: "*"` in serverless.yml,
 * so it is not in the table of routes.
 */
export const NOT_FOUND = { method: 'GET', path: '*', auth: false } as const satisfies RouteSpec;

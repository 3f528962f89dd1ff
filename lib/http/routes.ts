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

/**
 * One route's spec, as written. Declared free of side effects, so that a bundle drops the routes it
 * does not import, and with them the schemas only they use (lib/schemas.ts).
 */
/* @__NO_SIDE_EFFECTS__ */
function route<const Spec extends RouteSpec>(spec: Spec): Spec {
  return spec;
}

// Each route under its handler's name (functions/requests-approve.ts imports requestsApproveRoute).
// A function imports its own route alone: its bundle keeps, and its cold start builds, only that
// route's schemas. The table below serves the OpenAPI document and the tests.
export const healthRoute = route({ method: 'GET', path: '/v1/health', auth: false });
export const openapiRoute = route({ method: 'GET', path: '/v1/openapi.json', auth: false });
export const entitlementsRoute = route({ method: 'GET', path: '/v1/entitlements', auth: true });
export const credentialsRoute = route({
  method: 'POST',
  path: '/v1/credentials',
  auth: true,
  body: VendRequest,
});
export const consoleRoute = route({ method: 'POST', path: '/v1/console', auth: true, body: ConsoleRequest });
// hallpass as an OIDC provider (web-identity issuance): STS reads these, without a token.
export const oidcConfigurationRoute = route({
  method: 'GET',
  path: '/.well-known/openid-configuration',
  auth: false,
});
export const oidcJwksRoute = route({ method: 'GET', path: '/.well-known/jwks.json', auth: false });
export const requestsCreateRoute = route({
  method: 'POST',
  path: '/v1/requests',
  auth: true,
  body: CreateRequestBody,
});
export const requestsListRoute = route({
  method: 'GET',
  path: '/v1/requests',
  auth: true,
  query: ListRequestsQuery,
});
export const requestsGetRoute = route({ method: 'GET', path: '/v1/requests/{id}', auth: true });
export const requestsApproveRoute = route({
  method: 'POST',
  path: '/v1/requests/{id}/approve',
  auth: true,
  body: ApproveBody,
  emptyBody: true,
});
export const requestsDenyRoute = route({
  method: 'POST',
  path: '/v1/requests/{id}/deny',
  auth: true,
  body: DenyBody,
});
export const requestsCancelRoute = route({
  method: 'POST',
  path: '/v1/requests/{id}/cancel',
  auth: true,
  body: CancelBody,
  emptyBody: true,
});
export const sessionsListRoute = route({
  method: 'GET',
  path: '/v1/sessions',
  auth: true,
  query: SessionsQuery,
});
export const sessionsExportRoute = route({
  method: 'GET',
  path: '/v1/sessions/export',
  auth: true,
  query: SessionsExportQuery,
});
export const sessionsGetRoute = route({ method: 'GET', path: '/v1/sessions/{id}', auth: true });
export const sessionsReviewRoute = route({
  method: 'POST',
  path: '/v1/sessions/{id}/review',
  auth: true,
  body: ReviewBody,
});
export const eventsListRoute = route({ method: 'GET', path: '/v1/events', auth: true, query: EventsQuery });
// Revocation of live sessions (the role's deny policy): one session, or a person's or an entitlement's.
export const sessionsRevokeRoute = route({
  method: 'POST',
  path: '/v1/sessions/{id}/revoke',
  auth: true,
  body: RevokeBody,
});
export const revocationsRoute = route({
  method: 'POST',
  path: '/v1/revocations',
  auth: true,
  body: RevocationsBody,
});
// Slack approvals: the caller's links (a person ties their Slack user to themselves with a one-time
// code), and Slack's own requests, which carry Slack's signature instead of a token.
export const slackLinksListRoute = route({ method: 'GET', path: '/v1/slack/links', auth: true });
export const slackLinksCreateRoute = route({
  method: 'POST',
  path: '/v1/slack/links',
  auth: true,
  body: SlackLinkBody,
});
export const slackLinksUnlinkRoute = route({
  method: 'POST',
  path: '/v1/slack/links/{id}/unlink',
  auth: true,
  body: UnlinkBody,
  emptyBody: true,
});
export const slackCommandsRoute = route({ method: 'POST', path: '/v1/slack/commands', auth: false });
export const slackInteractionsRoute = route({ method: 'POST', path: '/v1/slack/interactions', auth: false });
// The web console (web/), on the API's own origin: its page and its content-hashed assets.
export const webIndexRoute = route({ method: 'GET', path: '/', auth: false });
export const webAssetsRoute = route({ method: 'GET', path: '/assets/{file}', auth: false });

/** Keyed by the handler's file name in functions/ (`requests-approve` -> functions/requests-approve.ts). */
export const ROUTES = {
  health: healthRoute,
  openapi: openapiRoute,
  entitlements: entitlementsRoute,
  credentials: credentialsRoute,
  console: consoleRoute,
  'oidc-configuration': oidcConfigurationRoute,
  'oidc-jwks': oidcJwksRoute,
  'requests-create': requestsCreateRoute,
  'requests-list': requestsListRoute,
  'requests-get': requestsGetRoute,
  'requests-approve': requestsApproveRoute,
  'requests-deny': requestsDenyRoute,
  'requests-cancel': requestsCancelRoute,
  'sessions-list': sessionsListRoute,
  'sessions-export': sessionsExportRoute,
  'sessions-get': sessionsGetRoute,
  'sessions-review': sessionsReviewRoute,
  'events-list': eventsListRoute,
  'sessions-revoke': sessionsRevokeRoute,
  revocations: revocationsRoute,
  'slack-links-list': slackLinksListRoute,
  'slack-links-create': slackLinksCreateRoute,
  'slack-links-unlink': slackLinksUnlinkRoute,
  'slack-commands': slackCommandsRoute,
  'slack-interactions': slackInteractionsRoute,
  'web-index': webIndexRoute,
  'web-assets': webAssetsRoute,
} as const satisfies Record<string, RouteSpec>;

export type RouteName = keyof typeof ROUTES;

/** Every route name, in the table's order. */
export const ROUTE_NAMES = /* @__PURE__ */ Object.keys(ROUTES) as RouteName[];

/**
 * The catch-all for paths no route matches (a JSON 404): routed as `httpApi: "*"` in serverless.yml,
 * so it is not in the table of routes.
 */
export const NOT_FOUND = { method: 'GET', path: '*', auth: false } as const satisfies RouteSpec;

/** GET /v1/events?requestId=|principal=: the story of a request or a person, newest first. */
import { authenticator, containerDeps } from '../lib/deps.ts';
import { parseQuery } from '../lib/http/params.ts';
import { httpRoute, json } from '../lib/http/route.ts';
import { eventsListRoute } from '../lib/http/routes.ts';
import { queryEvents } from '../lib/use-cases/query-audit.ts';

const route = eventsListRoute;
const deps = containerDeps();

export const handler = httpRoute(route, authenticator()).handler(async (event) =>
  json(200, await queryEvents(deps, event.hallpass.principal, parseQuery(event, route.query))),
);

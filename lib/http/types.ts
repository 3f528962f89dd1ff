/** The HTTP event as the route middlewares leave it for handlers, and the result they return. */
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import type { Principal } from '../core/principal.ts';

/** What the middlewares established, in `event.hallpass`. */
export interface RouteContext<Body> {
  requestId: string;
  principal: Principal;
  body: Body;
  client: { sourceIp: string | null; userAgent: string | null };
}

export type HttpEvent<Body = undefined> = APIGatewayProxyEventV2 & { hallpass: RouteContext<Body> };
export type HttpResult = APIGatewayProxyStructuredResultV2 & { statusCode: number; body: string };

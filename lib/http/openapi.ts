/**
 * The OpenAPI 3.1 document of the API, generated from the same zod schemas that validate requests
 * (lib/schemas.ts), so the document cannot drift from what the handlers accept.
 */
import { EntitlementList, ErrorResponse, Health, Session, VendRequest, VendResponse } from '../schemas.ts';
import { z } from '../zod.ts';

const schema = (s: z.ZodMiniType, io: 'input' | 'output' = 'output') => {
  const { $schema: _ignored, ...rest } = z.toJSONSchema(s, { io, unrepresentable: 'any' }) as Record<
    string,
    unknown
  >;
  return rest;
};

const errorResponse = (description: string) => ({
  description,
  content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } },
});

const jsonResponse = (description: string, ref: string, headers: Record<string, unknown> = {}) => ({
  description,
  headers,
  content: { 'application/json': { schema: { $ref: `#/components/schemas/${ref}` } } },
});

const authErrors = {
  '401': errorResponse('Missing, malformed, expired or unverifiable token'),
  '429': errorResponse('Over the rate limit'),
  '503': errorResponse("DynamoDB, STS or the issuer's JWKS failed; Retry-After is set; nothing issued"),
};

let document: Record<string, unknown> | undefined;

export function openApiDocument(): Record<string, unknown> {
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
        VendRequest: schema(VendRequest, 'input'),
        VendResponse: schema(VendResponse),
        Session: schema(Session),
        EntitlementList: schema(EntitlementList),
        Health: schema(Health),
        Error: schema(ErrorResponse),
      },
    },
    paths: {
      '/v1/health': {
        get: { summary: 'Liveness', security: [], responses: { '200': jsonResponse('Alive', 'Health') } },
      },
      '/v1/openapi.json': {
        get: { summary: 'This document', security: [], responses: { '200': { description: 'OpenAPI 3.1' } } },
      },
      '/v1/entitlements': {
        get: {
          summary: 'The entitlements the caller may request, approve or break glass on',
          security: [{ bearer: [] }],
          responses: {
            '200': jsonResponse('The catalog as it applies to the caller', 'EntitlementList'),
            ...authErrors,
          },
        },
      },
      '/v1/credentials': {
        post: {
          summary: 'Vend temporary AWS credentials for an entitlement',
          security: [{ bearer: [] }],
          requestBody: {
            required: true,
            content: { 'application/json': { schema: { $ref: '#/components/schemas/VendRequest' } } },
          },
          responses: {
            '200': jsonResponse('Credentials and the audit record of the session', 'VendResponse', {
              'Cache-Control': { schema: { type: 'string', const: 'no-store' } },
            }),
            '400': errorResponse('Invalid body, duration out of range, or an entitlement STS cannot issue'),
            '403': errorResponse('forbidden, or approval_required'),
            '404': errorResponse('Unknown entitlement or request'),
            '409': errorResponse('Approval expired or used up'),
            '413': errorResponse('Body over 16 KiB'),
            '415': errorResponse('Body is not JSON'),
            ...authErrors,
          },
        },
      },
    },
  };
  return document;
}

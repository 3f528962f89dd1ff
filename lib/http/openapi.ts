/**
 * The OpenAPI 3.1 document of the API, generated from the same zod schemas that validate requests
 * (lib/schemas.ts), so the document cannot drift from what the handlers accept.
 */
import {
  ApproveBody,
  AuditEventList,
  CreateRequestBody,
  DenyBody,
  EntitlementList,
  ErrorResponse,
  Health,
  Request,
  RequestList,
  Session,
  SessionList,
  VendRequest,
  VendResponse,
} from '../schemas.ts';
import * as z from '../zod.ts';

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

const body = (ref: string, required = true) => ({
  required,
  content: { 'application/json': { schema: { $ref: `#/components/schemas/${ref}` } } },
});

const query = (name: string, schema: Record<string, unknown>) => ({
  name,
  in: 'query',
  required: false,
  schema,
});
const ID = {
  name: 'id',
  in: 'path',
  required: true,
  schema: { type: 'string', pattern: '^[a-z0-9]{1,64}$' },
};

const decision = (summary: string, bodyRef: string | null, bodyRequired: boolean) => ({
  post: {
    summary,
    security: [{ bearer: [] }],
    parameters: [ID],
    ...(bodyRef ? { requestBody: body(bodyRef, bodyRequired) } : {}),
    responses: {
      '200': jsonResponse('The request after the decision', 'Request'),
      '400': errorResponse('Invalid body'),
      '403': errorResponse('forbidden, or self_approval_forbidden'),
      '404': errorResponse('Unknown request'),
      '409': errorResponse('Not pending, already approved by this approver, or expired'),
      ...authErrors,
    },
  },
});

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
        CreateRequestBody: schema(CreateRequestBody, 'input'),
        ApproveBody: schema(ApproveBody, 'input'),
        DenyBody: schema(DenyBody, 'input'),
        Request: schema(Request),
        RequestList: schema(RequestList),
        SessionList: schema(SessionList),
        AuditEventList: schema(AuditEventList),
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
      '/v1/requests': {
        post: {
          summary: 'Ask for access that needs approval',
          security: [{ bearer: [] }],
          requestBody: body('CreateRequestBody'),
          responses: {
            '201': jsonResponse(
              'The request: pending, or approved at once if no approval is needed',
              'Request',
            ),
            '400': errorResponse('Invalid body or duration'),
            '403': errorResponse('Not in the requester groups'),
            '404': errorResponse('Unknown entitlement'),
            ...authErrors,
          },
        },
        get: {
          summary:
            "The caller's requests (view=mine) or those they may decide (view=approvable), newest first",
          security: [{ bearer: [] }],
          parameters: [
            query('view', { type: 'string', enum: ['mine', 'approvable'], default: 'mine' }),
            query('status', {
              type: 'string',
              enum: ['pending', 'approved', 'denied', 'cancelled', 'expired', 'consumed'],
            }),
            query('limit', { type: 'integer', minimum: 1, maximum: 100, default: 50 }),
            query('cursor', { type: 'string', description: 'nextCursor of the previous page' }),
          ],
          responses: {
            '200': jsonResponse('A page of requests', 'RequestList'),
            '400': errorResponse('Bad parameter or cursor'),
            ...authErrors,
          },
        },
      },
      '/v1/requests/{id}': {
        get: {
          summary: 'One request, for its requester, its eligible approvers and auditors',
          security: [{ bearer: [] }],
          parameters: [ID],
          responses: {
            '200': jsonResponse('The request', 'Request'),
            '404': errorResponse('Unknown or not visible'),
            ...authErrors,
          },
        },
      },
      '/v1/requests/{id}/approve': decision(
        'Approve (eligible approvers, never the requester)',
        'ApproveBody',
        false,
      ),
      '/v1/requests/{id}/deny': decision('Deny a pending request (eligible approvers)', 'DenyBody', true),
      '/v1/requests/{id}/cancel': decision('Cancel (the requester, while pending or usable)', null, false),
      '/v1/sessions': {
        get: {
          summary: 'Audit query over issued sessions, newest first (auditors: all; others: their own)',
          security: [{ bearer: [] }],
          parameters: [
            query('principal', { type: 'string' }),
            query('entitlementId', { type: 'string' }),
            query('roleArn', { type: 'string' }),
            query('accessKeyId', { type: 'string' }),
            query('requestId', { type: 'string' }),
            query('breakGlass', { type: 'string', enum: ['true', 'false'] }),
            query('from', { type: 'string', format: 'date-time' }),
            query('to', { type: 'string', format: 'date-time' }),
            query('limit', { type: 'integer', minimum: 1, maximum: 100, default: 50 }),
            query('cursor', { type: 'string' }),
            query('format', { type: 'string', enum: ['json', 'ndjson', 'csv'], default: 'json' }),
          ],
          responses: {
            '200': {
              description:
                'A page of sessions (json), or every matching session (ndjson, csv; X-Next-Cursor if cut at 5 MB)',
              content: {
                'application/json': { schema: { $ref: '#/components/schemas/SessionList' } },
                'application/x-ndjson': { schema: { type: 'string' } },
                'text/csv': { schema: { type: 'string' } },
              },
            },
            '400': errorResponse('Bad parameter, reversed time range or bad cursor'),
            ...authErrors,
          },
        },
      },
      '/v1/sessions/{id}': {
        get: {
          summary: 'One session, for auditors and for its principal',
          security: [{ bearer: [] }],
          parameters: [ID],
          responses: {
            '200': jsonResponse('The session', 'Session'),
            '404': errorResponse('Unknown or not visible'),
            ...authErrors,
          },
        },
      },
      '/v1/events': {
        get: {
          summary:
            'The story of a request or a person: request.* events and credentials.issued, newest first',
          security: [{ bearer: [] }],
          parameters: [
            query('requestId', { type: 'string' }),
            query('principal', { type: 'string' }),
            query('limit', { type: 'integer', minimum: 1, maximum: 100, default: 50 }),
            query('cursor', { type: 'string' }),
          ],
          responses: {
            '200': jsonResponse('A page of events', 'AuditEventList'),
            '400': errorResponse('Bad parameter or cursor'),
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

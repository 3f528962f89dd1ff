/**
 * Drives the deployed handler modules with real API Gateway v2 (HTTP API, payload 2.0) events, as
 * API Gateway would (local/api-gateway.ts builds them), and reads what they answer.
 */
import type { APIGatewayProxyEventV2, Context } from 'aws-lambda';
import { apiEvent, type Call, lambdaContext } from '../../local/api-gateway.ts';

export { apiEvent, type Call, lambdaContext } from '../../local/api-gateway.ts';

export interface Answer {
  status: number;
  headers: Record<string, string>;
  // biome-ignore lint/suspicious/noExplicitAny: response bodies are asserted field by field.
  body: any;
  raw: string;
}

type LambdaFn = (event: APIGatewayProxyEventV2, context: Context) => Promise<unknown>;

/** Invokes a handler module's `handler` (a middy handler: typed loosely on purpose). */
export async function invoke(handler: unknown, call: Call): Promise<Answer> {
  const result = (await (handler as LambdaFn)(apiEvent(call), lambdaContext())) as {
    statusCode: number;
    headers?: Record<string, string>;
    body?: string;
  };
  const raw = result.body ?? '';
  const headers = Object.fromEntries(
    Object.entries(result.headers ?? {}).map(([k, v]) => [k.toLowerCase(), String(v)]),
  );
  const isJson = (headers['content-type'] ?? 'application/json').startsWith('application/json');
  return { status: result.statusCode, headers, body: raw && isJson ? JSON.parse(raw) : undefined, raw };
}

/**
 * The few Slack Web API methods hallpass calls (chat.postMessage, chat.update, chat.postEphemeral,
 * views.open), over fetch against a configurable base URL (HALLPASS_SLACK_API_URL: Slack's, or the
 * local fake). Not @slack/web-api: for these four methods it adds 63 KB minified and ~20 ms of import
 * to the functions that post, and retries for up to ~30 minutes by default, while here the stream
 * (notify) and Slack's 3-second budget (interactions) decide about retries. Never logs the token.
 */

import { monotonicMs } from '../core/time.ts';
import type { Metrics } from './metrics.ts';

export type SlackMethod = 'chat.postMessage' | 'chat.update' | 'chat.postEphemeral' | 'views.open';

/** Slack answered `ok: false`, throttled, or could not be reached. */
export class SlackApiError extends Error {
  override readonly name = 'SlackApiError';
  constructor(
    readonly method: SlackMethod,
    readonly code: string,
    readonly retryAfterSeconds?: number,
  ) {
    super(`Slack ${method} failed: ${code}`);
  }
}

export interface SlackApi {
  /** `timeoutMs`: this call's own budget (Slack's 3 s leave little to a call made while answering). */
  call(
    method: SlackMethod,
    body: Record<string, unknown>,
    options?: { timeoutMs?: number },
  ): Promise<Record<string, unknown>>;
}

export interface SlackApiOptions {
  /** The base URL, ending in `/` (`https://slack.com/api/`). */
  apiUrl: string;
  /** The bot token (xoxb-...), read when first needed. */
  token: () => Promise<string>;
  timeoutMs?: number;
  metrics?: Metrics | undefined;
}

export function createSlackApi(options: SlackApiOptions): SlackApi {
  return {
    async call(method, body, callOptions) {
      const token = await options.token();
      const started = monotonicMs();
      let response: Response;
      try {
        response = await fetch(`${options.apiUrl}${method}`, {
          method: 'POST',
          headers: { 'content-type': 'application/json; charset=utf-8', authorization: `Bearer ${token}` },
          body: JSON.stringify(body),
          signal: AbortSignal.timeout(callOptions?.timeoutMs ?? options.timeoutMs ?? 2500),
        });
      } catch (error) {
        options.metrics?.count('UpstreamError', { Dependency: 'slack' });
        const name = (error as { name?: string }).name ?? 'Error';
        throw new SlackApiError(method, name === 'TimeoutError' ? 'timeout' : 'unreachable');
      } finally {
        options.metrics?.latency('slack', method, monotonicMs() - started);
      }
      if (response.status === 429) {
        options.metrics?.count('UpstreamError', { Dependency: 'slack' });
        throw new SlackApiError(method, 'ratelimited', Number(response.headers.get('retry-after') ?? 1));
      }
      const answer = (await response.json().catch(() => ({}))) as Record<string, unknown>;
      if (!response.ok || answer.ok !== true) {
        options.metrics?.count('UpstreamError', { Dependency: 'slack' });
        throw new SlackApiError(
          method,
          typeof answer.error === 'string' ? answer.error : `http_${response.status}`,
        );
      }
      return answer;
    },
  };
}

/**
 * Secrets read at run time from SSM Parameter Store (a SecureString; a Secrets Manager secret through
 * `/aws/reference/secretsmanager/<id>`), never from the environment or the template: the functions'
 * environment holds only the parameter names. Each value is kept for five minutes, so a rotated secret
 * is picked up without a deploy, and never logged.
 */
import { GetParameterCommand, type SSMClient } from '@aws-sdk/client-ssm';
import { UpstreamUnavailableError } from '../errors.ts';

export type ReadSecret = (name: string) => Promise<string>;

export function secretReader(
  client: SSMClient,
  options: { ttlMs?: number; now?: () => number } = {},
): ReadSecret {
  const ttlMs = options.ttlMs ?? 300_000;
  const now = options.now ?? Date.now;
  const cache = new Map<string, { value: Promise<string>; at: number }>();
  return (name) => {
    const hit = cache.get(name);
    if (hit && now() - hit.at < ttlMs) return hit.value;
    const value = client.send(new GetParameterCommand({ Name: name, WithDecryption: true })).then(
      (out) => {
        const text = out.Parameter?.Value;
        if (!text) throw new UpstreamUnavailableError('ssm', `the parameter ${name} has no value`);
        return text;
      },
      (error: unknown) => {
        const code = (error as { name?: string }).name ?? 'Error';
        throw new UpstreamUnavailableError('ssm', `the parameter ${name} could not be read (${code})`, {
          cause: error,
        });
      },
    );
    // A failure is not kept: the next call tries again.
    value.catch(() => cache.delete(name));
    cache.set(name, { value, at: now() });
    return value;
  };
}

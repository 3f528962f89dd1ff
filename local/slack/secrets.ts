/**
 * The local Slack app's credentials: the signing secret Slack signs requests to hallpass with, and
 * the bot token hallpass calls the Web API with. A stack makes its own; `npm start` keeps them in the
 * state directory (mode 0600), so that a restart and `npm run slack` use the same ones.
 */

import { randomBytes } from 'node:crypto';
import { chmodSync, readFileSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { STATE_DIR } from '../paths.ts';

export interface SlackSecrets {
  signingSecret: string;
  botToken: string;
}

export const SLACK_SECRETS_FILE = resolve(STATE_DIR, 'slack-secrets.json');

/** Where the local stack's SSM keeps them, and the channels the local stack's Slack posts to. */
export const SLACK_SIGNING_SECRET_PARAMETER = '/hallpass/local/slack-signing-secret';
export const SLACK_BOT_TOKEN_PARAMETER = '/hallpass/local/slack-bot-token';
export const SLACK_DEFAULT_CHANNEL = 'C0HALLPASS';
export const SLACK_SECURITY_CHANNEL = 'C0SECURITY';

/** Shaped like Slack's: a 32-hex-digit signing secret, an `xoxb-` bot token. */
export function makeSlackSecrets(): SlackSecrets {
  return {
    signingSecret: randomBytes(16).toString('hex'),
    botToken: `xoxb-local-${randomBytes(16).toString('hex')}`,
  };
}

/** The secrets kept in `file`; undefined when there is none (or it is not what this module writes). */
export function readSlackSecrets(file = SLACK_SECRETS_FILE): SlackSecrets | undefined {
  let kept: Partial<SlackSecrets>;
  try {
    kept = JSON.parse(readFileSync(file, 'utf8')) as Partial<SlackSecrets>;
  } catch {
    return undefined;
  }
  const { signingSecret, botToken } = kept;
  return typeof signingSecret === 'string' && typeof botToken === 'string' && signingSecret && botToken
    ? { signingSecret, botToken }
    : undefined;
}

/** The secrets kept in `file`, or new ones written there (readable by the owner only). */
export function loadOrCreateSlackSecrets(file = SLACK_SECRETS_FILE): SlackSecrets {
  const kept = readSlackSecrets(file);
  if (kept) return kept;
  const secrets = makeSlackSecrets();
  writeFileSync(file, `${JSON.stringify(secrets, null, 2)}\n`, { mode: 0o600 });
  // The mode applies only when the file is created; a file left by something else is narrowed too.
  chmodSync(file, 0o600);
  return secrets;
}

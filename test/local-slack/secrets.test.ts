import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadOrCreateSlackSecrets, readSlackSecrets } from '../../local/slack/secrets.ts';

const dir = mkdtempSync(join(tmpdir(), 'hallpass-slack-secrets-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("the local Slack app's secrets", () => {
  it('are made on first use, readable by their owner only', () => {
    const file = join(dir, 'first.json');

    const secrets = loadOrCreateSlackSecrets(file);

    expect(secrets.signingSecret).toMatch(/^[0-9a-f]{32}$/);
    expect(secrets.botToken).toMatch(/^xoxb-local-[0-9a-f]{32}$/);
    expect(statSync(file).mode & 0o777).toBe(0o600);
  });

  it('are the same after a restart', () => {
    const file = join(dir, 'restart.json');
    const first = loadOrCreateSlackSecrets(file);

    expect(loadOrCreateSlackSecrets(file)).toEqual(first);
    expect(readSlackSecrets(file)).toEqual(first);
  });

  it('are made anew when the file holds something else', () => {
    const file = join(dir, 'other.json');
    writeFileSync(file, '{"signingSecret": 42}', { mode: 0o644 });

    const secrets = loadOrCreateSlackSecrets(file);

    expect(secrets.signingSecret).toMatch(/^[0-9a-f]{32}$/);
    expect(statSync(file).mode & 0o777).toBe(0o600);
  });

  it('are absent where none were made', () => {
    expect(readSlackSecrets(join(dir, 'none.json'))).toBeUndefined();
  });
});

/**
 * `npm run -s token -- --sub alice --groups engineers,approvers [--name "Alice Doe"] [--claim team=payments]
 *                       [--expires-in 3600] [--aud <aud>]`
 * Prints (alone on stdout) a JWT signed by the dev issuer of the running local stack. `-s` keeps npm's
 * `> hallpass@... token` banner off stdout, so that `TOKEN=$(npm run -s token -- ...)` captures the JWT
 * alone (.npmrc no longer silences npm for every command).
 */
import { existsSync, readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import type { StackInfo } from '../lib/local-stack-file.ts';
import { loadOrCreateIssuerKey, signDevToken } from '../local/issuer/keys.ts';
import { DEFAULT_AUDIENCE, ISSUER_KEY_FILE, STACK_FILE } from '../local/paths.ts';

function fail(message: string): never {
  process.stderr.write(`token: ${message}\n`);
  process.exit(2);
}

const USAGE =
  'usage: npm run -s token -- --sub <sub> [--groups a,b] [--name "Full Name"] [--claim key=value]... [--expires-in <seconds>] [--aud <audience>]';

// `--expires-in -120` (an expired token, for trying the error path) must read as a value, which
// parseArgs refuses for anything that starts with a dash unless written `--expires-in=-120`.
const args = process.argv.slice(2);
for (let i = 0; i < args.length - 1; i++) {
  if (args[i] === '--expires-in' && /^-\d+$/.test(args[i + 1] ?? ''))
    args.splice(i, 2, `--expires-in=${args[i + 1]}`);
}

const { values } = (() => {
  try {
    return parseArgs({
      args,
      options: {
        sub: { type: 'string' },
        groups: { type: 'string', default: '' },
        name: { type: 'string' },
        claim: { type: 'string', multiple: true, default: [] },
        'expires-in': { type: 'string', default: '3600' },
        aud: { type: 'string' },
        help: { type: 'boolean', default: false },
      },
      allowNegative: false,
      strict: true,
    });
  } catch (error) {
    return fail(`${(error as Error).message}\n${USAGE}`);
  }
})();

if (values.help) {
  process.stdout.write(`${USAGE}\n`);
  process.exit(0);
}
if (!values.sub) fail(`--sub is required\n${USAGE}`);
const expiresIn = Number(values['expires-in']);
if (!Number.isInteger(expiresIn))
  fail('--expires-in must be a whole number of seconds (negative for an expired token)');

const extra: Record<string, string> = {};
for (const pair of values.claim) {
  const at = pair.indexOf('=');
  if (at < 1) fail(`--claim must be key=value, got '${pair}'`);
  extra[pair.slice(0, at)] = pair.slice(at + 1);
}

if (!existsSync(STACK_FILE) || !existsSync(ISSUER_KEY_FILE)) {
  fail('no local stack found in .hallpass/: start it first with `npm start`');
}
const stack = JSON.parse(readFileSync(STACK_FILE, 'utf8')) as StackInfo;
if (!stack.devIssuer)
  fail(`the stack uses an external issuer (${stack.issuer}): get a token from it instead`);

const token = await signDevToken(await loadOrCreateIssuerKey(ISSUER_KEY_FILE), stack.issuer, {
  sub: values.sub,
  groups: values.groups
    .split(',')
    .map((g) => g.trim())
    .filter(Boolean),
  audience: values.aud ?? stack.audience ?? DEFAULT_AUDIENCE,
  expiresIn,
  ...(values.name ? { name: values.name } : {}),
  extra,
});
process.stdout.write(`${token}\n`);

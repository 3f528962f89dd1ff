/**
 * `npm run package`: checks the stage's deploy config (config/<stage>.yaml, deploy/settings.cjs) and
 * the catalog, then builds the deployment artifacts and the CloudFormation template into
 * .serverless/ with no network and no AWS account. `npm run deploy -- --stage <stage>` (this script
 * with `deploy` first) does the same checks and build, then deploys with the caller's credentials.
 * The config is checked here first so that a refusal is one line, before anything is built;
 * serverless checks it again while it resolves its variables, for `serverless deploy` run by hand.
 * A web-identity entitlement without an issuer is refused by deploy/web-identity.cjs while
 * serverless resolves its variables: only there is the issuer's final value known (a --param,
 * HALLPASS_WEB_IDENTITY_ISSUER or the stage's config), and `serverless deploy` gets the same check.
 */
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { loadCatalog } from '../lib/adapters/catalog-file.ts';
import { buildWeb } from './build-web.ts';

const [command, options] =
  process.argv[2] === 'deploy' ? ['deploy', process.argv.slice(3)] : ['package', process.argv.slice(2)];
/** The value of a serverless option (`--stage prod`, `--stage=prod`, `-s prod`), else undefined. */
const option = (...names: string[]): string | undefined => {
  for (const [i, arg] of options.entries()) {
    if (names.includes(arg)) return options[i + 1];
    const [name, value] = arg.split(/=(.*)/s);
    if (name && value !== undefined && names.includes(name)) return value;
  }
  return undefined;
};
const catalogParam = options
  .map((arg, i) => (options[i - 1] === '--param' ? arg : ''))
  .find((param) => param.startsWith('catalog='));
const catalogPath =
  catalogParam?.slice('catalog='.length) || process.env.HALLPASS_CATALOG || 'catalog/example.yaml';

const { checkStage, checkOperations } = createRequire(import.meta.url)('../deploy/settings.cjs');
const stage = option('--stage', '-s') ?? 'dev';
let settings: Record<string, string>;
try {
  settings = checkStage({ stage, service: 'hallpass', catalog: catalogPath });
  // The file's operations (throttling, alarms, tracing...): a bad one refused here too, in one line.
  checkOperations({ stage });
} catch (error) {
  console.error(`refused: ${(error as Error).message}`);
  process.exit(1);
}
const maxSessionSeconds = Number(settings.HALLPASS_MAX_SESSION_SECONDS || 3600);
loadCatalog(catalogPath, { maxSessionSeconds });
// The web console's files, which serverless.yml packages with its two functions (web/dist/).
await buildWeb();

const result = spawnSync('npx', ['serverless', command, ...options], {
  stdio: 'inherit',
  env: {
    ...process.env,
    SLS_TELEMETRY_DISABLED: '1',
    SLS_NOTIFICATIONS_MODE: 'off',
    SLS_DEPRECATION_DISABLE: '*',
    // Packaging needs no account: give the SDK inert credentials so nothing looks further. A
    // deployment uses the caller's own.
    ...(command === 'package' && {
      AWS_ACCESS_KEY_ID: process.env.AWS_ACCESS_KEY_ID ?? 'AKIAPACKAGINGONLY000',
      AWS_SECRET_ACCESS_KEY: process.env.AWS_SECRET_ACCESS_KEY ?? 'packaging-only-no-account',
    }),
  },
});
process.exit(result.status ?? 1);

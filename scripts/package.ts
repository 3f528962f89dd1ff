/**
 * `npm run package`: validates the catalog, then builds the deployment artifacts and the
 * CloudFormation template into .serverless/ with no network and no AWS account. A web-identity
 * entitlement without an issuer is refused by deploy/web-identity.cjs while serverless resolves its
 * variables: only there is the issuer's final value known (a --param, HALLPASS_WEB_IDENTITY_ISSUER or
 * the stage's default), and `serverless deploy` gets the same check.
 */
import { spawnSync } from 'node:child_process';
import { loadCatalog } from '../lib/adapters/catalog-file.ts';
import { buildWeb } from './build-web.ts';

const catalogPath = process.env.HALLPASS_CATALOG || 'catalog/example.yaml';
const maxSessionSeconds = Number(process.env.HALLPASS_MAX_SESSION_SECONDS || 3600);
loadCatalog(catalogPath, { maxSessionSeconds });
// The web console's files, which serverless.yml packages with its two functions (web/dist/).
await buildWeb();

const result = spawnSync('npx', ['serverless', 'package', ...process.argv.slice(2)], {
  stdio: 'inherit',
  env: {
    ...process.env,
    SLS_TELEMETRY_DISABLED: '1',
    SLS_NOTIFICATIONS_MODE: 'off',
    SLS_DEPRECATION_DISABLE: '*',
    // Packaging needs no account: give the SDK inert credentials so nothing looks further.
    AWS_ACCESS_KEY_ID: process.env.AWS_ACCESS_KEY_ID ?? 'AKIAPACKAGINGONLY000',
    AWS_SECRET_ACCESS_KEY: process.env.AWS_SECRET_ACCESS_KEY ?? 'packaging-only-no-account',
  },
});
process.exit(result.status ?? 1);

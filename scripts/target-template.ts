/**
 * `npm run target-template -- --account <12 digits> [--out <file>] [--issuer <url>] [--audience <aud>]
 *                            [--vend-role-arn <arn> | --hallpass-account <12 digits> --stage <stage>]
 *                            [--thumbprint <40 hex>]... [--catalog <file>]`
 * Writes the CloudFormation template (JSON) of one target account's roles, from the catalog
 * (HALLPASS_CATALOG, default catalog/example.yaml). Offline: no AWS call. See README "Target accounts".
 */
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { loadCatalog } from '../lib/adapters/catalog-file.ts';
import { ConfigError } from '../lib/errors.ts';
import {
  buildTargetTemplate,
  DEFAULT_AUDIENCE,
  TargetTemplateError,
  vendRoleArn,
} from './target-template/build.ts';

const USAGE = `usage: npm run target-template -- --account <12 digits> [--out <file>]
         [--issuer <url>] [--audience <aud>] (default HALLPASS_WEB_IDENTITY_ISSUER, HALLPASS_WEB_IDENTITY_AUDIENCE)
         [--vend-role-arn <arn> | --hallpass-account <12 digits> --stage <stage>]
         [--revoke-role-arn <arn>] (default: the revoke function's role beside the vend role)
         [--thumbprint <40 hex digits>]... [--catalog <file>] (default HALLPASS_CATALOG)`;

function fail(message: string, code = 1): never {
  process.stderr.write(`target-template: ${message}\n`);
  process.exit(code);
}

const { values } = (() => {
  try {
    return parseArgs({
      options: {
        account: { type: 'string' },
        out: { type: 'string' },
        issuer: { type: 'string' },
        audience: { type: 'string' },
        'vend-role-arn': { type: 'string' },
        'hallpass-account': { type: 'string' },
        stage: { type: 'string' },
        // The revoke functions' role, when the vend role's name does not give it (<prefix>-vend).
        'revoke-role-arn': { type: 'string' },
        thumbprint: { type: 'string', multiple: true, default: [] },
        catalog: { type: 'string' },
        help: { type: 'boolean', default: false },
      },
      strict: true,
    });
  } catch (error) {
    return fail(`${(error as Error).message}\n${USAGE}`, 2);
  }
})();

if (values.help) {
  process.stdout.write(`${USAGE}\n`);
  process.exit(0);
}
for (const thumbprint of values.thumbprint) {
  if (!/^[0-9a-fA-F]{40}$/.test(thumbprint))
    fail(`--thumbprint must be 40 hex digits, got '${thumbprint}'`, 2);
}
if (values.thumbprint.length > 5) fail('at most 5 --thumbprint values (IAM keeps five)', 2);
if (values['vend-role-arn'] && (values['hallpass-account'] || values.stage)) {
  fail('give --vend-role-arn, or --hallpass-account with --stage, not both', 2);
}
if (Boolean(values['hallpass-account']) !== Boolean(values.stage)) {
  fail('--hallpass-account and --stage go together (the vend role is hallpass-<stage>-vend)', 2);
}

const catalogFile = values.catalog ?? process.env.HALLPASS_CATALOG ?? 'catalog/example.yaml';
try {
  // The cap of assume-role sessions is role chaining's, 3600 s (HALLPASS_MAX_SESSION_SECONDS may only
  // lower it, which changes no trust).
  const catalog = loadCatalog(catalogFile, { maxSessionSeconds: 3600 });
  const partition = /^arn:([\w-]+):/.exec(catalog.entitlements[0]?.roleArn ?? '')?.[1] ?? 'aws';
  const vendRole =
    values['vend-role-arn'] ??
    (values['hallpass-account'] && values.stage
      ? vendRoleArn(values['hallpass-account'], values.stage, partition)
      : undefined);
  const template = buildTargetTemplate(catalog, {
    account: values.account,
    issuer: values.issuer ?? (process.env.HALLPASS_WEB_IDENTITY_ISSUER || undefined),
    audience: values.audience ?? (process.env.HALLPASS_WEB_IDENTITY_AUDIENCE || DEFAULT_AUDIENCE),
    vendRoleArn: vendRole,
    thumbprints: values.thumbprint,
    revokeRoleArn: values['revoke-role-arn'],
  });
  const text = `${JSON.stringify(template, null, 2)}\n`;
  if (values.out) {
    writeFileSync(values.out, text);
    const roles = Object.values(template.Resources).filter((r) => r.Type === 'AWS::IAM::Role').length;
    process.stderr.write(`target-template: wrote ${values.out} (${roles} roles)\n`);
  } else process.stdout.write(text);
} catch (error) {
  if (error instanceof TargetTemplateError || error instanceof ConfigError) fail(error.message);
  throw error;
}

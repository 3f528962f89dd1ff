// Resolves the target role ARNs of the catalog for serverless.yml (`${file(...)}`), so that the vend
// function's IAM policy names exactly the roles the catalog names: one source of truth. The catalog
// is validated in full by lib/catalog.ts (npm run package, npm start, and every cold start).
const { readFileSync } = require('node:fs');
const path = require('node:path');
const { parse } = require('yaml');

module.exports = () => {
  const file = process.env.HALLPASS_CATALOG || 'catalog/example.yaml';
  const catalog = parse(readFileSync(path.resolve(__dirname, '..', file), 'utf8'));
  const arns = [...new Set((catalog.entitlements || []).map((e) => e.roleArn))];
  if (arns.length === 0) throw new Error(`the catalog ${file} names no roles`);
  return { roleArns: arns };
};

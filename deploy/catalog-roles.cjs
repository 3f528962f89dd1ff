// The target role ARNs of the catalog, by issuance, for serverless.yml (`${file(...)}`): the vend
// role may call AssumeRole on exactly the roles of `issuance: assume-role` entitlements, one source
// of truth. Web-identity roles are left out on purpose: AssumeRoleWithWebIdentity needs no permission
// of the caller, the target role trusts hallpass's OIDC provider instead. The catalog is validated in
// full by lib/core/catalog.ts (npm run package, deploy/catalog-json.cjs, npm start); each function
// checks at cold start that it reads what packaging validated.
const { readFileSync } = require('node:fs');
const path = require('node:path');
const { parse } = require('yaml');

const rolesOf = (entitlements, issuance) => [
  ...new Set(entitlements.filter((e) => (e.issuance ?? 'assume-role') === issuance).map((e) => e.roleArn)),
];

module.exports = async ({ resolveVariable }) => {
  // The catalog the functions get (param:catalog), so a --param catalog=... grants exactly its roles.
  const file = String(await resolveVariable('param:catalog'));
  const catalog = parse(readFileSync(path.resolve(process.cwd(), file), 'utf8'));
  const entitlements = catalog.entitlements || [];
  if (entitlements.length === 0) throw new Error(`the catalog ${file} names no roles`);
  const assumeRoleArns = rolesOf(entitlements, 'assume-role');
  return {
    assumeRoleArns,
    webIdentityRoleArns: rolesOf(entitlements, 'web-identity'),
    // A string for a CloudFormation condition: with no assume-role entitlement the vend role gets
    // no STS statement at all (IAM refuses a statement with no resource).
    anyAssumeRole: String(assumeRoleArns.length > 0),
  };
};

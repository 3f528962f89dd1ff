// The revoker role of every target account the catalog names, for serverless.yml (`${file(...)}`):
// the revoke functions' role may assume exactly these (`<service>-<stage>-revoker`, which
// `npm run target-template` creates in each account), and hallpass holds no IAM permission itself.
const { readFileSync } = require('node:fs');
const path = require('node:path');
const { parse } = require('yaml');

module.exports = async ({ resolveVariable }) => {
  const service = await resolveVariable('self:service');
  const stage = await resolveVariable('sls:stage');
  // The catalog the functions get (param:catalog), so a --param catalog=... names exactly its accounts.
  const file = String(await resolveVariable('param:catalog'));
  const catalog = parse(readFileSync(path.resolve(process.cwd(), file), 'utf8'));
  const accounts = new Map();
  for (const e of catalog.entitlements || []) {
    const [, partition, , , account] = String(e.roleArn).split(':');
    accounts.set(`${partition}:${account}`, { partition, account });
  }
  if (accounts.size === 0) throw new Error(`the catalog ${file} names no roles`);
  const name = `${service}-${stage}-revoker`;
  return {
    name,
    arns: [...accounts.values()].map(
      ({ partition, account }) => `arn:${partition}:iam::${account}:role/${name}`,
    ),
  };
};

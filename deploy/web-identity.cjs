// hallpass as an OIDC provider (web-identity issuance), for serverless.yml (`${file(...)}`): the
// issuer its tokens name, the KMS key that signs them and the further keys its JWKS publishes. Checked
// here, where their final values are known (a --param, an environment variable or the stage's
// default), so that `npm run package` and `serverless deploy` refuse a stack whose functions would
// refuse to start (lib/config.ts) or whose issuer no target account could register.
const catalogRoles = require('./catalog-roles.cjs');

// IAM grants kms:GetPublicKey by key ARN: an alias or a bare key id would match nothing.
const KEY_ARN = /^arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:key\/[A-Za-z0-9-]+$/;
const LOOPBACK = new Set(['127.0.0.1', 'localhost', '[::1]']);

function refuse(message) {
  const error = new Error(message);
  // Serverless prints a resolver's error with its stack: the message alone reads better.
  error.stack = message;
  throw error;
}

/** The issuer URL, or '' when none is set; refuses one that STS and IAM could not use. */
function checkedIssuer(value) {
  if (value === '') return '';
  let url;
  try {
    url = new URL(value);
  } catch {
    refuse(`webIdentityIssuer: ${value} is not a URL`);
  }
  // IAM OIDC providers take https URLs only; http is for the local stack, on the loopback.
  const local = url.protocol === 'http:' && LOOPBACK.has(url.hostname);
  if (url.protocol !== 'https:' && !local)
    refuse(`webIdentityIssuer: ${value} must be an https URL (http only on the loopback, for local use)`);
  if (url.search || url.hash || url.username || url.password)
    refuse(`webIdentityIssuer: ${value} must have no query, fragment or user info`);
  return value.replace(/\/$/, '');
}

/** The published keys' ARNs, each checked. */
async function publishedKeys(resolveVariable) {
  const arns = String(await resolveVariable('param:publishedKeyArns'))
    .split(',')
    .map((arn) => arn.trim())
    .filter(Boolean);
  for (const arn of arns) {
    if (!KEY_ARN.test(arn))
      refuse(`publishedKeyArns: ${arn} is not a KMS key ARN (arn:aws:kms:<region>:<account>:key/<key id>)`);
  }
  return arns;
}

// One function per value, so that a refusal is reported once, where the issuer is resolved; the
// rest of serverless.yml reads the issuer from provider.environment.HALLPASS_WEB_IDENTITY_ISSUER.
module.exports = {
  issuer: async ({ resolveVariable }) => {
    const issuer = checkedIssuer(String(await resolveVariable('param:webIdentityIssuer')).trim());
    const webIdentityRoles = (await catalogRoles({ resolveVariable })).webIdentityRoleArns;
    if (issuer === '' && webIdentityRoles.length > 0) {
      refuse(
        'a web-identity entitlement needs HALLPASS_WEB_IDENTITY_ISSUER (or the webIdentityIssuer param): ' +
          `the catalog issues ${webIdentityRoles.join(', ')} by web identity, and hallpass has no issuer to sign as`,
      );
    }
    return issuer;
  },
  // Only with an issuer: lib/config.ts refuses a signing key without an issuer (and the reverse), and
  // a stack with no issuer signs nothing. A literal string, which serverless-offline reads too.
  signingKeyId: async ({ resolveVariable }) => {
    const issuer = await resolveVariable('self:provider.environment.HALLPASS_WEB_IDENTITY_ISSUER');
    if (issuer === '') return '';
    const stage = await resolveVariable('sls:stage');
    // npm start (the local stage) names the key it signs with, the local KMS's or the developer's
    // own. A deployed stage signs with its own key, the only one its vend role may use.
    const given = await resolveVariable("env:HALLPASS_SIGNING_KEY_ID, ''");
    if (stage === 'local' && given) return given;
    return `alias/${await resolveVariable('self:service')}-${stage}-signing`;
  },
  publishedKeyIds: async ({ resolveVariable }) => (await publishedKeys(resolveVariable)).join(','),
  // What the OIDC documents' role may read: this stack's key and the published ones.
  publicKeys: async ({ resolveVariable }) => [
    { 'Fn::GetAtt': ['SigningKey', 'Arn'] },
    ...(await publishedKeys(resolveVariable)),
  ],
};

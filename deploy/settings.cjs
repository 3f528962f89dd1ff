// A stage's deploy config (README "Deployment"), for serverless.yml (`${file(...)}`): the settings
// of config/<stage>.yaml (or of the file HALLPASS_CONFIG names), each overridden by an environment
// variable of its name when that is set, checked here by lib/config.ts's own parser, and its
// operational settings (throttling, concurrency, alarms, logs, tracing: serverless.yml's params), so that
// `npm run package`, `npm run deploy` and `serverless deploy` refuse, naming the setting, a stack
// whose functions would refuse to start. Also refused: an issuer that is not https (but on the local
// stage, on the loopback), a secret given as a plain value, and a catalog role or policy of an
// account the file's allowedAccounts does not list.
const { existsSync, readFileSync } = require('node:fs');
const path = require('node:path');
const { parse } = require('yaml');

// The service's directory, where serverless (and npm run package) run: not this file's real path,
// which a mirror of the repository (the CLI and browser tests' stacks) reaches through a symlink.
const ROOT = process.cwd();
const LOCAL_STAGE = 'local';
const LOOPBACK = new Set(['127.0.0.1', 'localhost', '[::1]']);
// Settings whose value is a secret: only a reference in the file, resolved by CloudFormation at
// deployment, so the value is in neither the repository nor the packaged template.
const SECRET = /WEBHOOK_URL$|SECRET(?!_PARAMETER$)|_TOKEN$|PASSWORD|PRIVATE_KEY/;
// Set by serverless.yml itself (table names, the bus, the signing key) or elsewhere (the catalog:
// HALLPASS_CATALOG or --param catalog, which the IAM grants read too): never from the file.
const NOT_IN_FILE = {
  HALLPASS_AUDIT_TABLE: 'set by serverless.yml',
  HALLPASS_REQUESTS_TABLE: 'set by serverless.yml',
  HALLPASS_SLACK_TABLE: 'set by serverless.yml',
  HALLPASS_EVENT_BUS: 'set by serverless.yml',
  HALLPASS_SIGNING_KEY_ID: 'set by serverless.yml (alias/<service>-<stage>-signing)',
  HALLPASS_JWKS_STORE: 'set by serverless.yml for the functions that may use it',
  HALLPASS_CATALOG: 'given by HALLPASS_CATALOG or --param catalog=..., which the IAM grants read too',
};
const REFERENCE_KINDS = { ssm: 'ssm', secretsManager: 'secretsmanager' };
// CloudWatch Logs' retention periods, in days.
const RETENTION_DAYS = [
  1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653,
];
const number = (min, max, integer) => (value) =>
  typeof value === 'number' && (!integer || Number.isInteger(value)) && value >= min && value <= max
    ? value
    : undefined;
const text = (pattern) => (value) => (typeof value === 'string' && pattern.test(value) ? value : undefined);
/**
 * The file's `operations`: serverless.yml's params of the same names (throttling, concurrency,
 * alarms, logs, tracing), each with its check (the value serverless.yml gets, or undefined when
 * refused) and what it must be. Unset ones keep serverless.yml's defaults; a `--param` wins over the
 * file (serverless takes command-line params over `params.default`, which reads them from here).
 */
const OPERATIONS = {
  throttleBurst: [number(1, 5000, true), 'an integer, 1..5000 (requests at once, every route)'],
  throttleRate: [number(0.1, 10000, false), 'a number, 0.1..10000 (requests per second, every route)'],
  vendThrottleBurst: [number(1, 5000, true), 'an integer, 1..5000 (each vend route)'],
  vendThrottleRate: [number(0.1, 10000, false), 'a number, 0.1..10000 (per second, each vend route)'],
  vendReservedConcurrency: [
    number(1, 1000, true),
    'an integer, 1..1000 (for each of the two vend functions)',
  ],
  alarmEmail: [text(/^$|^[^@\s]+@[^@\s]+\.[^@\s]+$/), 'an email address, or empty'],
  alarmHttpsUrl: [text(/^$|^https:\/\/[^\s]+$/), 'an https:// URL, or empty'],
  serverErrorRatePercent: [number(0.1, 100, false), 'a percentage, 0.1..100'],
  upstreamErrorThreshold: [number(1, 100000, true), 'an integer, 1..100000 (failed calls in 5 minutes)'],
  logRetentionInDays: [
    (value) => (RETENTION_DAYS.includes(value) ? value : undefined),
    `one of CloudWatch Logs' periods: ${RETENTION_DAYS.join(', ')}`,
  ],
  tracing: [(value) => (value === true || value === false ? String(value) : undefined), 'true or false'],
};
const ACCOUNT = /^\d{12}$/;

function refuse(message) {
  const error = new Error(message);
  // Serverless prints a resolver's error with its stack: the message alone reads better.
  error.stack = message;
  throw error;
}

/** lib/config.ts through tsx, loaded once: the functions' own parser and list of settings. */
let serviceConfig;
function libConfig() {
  serviceConfig ??= require('tsx/cjs/api').require('../lib/config.ts', __filename);
  return serviceConfig;
}

/** The settings serverless.yml hands the functions from here: `settings.cjs):environment.<NAME>`. */
function passedSettings() {
  const template = readFileSync(path.join(ROOT, 'serverless.yml'), 'utf8');
  return [...template.matchAll(/settings\.cjs\):environment\.(\w+)/g)].map((m) => m[1]);
}

/** `{ssm: name}` or `{secretsManager: id}` as a CloudFormation dynamic reference; else undefined. */
function reference(value, where) {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return undefined;
  const kinds = Object.keys(value);
  if (!kinds.some((k) => REFERENCE_KINDS[k])) return undefined;
  const kind = REFERENCE_KINDS[kinds[0]];
  if (kinds.length !== 1 || typeof value[kinds[0]] !== 'string' || !value[kinds[0]])
    refuse(`${where}: a reference is {ssm: <parameter name>} or {secretsManager: <secret id>}`);
  return `{{resolve:${kind}:${value[kinds[0]]}}}`;
}

/** A plain value of the file as the functions' variable: lists of strings joined by commas, other
 * lists and maps (HALLPASS_ISSUERS) as JSON. */
function plain(value) {
  if (Array.isArray(value) && value.every((item) => typeof item === 'string')) return value.join(',');
  if (typeof value === 'object') return JSON.stringify(value);
  return String(value);
}

/** The file's settings, each checked for its name and form; secrets as dynamic references. */
function fileSettings(document, file, stage) {
  const settings = document.settings ?? {};
  if (typeof settings !== 'object' || Array.isArray(settings)) refuse(`${file}: settings: must be a map`);
  const passed = passedSettings();
  const known = libConfig().SETTING_NAMES;
  const values = {};
  for (const [name, value] of Object.entries(settings)) {
    const where = `${file}: settings.${name}`;
    if (NOT_IN_FILE[name]) refuse(`${where}: not a setting of the file: ${NOT_IN_FILE[name]}`);
    if (!known.includes(name) || !passed.includes(name))
      refuse(`${where}: not a setting serverless.yml passes to the functions (${passed.join(', ')})`);
    if (value === null || value === '') continue;
    const resolved = reference(value, where);
    if (SECRET.test(name) && resolved === undefined && stage !== LOCAL_STAGE)
      refuse(
        `${where}: a secret: give it as a reference, {secretsManager: <secret id>} or {ssm: <parameter name>}, never its value`,
      );
    if (!SECRET.test(name) && resolved !== undefined)
      refuse(`${where}: not a secret: give its value, not a reference`);
    values[name] = resolved ?? plain(value);
  }
  return values;
}

/** The file's `operations`, each checked (OPERATIONS); only those set, as serverless.yml's params. */
function fileOperations(document, file) {
  const operations = document.operations ?? {};
  if (typeof operations !== 'object' || Array.isArray(operations))
    refuse(`${file}: operations: must be a map`);
  const values = {};
  for (const [name, value] of Object.entries(operations)) {
    const where = `${file}: operations.${name}`;
    if (!Object.hasOwn(OPERATIONS, name))
      refuse(`${where}: not an operational setting (${Object.keys(OPERATIONS).join(', ')})`);
    if (value === null) continue;
    const [check, expected] = OPERATIONS[name];
    const checked = check(value);
    if (checked === undefined) refuse(`${where}: ${JSON.stringify(value)} must be ${expected}`);
    values[name] = checked;
  }
  return values;
}

/**
 * The file's allowedAccounts: twelve-digit account ids, at least one. Stage local may leave them
 * out (undefined: any account), as its catalog's roles are the local STS's, whatever the catalog.
 */
function allowedAccounts(document, file, stage) {
  const accounts = document.allowedAccounts;
  if (accounts === undefined && stage === LOCAL_STAGE) return undefined;
  if (!Array.isArray(accounts) || accounts.length === 0)
    refuse(`${file}: allowedAccounts: missing: list the account ids the catalog's roles may be in`);
  for (const account of accounts) {
    if (typeof account !== 'string' || !ACCOUNT.test(account))
      refuse(`${file}: allowedAccounts: ${account} is not a 12-digit account id (quote it: '012345678901')`);
  }
  return accounts;
}

/** Refuses a catalog role or policy outside the allowed accounts (AWS managed policies excepted). */
function checkAccounts(catalogPath, accounts, file) {
  const catalog = parse(readFileSync(path.resolve(ROOT, catalogPath), 'utf8')) ?? {};
  for (const e of catalog.entitlements ?? []) {
    const arns = [['roleArn', e.roleArn], ...(e.policyArns ?? []).map((arn) => ['policyArns', arn])];
    for (const [field, arn] of arns) {
      const account = String(arn).split(':')[4];
      if (field === 'policyArns' && account === 'aws') continue;
      if (!accounts.includes(account))
        refuse(
          `${file}: allowedAccounts: the catalog ${catalogPath}'s entitlement ${e.id} has ${field} ${arn}, ` +
            `in account ${account}, which allowedAccounts does not list`,
        );
    }
  }
}

/** Refuses an issuer (or JWKS URL) that is not https; http only on the loopback of the local stage. */
function checkHttps(values, stage, file) {
  // The web-identity issuer has its own rule (deploy/web-identity.cjs: loopback http for packaging).
  const urls = ['HALLPASS_ISSUER', 'HALLPASS_JWKS_URI', 'HALLPASS_FEDERATION_URL']
    .filter((name) => values[name])
    .map((name) => [name, values[name]]);
  // Every further issuer and its JWKS URL too: keys fetched in cleartext could be anyone's.
  let further = [];
  try {
    further = values.HALLPASS_ISSUERS ? JSON.parse(values.HALLPASS_ISSUERS) : [];
  } catch {} // lib/config.ts names it below.
  if (Array.isArray(further))
    further.forEach((entry, i) => {
      for (const key of ['issuer', 'jwksUri'])
        if (entry && typeof entry[key] === 'string') urls.push([`HALLPASS_ISSUERS.${i}.${key}`, entry[key]]);
    });
  for (const [name, value] of urls) {
    let url;
    try {
      url = new URL(value);
    } catch {
      continue; // lib/config.ts names it below.
    }
    const local = stage === LOCAL_STAGE && url.protocol === 'http:' && LOOPBACK.has(url.hostname);
    if (url.protocol !== 'https:' && !local)
      refuse(
        `${file}: ${name}: ${value} must be an https URL (http only on the loopback, on stage ${LOCAL_STAGE})`,
      );
  }
}

const TOP_LEVEL_KEYS = ['allowedAccounts', 'settings', 'operations'];

/** The stage's file, config/<stage>.yaml unless `env.HALLPASS_CONFIG` names another: its name and map. */
function readStageFile(stage, env) {
  const file = env.HALLPASS_CONFIG || path.posix.join('config', `${stage}.yaml`);
  if (!existsSync(path.resolve(ROOT, file)))
    refuse(
      `${file}: no such file: the settings of stage ${stage} live in config/${stage}.yaml ` +
        '(README "Deployment"; config/example-prod.yaml is a commented start)',
    );
  let document;
  try {
    document = parse(readFileSync(path.resolve(ROOT, file), 'utf8')) ?? {};
  } catch (error) {
    refuse(`${file}: not YAML: ${error.message}`);
  }
  if (typeof document !== 'object' || Array.isArray(document)) refuse(`${file}: must be a map`);
  for (const key of Object.keys(document)) {
    if (!TOP_LEVEL_KEYS.includes(key)) refuse(`${file}: ${key}: unknown key (${TOP_LEVEL_KEYS.join(', ')})`);
  }
  return { file, document };
}

/**
 * Reads and checks a stage's settings: (1) the file (readStageFile) must exist and hold only
 * `allowedAccounts`, `settings` and `operations`; (2) each setting takes the environment variable of
 * its name when set, else the file's value, else lib/config.ts's default; (3) the result is parsed by
 * lib/config.ts (references aside: CloudFormation resolves them at deployment), its issuer must be
 * https, and every catalog ARN in an allowed account. Returns the functions' variables by name
 * ('' for unset).
 */
function checkStage({ stage, service, catalog, env = process.env }) {
  const { file, document } = readStageFile(stage, env);
  const accounts = allowedAccounts(document, file, stage);
  const values = fileSettings(document, file, stage);
  for (const name of passedSettings()) {
    if (!env[name]) continue;
    if (SECRET.test(name) && stage !== LOCAL_STAGE)
      refuse(
        `${name}: a secret, given by the environment: put a reference in ${file} instead ({secretsManager: <secret id>} or {ssm: <parameter name>})`,
      );
    values[name] = env[name];
  }

  checkHttps(values, stage, file);
  const parsed = Object.fromEntries(Object.entries(values).filter(([, v]) => !v.startsWith('{{resolve:')));
  try {
    libConfig().parseConfig({
      ...parsed,
      // What serverless.yml sets itself, so that only the stage's own settings are judged.
      HALLPASS_AUDIT_TABLE: `${service}-${stage}-audit`,
      HALLPASS_REQUESTS_TABLE: `${service}-${stage}-requests`,
      HALLPASS_SLACK_TABLE: `${service}-${stage}-slack`,
      ...(parsed.HALLPASS_WEB_IDENTITY_ISSUER && {
        HALLPASS_SIGNING_KEY_ID: `alias/${service}-${stage}-signing`,
      }),
    });
  } catch (error) {
    refuse(
      `${file}: ${error.message.replaceAll('Invalid input: expected string, received undefined', 'missing')}`,
    );
  }
  if (accounts) checkAccounts(catalog, accounts, file);
  return Object.fromEntries(passedSettings().map((name) => [name, values[name] ?? '']));
}

/**
 * The stage's operational settings (the file's `operations`), checked, by serverless.yml's param
 * name: only those the file sets (serverless.yml's `params.default` falls back to its own defaults).
 */
function checkOperations({ stage, env = process.env }) {
  const { file, document } = readStageFile(stage, env);
  return fileOperations(document, file);
}

// Every variable serverless.yml reads from here calls this module: check once per stage and file.
const checked = new Map();

module.exports = async ({ resolveVariable }) => {
  const stage = await resolveVariable('sls:stage');
  const service = await resolveVariable('self:service');
  const catalog = await resolveVariable('param:catalog');
  const key = JSON.stringify([stage, service, catalog, process.env.HALLPASS_CONFIG]);
  if (!checked.has(key))
    checked.set(key, {
      environment: checkStage({ stage, service, catalog }),
      operations: checkOperations({ stage }),
    });
  return checked.get(key);
};
module.exports.checkStage = checkStage;
module.exports.checkOperations = checkOperations;

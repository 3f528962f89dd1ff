// tsx local/sts/main.ts [--port N] [--roles FILE] [--var NAME=VALUE ...] [--verbose]
import { parseArgs } from 'node:util';
import { startLocalSts } from './server.ts';

const { values } = parseArgs({
  options: {
    port: { type: 'string', default: '0' },
    roles: { type: 'string' },
    /** A value for `${NAME}` in the roles file, e.g. --var HALLPASS_URL=http://127.0.0.1:4000. */
    var: { type: 'string', multiple: true },
    verbose: { type: 'boolean', default: false },
  },
});

const port = Number(values.port);
if (!Number.isInteger(port) || port < 0 || port > 65535) {
  console.error(`--port must be an integer from 0 to 65535, got '${values.port}'`);
  process.exit(2);
}

const variables: Record<string, string> = {};
for (const assignment of values.var ?? []) {
  const eq = assignment.indexOf('=');
  if (eq <= 0) {
    console.error(`--var must be NAME=VALUE, got '${assignment}'`);
    process.exit(2);
  }
  variables[assignment.slice(0, eq)] = assignment.slice(eq + 1);
}

const sts = await startLocalSts({
  port,
  rolesFile: values.roles,
  ...(values.var ? { variables } : {}),
  log: values.verbose ? (line) => console.log(line) : undefined,
});
console.log(`local sts listening on ${sts.url}`);

const stop = () => {
  sts.close().then(
    () => process.exit(0),
    () => process.exit(1),
  );
};
process.once('SIGINT', stop);
process.once('SIGTERM', stop);

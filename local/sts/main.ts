// tsx local/sts/main.ts [--port N] [--roles FILE] [--verbose]
import { parseArgs } from 'node:util';
import { startLocalSts } from './server.ts';

const { values } = parseArgs({
  options: {
    port: { type: 'string', default: '0' },
    roles: { type: 'string' },
    verbose: { type: 'boolean', default: false },
  },
});

const port = Number(values.port);
if (!Number.isInteger(port) || port < 0 || port > 65535) {
  console.error(`--port must be an integer from 0 to 65535, got '${values.port}'`);
  process.exit(2);
}

const sts = await startLocalSts({
  port,
  rolesFile: values.roles,
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

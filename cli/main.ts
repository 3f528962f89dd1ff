/**
 * The `hallpass` command. Run it with `node_modules/.bin/tsx cli/main.ts <command>`, or through
 * the `cli/hallpass.mjs` shim (the package's `bin`).
 */
import { run } from './app.ts';

process.exitCode = await run(process.argv.slice(2));

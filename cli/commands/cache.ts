/** `cache clear`: forget cached credentials without signing out. */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { parseCommand } from '../args.ts';
import { loadSettings } from '../config.ts';
import { type Command, usage } from '../context.ts';
import { clearCache } from '../credentials.ts';
import { UsageError } from '../errors.ts';
import { json } from '../output.ts';

const CACHE_USAGE = `usage: hallpass cache clear [--all] [--profile <name>] [--json]
Deletes the cached AWS credentials of the profile (--all: of every profile), so that the next
credential-process, exec or env vends a new session. The sign-in is kept (\`hallpass logout\` forgets both).`;

export const cache: Command = {
  name: 'cache',
  summary: 'cache clear: delete cached AWS credentials (the sign-in stays)',
  usage: CACHE_USAGE,
  async run(args, io) {
    const { values, positionals } = parseCommand(
      args,
      { all: { type: 'boolean', default: false } },
      CACHE_USAGE,
    );
    if (values.help) return usage(io, CACHE_USAGE);
    if (positionals.length !== 1 || positionals[0] !== 'clear')
      throw new UsageError(
        `${positionals[0] === undefined ? 'missing the subcommand' : `unknown subcommand '${positionals.join(' ')}'`}\n${CACHE_USAGE}`,
      );
    const settings = loadSettings(values.profile, io.env);
    let profiles = [settings.profile];
    if (values.all) {
      try {
        profiles = readdirSync(join(settings.dir, 'cache'), { withFileTypes: true })
          .filter((entry) => entry.isDirectory())
          .map((entry) => entry.name);
      } catch {
        profiles = [];
      }
    }
    const cleared = profiles.reduce((sum, profile) => sum + clearCache({ dir: settings.dir, profile }), 0);
    if (values.json) io.output.out(json({ profiles, cleared }));
    else
      io.output.out(
        `Deleted ${cleared} cached credential(s) of ${values.all ? 'every profile' : `profile '${settings.profile}'`}.`,
      );
    return 0;
  },
};

#!/usr/bin/env node
import { type Io, UsageError } from './args.js';

export const HELP = `Usage: stripe-marketplace <command> [options]

Commands:
  sandbox                        Start the offline Stripe sandbox server, optionally forwarding webhooks
  migrate                        Create or upgrade the PostgreSQL schema
  events replay|backfill|work|prune
                                 The webhook inbox operations on a PostgreSQL database

Run stripe-marketplace <command> --help for a command's options.
Exit codes: 0 done, 1 failed (or some events failed), 2 bad usage.`;

type Command = (args: readonly string[], io: Io) => Promise<number>;

// Each command loads its modules (the marketplace, the sandbox, stripe, pg) only when it runs.
const COMMANDS: Record<string, () => Promise<Command>> = {
  sandbox: async () => (await import('./sandbox.js')).sandboxCommand,
  migrate: async () => (await import('./migrate.js')).migrateCommand,
  events: async () => (await import('./events.js')).eventsCommand,
};

/** Runs one command line; resolves with the exit code. */
export async function main(argv: readonly string[], io: Io): Promise<number> {
  const [command, ...rest] = argv;
  try {
    if (command === undefined) throw new UsageError('name a command', HELP);
    if (command === '--help' || command === '-h' || command === 'help') {
      io.out.write(`${HELP}\n`);
      return 0;
    }
    const load = Object.hasOwn(COMMANDS, command) ? COMMANDS[command] : undefined;
    if (!load) throw new UsageError(`unknown command "${command}"`, HELP);
    return await (await load())(rest, io);
  } catch (error) {
    if (error instanceof UsageError) {
      io.err.write(`stripe-marketplace: ${error.message}\n\n${error.help}\n`);
      return 2;
    }
    const code = (error as { code?: unknown }).code;
    const message = error instanceof Error ? error.message : String(error);
    io.err.write(`stripe-marketplace: ${typeof code === 'string' ? `${code}: ` : ''}${message}\n`);
    return 1;
  }
}

void main(process.argv.slice(2), { out: process.stdout, err: process.stderr, env: process.env }).then((code) => {
  process.exitCode = code;
});

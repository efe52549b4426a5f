// Run by lost-connection.test.ts in its own process: a PostgreSQL connection held in a transaction (a pool
// client, or one pg.Client) is cut mid-transaction. Prints one JSON line with what the transaction threw;
// a process that exited on an unhandled 'error' event prints nothing.
import pg from 'pg';
import { postgresStorage } from '../../src/postgres.js';
import { relay, uniquePrefix, dropTablesWithPrefix } from '../storage/helpers.js';

const target = new URL(process.env.DATABASE_URL as string);
const kind = process.argv[2] === 'client' ? 'client' : 'pool';
const prefix = uniquePrefix('lost');
const admin = new pg.Client({ connectionString: target.toString() });
await admin.connect();

const link = await relay(target);
let client: pg.Pool | pg.Client;
if (kind === 'pool') {
  client = link.pool();
} else {
  client = new pg.Client({
    host: '127.0.0.1',
    port: link.port,
    user: target.username || 'postgres',
    database: target.pathname.slice(1),
  });
  await client.connect();
}
const storage = postgresStorage({ client, tablePrefix: prefix });
await storage.migrate();

let thrown: unknown;
try {
  await storage.transaction?.(async (tx) => {
    await tx.get('order', 'o1');
    await link.cut();
    await new Promise((resolve) => setTimeout(resolve, 300));
    await tx.get('order', 'o1');
  });
} catch (error) {
  thrown = error;
}
// Let any late 'error' event fire before answering.
await new Promise((resolve) => setTimeout(resolve, 300));
const error = thrown as { code?: unknown; message?: unknown } | undefined;
process.stdout.write(`${JSON.stringify({ survived: true, threw: thrown !== undefined, code: error?.code ?? null })}\n`);
await dropTablesWithPrefix(admin, prefix);
await admin.end();
process.exit(0);

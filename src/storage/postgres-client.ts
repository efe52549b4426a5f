import { MarketplaceError } from '../errors.js';

/** One row set, as every supported driver returns it. */
export interface SqlResult<Row> {
  rows: Row[];
}

/** The tiny interface the adapter runs on: parameterised statements (`$1`, `$2`, ...) and transactions. */
export interface SqlExecutor {
  query<Row = Record<string, unknown>>(sql: string, params?: readonly unknown[]): Promise<SqlResult<Row>>;
  /**
   * Runs `fn` in one transaction on one connection: commits when it resolves, rolls back when it throws.
   * Inside `fn`, use only `tx`; nested calls of `tx.transaction` run in a savepoint.
   */
  transaction<T>(fn: (tx: SqlExecutor) => Promise<T>): Promise<T>;
}

// Structural shapes of the supported drivers, so that neither `pg` nor `@electric-sql/pglite` (nor their
// type packages) is needed by users of the other.

// biome-ignore lint/suspicious/noExplicitAny: structural driver types; pg's and PGlite's own signatures use any
type AnyQuery = (text: string, values?: any[]) => Promise<{ rows: any[] }>;

/** A `pg.Client` (or a client checked out of a pool). Its queries are serialised by the adapter. */
export interface PgClientLike {
  query: AnyQuery;
  // biome-ignore lint/suspicious/noExplicitAny: structural driver types; pg's and PGlite's own signatures use any
  connect: (...args: any[]) => unknown;
}

/** An `'error'` listener slot, as pg's EventEmitter clients have it. */
interface Emitter {
  on?: (event: 'error', listener: (error: Error) => void) => unknown;
  off?: (event: 'error', listener: (error: Error) => void) => unknown;
}

/** A `pg.Pool`: every transaction checks out its own client with `pool.connect()`. */
export interface PgPoolLike {
  query: AnyQuery;
  connect: () => Promise<{ query: AnyQuery; release: (err?: Error | boolean) => void } & Emitter>;
  readonly totalCount: number;
}

/** A PGlite instance (`new PGlite()`), which runs one statement or transaction at a time. */
export interface PGliteLike {
  query: AnyQuery;
  // biome-ignore lint/suspicious/noExplicitAny: structural driver types; pg's and PGlite's own signatures use any
  exec: (...args: any[]) => Promise<unknown>;
  transaction: <T>(callback: (tx: { query: AnyQuery }) => Promise<T>) => Promise<T>;
}

/** What `postgresStorage({ client })` accepts. */
export type PostgresClient = PgPoolLike | PgClientLike | PGliteLike;

type Kind = 'pglite' | 'pool' | 'client';

function kindOf(client: unknown): Kind | null {
  if (typeof client !== 'object' || client === null) return null;
  const c = client as Record<string, unknown>;
  if (typeof c.query !== 'function') return null;
  if (typeof c.exec === 'function' && typeof c.transaction === 'function') return 'pglite';
  if (typeof c.connect === 'function' && typeof c.totalCount === 'number') return 'pool';
  if (typeof c.connect === 'function') return 'client';
  return null;
}

/** Runs one task at a time, in call order. */
function serial() {
  let tail: Promise<unknown> = Promise.resolve();
  return <T>(task: () => Promise<T>): Promise<T> => {
    const run = tail.then(task, task);
    tail = run.then(
      () => undefined,
      () => undefined,
    );
    return run;
  };
}

/** An executor over one connection that is already inside a transaction. */
function inTransaction(query: AnyQuery): SqlExecutor {
  let savepoints = 0;
  const tx: SqlExecutor = {
    query: (sql, params) => query(sql, params ? [...params] : []),
    async transaction(fn) {
      const name = `sp_${++savepoints}`;
      await query(`SAVEPOINT ${name}`);
      try {
        const result = await fn(tx);
        await query(`RELEASE SAVEPOINT ${name}`);
        return result;
      } catch (error) {
        await query(`ROLLBACK TO SAVEPOINT ${name}`);
        throw error;
      }
    },
  };
  return tx;
}

/** Ends a failed transaction. When even ROLLBACK fails, the connection is unusable: that is an AggregateError. */
async function rollback(query: AnyQuery, error: unknown): Promise<never> {
  await query('ROLLBACK').catch((rollbackError: unknown) => {
    throw new AggregateError([error, rollbackError], 'transaction failed and could not be rolled back');
  });
  throw error;
}

/** BEGIN, `fn`, COMMIT on one connection; ROLLBACK when `fn` or COMMIT throws. */
async function runTransaction<T>(query: AnyQuery, fn: (tx: SqlExecutor) => Promise<T>): Promise<T> {
  await query('BEGIN');
  let result: T;
  try {
    result = await fn(inTransaction(query));
    await query('COMMIT');
  } catch (error) {
    return rollback(query, error);
  }
  return result;
}

/**
 * Wraps a `pg.Pool`, a `pg.Client` or a PGlite instance as an `SqlExecutor`. Neither driver is imported:
 * the client is recognised by its shape.
 */
export function sqlExecutor(client: unknown, context = 'postgresStorage({ client })'): SqlExecutor {
  const kind = kindOf(client);
  if (kind === null) {
    throw new MarketplaceError('INVALID_OPTIONS', `${context}: client must be a pg.Pool, a pg.Client or a PGlite instance`, {
      details: { param: 'client' },
    });
  }
  if (kind === 'pglite') {
    const db = client as PGliteLike;
    return {
      query: (sql, params) => db.query(sql, params ? [...params] : []),
      // PGlite runs one transaction at a time and queues other queries behind it.
      transaction: (fn) => db.transaction((tx) => fn(inTransaction((sql, params) => tx.query(sql, params)))),
    };
  }
  if (kind === 'pool') {
    const pool = client as PgPoolLike;
    return {
      query: (sql, params) => pool.query(sql, params ? [...params] : []),
      async transaction(fn) {
        const connection = await pool.connect();
        let broken: Error | undefined;
        // A connection lost while checked out emits 'error' on the client, which the pool does not listen to
        // then: without a listener the process exits. The failed statement rejects on its own.
        const lost = (error: Error) => {
          broken = error;
        };
        connection.on?.('error', lost);
        try {
          return await runTransaction((sql, params) => connection.query(sql, params), fn);
        } catch (error) {
          if (error instanceof AggregateError) broken ??= error;
          throw error;
        } finally {
          connection.off?.('error', lost);
          // A connection whose transaction could not be ended, or that was lost, is destroyed rather than reused.
          connection.release(broken);
        }
      },
    };
  }
  // One pg.Client is one connection: a transaction must not interleave with other callers' statements.
  const single = client as PgClientLike & Emitter;
  // A lost connection emits 'error' on the client: without a listener the process exits. Every statement
  // after it rejects ("Client was closed"), which the library reports as STORAGE_ERROR.
  single.on?.('error', () => undefined);
  const exclusive = serial();
  const query: AnyQuery = (sql, params) => single.query(sql, params);
  return {
    query: (sql, params) => exclusive(() => query(sql, params ? [...params] : [])),
    transaction: (fn) => exclusive(() => runTransaction(query, fn)),
  };
}

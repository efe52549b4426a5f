export { postgresStorage } from './storage/postgres.js';
export type { PostgresStorage, PostgresStorageOptions } from './storage/postgres.js';
export type { PostgresClient, PgPoolLike, PgClientLike, PGliteLike, SqlResult } from './storage/postgres-client.js';
export { postgresSchemaSql, DEFAULT_TABLE_PREFIX, SCHEMA_VERSION } from './storage/postgres-schema.js';

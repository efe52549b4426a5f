import { type ParseArgsConfig, parseArgs } from 'node:util';

/** Bad usage: an unknown command or flag, a missing or malformed value. The command line exits with 2. */
export class UsageError extends Error {
  constructor(
    message: string,
    /** The help text to print after the message. */
    readonly help: string,
  ) {
    super(message);
    this.name = 'UsageError';
  }
}

/** What a command writes to; the entry point passes the process's streams, a test may pass its own. */
export interface Io {
  readonly out: NodeJS.WritableStream & { isTTY?: boolean };
  readonly err: NodeJS.WritableStream & { isTTY?: boolean };
  readonly env: Readonly<Record<string, string | undefined>>;
}

export type Options = NonNullable<ParseArgsConfig['options']>;

/** `parseArgs` in strict mode, with its errors turned into a `UsageError` that carries the command's help. */
export function parse<O extends Options>(args: readonly string[], options: O, help: string) {
  try {
    return parseArgs({ args: [...args], options: { ...options, help: { type: 'boolean', short: 'h' } }, strict: true });
  } catch (error) {
    throw new UsageError(error instanceof Error ? error.message : String(error), help);
  }
}

const UNIT_MS: Record<string, number> = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };

/** `90s`, `15m`, `12h`, `3d`, `2w` in milliseconds; null when `text` is not a duration. */
export function parseDuration(text: string): number | null {
  const match = /^(\d+)(s|m|h|d|w)$/.exec(text.trim());
  if (!match) return null;
  const ms = Number(match[1]) * (UNIT_MS[match[2] as string] as number);
  return Number.isSafeInteger(ms) ? ms : null;
}

/** An ISO date (`2026-11-01`, `2026-11-01T12:00:00Z`) or a duration before `now` (`3d`, `12h`). */
export function parseSince(text: string, now: number, help: string): Date {
  const duration = parseDuration(text);
  if (duration !== null) return new Date(now - duration);
  if (/^\d{4}-\d{2}-\d{2}/.test(text)) {
    const ms = Date.parse(text);
    if (!Number.isNaN(ms)) return new Date(ms);
  }
  throw new UsageError(`--since: expected an ISO date (2026-11-01) or a duration (3d, 12h), got "${text}"`, help);
}

/** A whole number from `min` to `max`, or a `UsageError` naming the flag. */
export function parseInteger(text: string, flag: string, min: number, max: number, help: string): number {
  const value = /^\d+$/.test(text) ? Number(text) : Number.NaN;
  if (!Number.isSafeInteger(value) || value < min || value > max) {
    throw new UsageError(`${flag}: expected a whole number from ${min} to ${max}, got "${text}"`, help);
  }
  return value;
}

/** `2026-11-29 23:40:01` in local time, as `stripe listen` prints its lines. */
export function timestamp(date: Date): string {
  const two = (n: number) => String(n).padStart(2, '0');
  return `${date.getFullYear()}-${two(date.getMonth() + 1)}-${two(date.getDate())} ${two(date.getHours())}:${two(
    date.getMinutes(),
  )}:${two(date.getSeconds())}`;
}

/** Resolves on the first SIGINT or SIGTERM; `dispose` removes the listeners. */
export function untilSignal(): { signal: Promise<NodeJS.Signals>; dispose: () => void } {
  let dispose = () => {};
  const signal = new Promise<NodeJS.Signals>((resolve) => {
    const on = (name: NodeJS.Signals) => {
      dispose();
      resolve(name);
    };
    const onInt = () => on('SIGINT');
    const onTerm = () => on('SIGTERM');
    process.once('SIGINT', onInt);
    process.once('SIGTERM', onTerm);
    dispose = () => {
      process.off('SIGINT', onInt);
      process.off('SIGTERM', onTerm);
    };
  });
  return { signal, dispose };
}

/**
 * Reading a Node request's raw body, for the Express entry point: bytes kept by a parser that ran first, or the stream
 * read here up to a limit. Node-only.
 */
import type { IncomingMessage } from 'node:http';
import { concatBytes } from './outcome.js';

export type Request = IncomingMessage & { body?: unknown; rawBody?: unknown };
export const TOO_LARGE = Symbol('too large');

function readStream(req: Request, limit: number): Promise<Uint8Array | typeof TOO_LARGE | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Uint8Array[] = [];
    let total = 0;
    let settled = false;
    const finish = (value: Uint8Array | typeof TOO_LARGE | undefined) => {
      if (settled) return;
      settled = true;
      req.off('data', onData);
      resolve(value);
    };
    const onData = (chunk: Uint8Array | string) => {
      const bytes = typeof chunk === 'string' ? new TextEncoder().encode(chunk) : chunk;
      total += bytes.length;
      if (total > limit) {
        finish(TOO_LARGE);
        req.resume(); // discard the rest
        return;
      }
      chunks.push(bytes);
    };
    req.on('data', onData);
    req.once('end', () => finish(concatBytes(chunks)));
    req.once('close', () => finish(undefined));
    req.once('error', (error) => {
      if (!settled) {
        settled = true;
        reject(error);
      }
    });
  });
}

/**
 * The raw body: bytes kept by `keepRawBody` (or by the host, as Cloud Functions do), a Buffer or string
 * from `express.raw()`/`express.text()`, or the stream read here. A body some JSON parser already turned
 * into an object is handed on as it is, and the core rejects it with a message that names the mistake.
 */
export async function rawBody(req: Request, limit: number): Promise<unknown> {
  if (req.rawBody instanceof Uint8Array || typeof req.rawBody === 'string') return req.rawBody;
  if (req.body instanceof Uint8Array || typeof req.body === 'string') return req.body;
  // Unread: read it here (a parser that skipped the request may still have set `req.body = {}`).
  if (!req.readableEnded && (req as { _body?: unknown })._body !== true) return readStream(req, limit);
  return req.body;
}

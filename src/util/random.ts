/**
 * A URL-safe random token with `bytes` bytes of entropy (default 32 = 256 bits), from Web Crypto, which
 * Node 20+, Bun, Deno and edge runtimes all provide.
 */
export function randomToken(bytes = 32): string {
  const buffer = new Uint8Array(bytes);
  globalThis.crypto.getRandomValues(buffer);
  let binary = '';
  for (const byte of buffer) binary += String.fromCharCode(byte);
  return btoa(binary).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

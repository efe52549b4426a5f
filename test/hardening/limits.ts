/** A promise that never settles: a policy, handler, logger or storage call that never answers. */
export const never = () => new Promise<never>(() => undefined);

/** Fails the test (instead of hanging it) when `promise` has not settled after `ms`. */
export async function within<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const limit = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([promise, limit]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Runs tasks that share a key one after another, and tasks with different keys freely. Each Marketplace
 * owns one (locks belong to the instance, not to a module), so two marketplaces in one process never
 * wait on each other.
 */
export class KeyedLock {
  readonly #running = new Map<string, Promise<unknown>>();

  run<T>(key: string, task: () => Promise<T>): Promise<T> {
    const previous = this.#running.get(key) ?? Promise.resolve();
    const next = previous.then(task, task);
    const settled = next.then(
      () => undefined,
      () => undefined,
    );
    this.#running.set(key, settled);
    void settled.then(() => {
      if (this.#running.get(key) === settled) this.#running.delete(key);
    });
    return next;
  }
}

/**
 * Runs `fn` over `items` with at most `width` in flight. On the first failure
 * no new item starts, and the call rejects only once those in flight have
 * settled: nothing of this call still runs when its caller moves on (a retry
 * would otherwise write the same files as the stragglers).
 */
export async function forEachLimited<T>(items: T[], width: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  let failure: { error: unknown } | undefined;
  const worker = async () => {
    while (!failure && next < items.length) {
      try {
        await fn(items[next++]!);
      } catch (error) {
        failure ??= { error };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(width, items.length) }, worker));
  if (failure) throw failure.error;
}

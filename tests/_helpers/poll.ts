// Waiting for something another process does (a worker's answer, a run's end, a lock wait).

/**
 * Calls `attempt` every `intervalMs` until it returns a value (anything but undefined) and
 * returns it; throws `failure` once `timeoutMs` have passed without one.
 */
export async function poll<T>(
  attempt: () => Promise<T | undefined>,
  options: { timeoutMs: number; intervalMs: number; failure: string },
): Promise<T> {
  const deadline = Date.now() + options.timeoutMs;
  while (Date.now() < deadline) {
    const value = await attempt();
    if (value !== undefined) return value;
    await new Promise((resolve) => setTimeout(resolve, options.intervalMs));
  }
  throw new Error(options.failure);
}

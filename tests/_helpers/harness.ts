// Deno.test for tests over the running stack. Resource and op sanitizers are off: the superuser
// pool (stack.ts) and fetch's keep-alive connections are shared by the tests of a file on purpose.

export function stackTest(name: string, fn: () => Promise<void>) {
  Deno.test({ name, fn, sanitizeOps: false, sanitizeResources: false });
}

// The local stack itself: gateway routing, the published JWKS, its API keys, and start/status on a
// running stack.
import assert from "node:assert/strict";
import { join } from "node:path";
import { readStackEnv, repoRoot, stackConfig } from "../supabase/local/config.ts";

const config = stackConfig();
const env = await readStackEnv(config);

async function runStackCommand(command: string) {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", join(repoRoot, "supabase/local/stack.ts"), command],
    env: { STACK_NAME: config.name },
    stdout: "piped",
    stderr: "piped",
  }).output();
  const decode = (b: Uint8Array) => new TextDecoder().decode(b);
  return { code: out.code, stdout: decode(out.stdout), stderr: decode(out.stderr) };
}

Deno.test("gateway answers an unknown function with a JSON 404", async () => {
  const res = await fetch(`${env.FUNCTIONS_URL}/no-such-function`);
  assert.equal(res.status, 404);
  assert.deepEqual(await res.json(), {
    code: "NOT_FOUND",
    message: "Requested function was not found",
  });
});

Deno.test("gateway publishes the public signing keys at the project's JWKS URL", async () => {
  const res = await fetch(`${env.SUPABASE_URL}/auth/v1/.well-known/jwks.json`);
  assert.equal(res.status, 200);
  const { keys } = await res.json();
  assert.equal(keys.length, 1);
  assert.equal(keys[0].alg, "ES256");
  assert.equal(keys[0].d, undefined, "the private part is never published");
  assert.deepEqual(keys, JSON.parse(env.SUPABASE_JWKS).keys);
});

Deno.test("the stack hands out publishable and secret keys, and no legacy JWT secret", () => {
  assert.match(env.SUPABASE_PUBLISHABLE_KEY, /^sb_publishable_[A-Za-z0-9_-]{32}$/);
  assert.match(env.SUPABASE_SECRET_KEY, /^sb_secret_[A-Za-z0-9_-]{32}$/);
  assert.equal(env.JWT_SECRET, undefined, "HS256 only with STACK_LEGACY_JWT=1");
  assert.equal(env.SUPABASE_ANON_KEY, undefined);
});

Deno.test("a second start on a running stack says so and succeeds", async () => {
  const { code, stderr } = await runStackCommand("start");
  assert.equal(code, 0);
  assert.match(stderr, /already running/);
});

Deno.test("status prints the stack's environment", async () => {
  const { code, stdout } = await runStackCommand("status");
  assert.equal(code, 0);
  assert.match(stdout, new RegExp(`^SUPABASE_URL='${env.SUPABASE_URL}'$`, "m"));
  assert.match(stdout, /^SUPABASE_DB_URL='postgresql:\/\/postgres:/m);
});

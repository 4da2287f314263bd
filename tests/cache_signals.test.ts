// The trust logic of _shared/cache_signals.ts, each scenario in a process of its own
// (tests/_helpers/signals_scenario.ts) against the stack's database: trust starts with a reset and
// survives an idle spell; a lost listening connection resets the caches and trust comes back;
// probes that cannot come back never give trust; the transaction pooler is not listened on.
import assert from "node:assert/strict";
import { readStackEnv, stackConfig } from "../supabase/local/config.ts";
import { runScript } from "./_helpers/app_process.ts";
import { stackTest } from "./_helpers/harness.ts";

const scenario = (name: string, env: Record<string, string>) =>
  runScript("signals_scenario.ts", [name], env);

async function stackEnv() {
  const env = await readStackEnv(stackConfig());
  return { SUPABASE_DB_URL: env.SUPABASE_DB_URL, SUPABASE_URL: env.SUPABASE_URL, env };
}

stackTest(
  "trust starts with a reset, outlasts idleness, and returns after a lost connection",
  async () => {
    const { env, ...base } = await stackEnv();
    const { result } = await scenario("lifecycle", {
      ...base,
      ADMIN_DB_URL: env.SUPABASE_ADMIN_DB_URL,
    });
    assert.equal(result.trustedAtStart, false, "no trust before a probe came back");
    assert.equal(result.becameTrusted, true);
    assert.equal(result.resetWhenTrusted, true, "caches are forgotten when trust starts");
    assert.deepEqual(result.databaseSignal, ["tier:00000000-0000-4000-a000-00000000beef"]);
    assert.deepEqual(result.announced, ["usage:00000000-0000-4000-a000-00000000beef"]);
    assert.equal(result.trustedAfterIdle, true, "an idle spell is no reason to distrust");
    assert.deepEqual(result.signalsAfterIdle, [], "nor to forget the caches");
    assert.equal(result.resetAfterReconnect, true, "a lost connection forgets the caches");
    assert.equal(result.trustedAgain, true);
  },
);

stackTest("probes that cannot come back never give trust", async () => {
  const { env, ...base } = await stackEnv();
  // Notifications stay in their database: listening in another one hears no probe.
  const elsewhere = new URL(env.SUPABASE_DB_URL);
  elsewhere.pathname = "/template1";
  const { result } = await scenario("unreachable", { ...base, DB_LISTEN_URL: elsewhere.href });
  assert.equal(result.trustedWithin5s, false);
  assert.deepEqual(result.signals, ["reset"], "only the reset of the connection being made");
});

stackTest(
  "the transaction pooler (port 6543) is not listened on, and the log says why",
  async () => {
    const pooled = new URL((await stackEnv()).SUPABASE_DB_URL);
    pooled.port = "6543";
    const { result, logs } = await scenario("pooler", {
      SUPABASE_DB_URL: pooled.href,
      SUPABASE_URL: (await stackEnv()).SUPABASE_URL,
    });
    assert.equal(result.trusted, false);
    assert.ok(
      logs.some((line: { msg: string }) => line.msg.includes("DB_LISTEN_URL")),
      JSON.stringify(logs),
    );
  },
);

// The models function's in-memory caches (tier, usage, rendered lists) and the cache signals that
// keep them exact (migration 1700, _shared/cache_signals.ts):
// - while signals are trusted, a warm request is served from memory: a change made with the
//   triggers switched off (so no signal) stays unseen until its signal is sent by hand;
// - every kind of change (tier, catalog, usage) reaches the list by its signal alone, without the
//   tests' catch-up barrier; counters of models without a limit are not signalled, and a limit
//   set later still shows them; a consume through the function drops its caller's counters
//   itself, before the database's signal;
// - with DB_LISTEN_URL=off (as behind a transaction pooler) a second gateway checks with the
//   database on every request, so a change is seen by the very next request.
import assert from "node:assert/strict";
import { join } from "node:path";
import postgres from "postgres";
import { readStackEnv, repoRoot, stackConfig } from "../supabase/local/config.ts";
import { call } from "./_helpers/api.ts";
import { catalogRows, expectedList, setAccess, syncFixture } from "./_helpers/catalog.ts";
import { stackTest } from "./_helpers/harness.ts";
import { consumeAsUser } from "./_helpers/quota.ts";
import { adminDb, stack } from "./_helpers/stack.ts";
import { createUser, deleteUsers, setTier, type TestUser } from "./_helpers/users.ts";

type Legacy = { models: string[] };
type Enhanced = { models: { id: string; usage: { daily: { used: number } } | null }[] };

const channel = "model_access_cache";

const everyOtherFree = (_id: string, i: number) => ({
  status: "active" as const,
  is_free: i % 2 === 0,
  is_pro: true,
  is_enterprise: true,
});

/** Polls `check` until it passes (signals arrive within moments), failing after `timeoutMs`. */
async function eventually(check: () => Promise<void>, timeoutMs = 3_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await check();
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
  }
}

/** Until the functions trust their signals (a probe came back): only then do caches serve. */
async function signalsTrusted(): Promise<void> {
  const url = `${(await stack()).supabaseUrl}/_local/cache-signals/caught-up`;
  await eventually(async () => {
    await call("models", "", { withoutCatchingUp: true }); // any request starts the probing
    const body = await (await fetch(url)).json();
    assert.equal(body.signals, "caught_up");
  });
}

/** Runs `sql` with every trigger off (session_replication_role = replica): no signal is sent. */
async function withoutSignals(fn: (tx: postgres.TransactionSql) => Promise<unknown>) {
  const sql = await adminDb();
  await sql.begin(async (tx) => {
    await tx`set local session_replication_role = replica`;
    await fn(tx);
  });
}

/** Sends a cache signal by hand, as a trigger would. */
async function signal(payload: string) {
  const sql = await adminDb();
  await sql`select pg_notify(${channel}, ${payload})`;
}

/** consume_model_quota straight in the database, as a PostgREST rpc call would, as `user`. */
const consumeInDatabase = async (user: TestUser, modelId: string) =>
  await consumeAsUser(await adminDb(), user.id, modelId);

/** Gives the first active free model (listed for every tier) a daily limit of 5. */
async function limitFirstFreeModel(): Promise<{ model_id: string }> {
  const sql = await adminDb();
  const [limited] = await sql<{ model_id: string }[]>`
    update public.model_access set daily_limit = 5
     where model_id = (select model_id from public.model_access
                        where status = 'active' and is_free order by model_id limit 1)
    returning model_id`;
  return limited;
}

async function withUsers(fn: (admin: TestUser, user: TestUser) => Promise<void>) {
  const admin = await createUser({ isAdmin: true, label: "admin" });
  const user = await createUser({ tier: "free", label: "cache" });
  try {
    await syncFixture(admin, "2025-12-02");
    await setAccess(everyOtherFree);
    await fn(admin, user);
  } finally {
    await deleteUsers(admin, user);
  }
}

stackTest("a warm tier is served from memory until its signal drops it", async () => {
  await withUsers(async (_admin, user) => {
    await signalsTrusted();
    await call<Legacy>("models", "", { headers: user.headers });
    const warm = await call<Legacy>("models", "", { headers: user.headers });
    assert.equal(warm.headers.get("x-user-tier"), "free");

    await withoutSignals((tx) =>
      tx`update public.profiles set subscription_tier = 'enterprise' where id = ${user.id}`
    );
    const cached = await call<Legacy>("models", "", { headers: user.headers });
    assert.equal(cached.headers.get("x-user-tier"), "free", "no signal: the cached tier");

    await signal(`tier:${user.id}`);
    const fresh = await call<Legacy>("models", "", { headers: user.headers });
    assert.equal(fresh.headers.get("x-user-tier"), "enterprise");
    assert.deepEqual(fresh.body.models, expectedList(await catalogRows(), "enterprise"));
  });
});

stackTest("a warm list is served from memory until the catalog signal drops it", async () => {
  await withUsers(async (_admin, user) => {
    await signalsTrusted();
    await call<Legacy>("models", "", { headers: user.headers });
    const warm = await call<Legacy>("models", "", { headers: user.headers });
    assert.deepEqual(warm.body.models, expectedList(await catalogRows(), "free"));

    await withoutSignals((tx) => tx`update public.model_access set is_free = true`);
    const cached = await call<Legacy>("models", "", { headers: user.headers });
    assert.deepEqual(cached.body.models, warm.body.models, "no signal: the cached list");

    await signal("catalog");
    const fresh = await call<Legacy>("models", "", { headers: user.headers });
    assert.deepEqual(fresh.body.models, expectedList(await catalogRows(), "free"));
    assert.ok(fresh.body.models.length > warm.body.models.length);
  });
});

stackTest("tier, catalog and usage changes reach the list by their signals alone", async () => {
  await withUsers(async (_admin, user) => {
    await signalsTrusted();
    const get = (enhanced = false) =>
      call<Enhanced>("models", "", {
        headers: user.headers,
        query: enhanced ? { enhanced: "true" } : {},
        withoutCatchingUp: true,
      });
    await get();
    await setTier(user, "pro");
    await eventually(async () => {
      assert.equal((await get()).headers.get("x-user-tier"), "pro");
    });

    const limited = await limitFirstFreeModel();
    await eventually(async () => {
      const model = (await get(true)).body.models.find((m) => m.id === limited.model_id);
      assert.equal(model?.usage?.daily.used, 0, "the new limit is listed");
    });

    await consumeInDatabase(user, limited.model_id);
    await eventually(async () => {
      const model = (await get(true)).body.models.find((m) => m.id === limited.model_id);
      assert.equal(model?.usage?.daily.used, 1);
    });
  });
});

stackTest("a consume through the function drops the caller's counters itself", async () => {
  await withUsers(async (_admin, user) => {
    await signalsTrusted();
    const sql = await adminDb();
    const limited = await limitFirstFreeModel();
    const used = async () =>
      (await call<Enhanced>("models", "", { headers: user.headers, query: { enhanced: "true" } }))
        .body.models.find((m) => m.id === limited.model_id)?.usage?.daily.used;
    assert.equal(await used(), 0, "the counters are cached");
    // The database's own signal switched off: only the function's announcement can drop them.
    await sql`alter table public.model_usage disable trigger signal_usage_change`;
    try {
      const consumed = await call("models", "consume", {
        method: "POST",
        headers: user.headers,
        body: { model_id: limited.model_id },
      });
      assert.equal(consumed.status, 200);
      assert.equal(await used(), 1, "the caller's next list shows the request just counted");
    } finally {
      await sql`alter table public.model_usage enable trigger signal_usage_change`;
    }
  });
});

stackTest(
  "a limit set later shows the counts taken before it, unsignalled as they were",
  async () => {
    await withUsers(async (_admin, user) => {
      await signalsTrusted();
      const enhanced = () =>
        call<Enhanced>("models", "", { headers: user.headers, query: { enhanced: "true" } });
      const first = await enhanced();
      const model = first.body.models.find((m) => m.usage === null)!;
      // A model without a limit: its counter changes without a signal.
      await consumeInDatabase(user, model.id);
      const sql = await adminDb();
      await sql`update public.model_access set daily_limit = 5 where model_id = ${model.id}`;
      const after = (await enhanced()).body.models.find((m) => m.id === model.id);
      assert.equal(after?.usage?.daily.used, 1);
    });
  },
);

stackTest("without signals (DB_LISTEN_URL=off) every request checks the database", async () => {
  const config = stackConfig();
  // Beside the stack's own ports (the fake OpenRouter and the bench's ceiling use +69 and +79).
  const apiPort = config.apiPort + 7;
  const gateway = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", join(repoRoot, "supabase/local/gateway.ts")],
    env: { ...await readStackEnv(config), STACK_API_PORT: String(apiPort), DB_LISTEN_URL: "off" },
    stdout: "null", // a log line per request
    stderr: "inherit", // start-up failures show in the test output
  }).spawn();
  const base = `http://127.0.0.1:${apiPort}`;
  try {
    await eventually(async () => {
      const health = await fetch(`${base}/health`).then((r) => r.text());
      assert.ok(health.includes("ok"), "the second gateway is not up (its errors are above)");
    }, 20_000);
    const signals = await (await fetch(`${base}/_local/cache-signals/caught-up`)).json();
    assert.equal(signals.signals, "untrusted");
    await withUsers(async (_admin, user) => {
      const get = async () => {
        const response = await fetch(`${base}/functions/v1/models`, { headers: user.headers });
        return { tier: response.headers.get("x-user-tier"), body: await response.json() };
      };
      assert.equal((await get()).tier, "free");
      await setTier(user, "enterprise");
      const afterTier = await get();
      assert.equal(afterTier.tier, "enterprise", "seen by the very next request");
      assert.deepEqual(afterTier.body.models, expectedList(await catalogRows(), "enterprise"));
      await setAccess((id, i) => ({
        ...everyOtherFree(id, i),
        is_pro: false,
        is_enterprise: i % 3 === 0,
      }));
      assert.deepEqual((await get()).body.models, expectedList(await catalogRows(), "enterprise"));
    });
  } finally {
    gateway.kill();
    await gateway.status;
  }
});

// The models function's render cache (keyed by tier, private.catalog_version and the quota
// periods, kept until the earliest listed sunset), over real HTTP:
// - a committed write (an admin's catalog change, a tier change, a consume) is seen by the very
//   next request, with no waiting;
// - the rendered list really comes from the cache: a change made with the triggers off (so the
//   version does not move) stays unseen until the version moves;
// - a list is never served past a listed model's sunset, also from the cache.
import assert from "node:assert/strict";
import postgres from "postgres";
import { call, modelPath } from "./_helpers/api.ts";
import { catalogRows, expectedList, setAccess, syncFixture } from "./_helpers/catalog.ts";
import { stackTest } from "./_helpers/harness.ts";
import { adminDb } from "./_helpers/stack.ts";
import { createUser, deleteUsers, setTier, type TestUser } from "./_helpers/users.ts";

type Legacy = { models: string[] };
type Enhanced = { models: { id: string; usage: { daily: { used: number } } | null }[] };

const everyOtherFree = (_id: string, i: number) => ({
  status: "active" as const,
  is_free: i % 2 === 0,
  is_pro: true,
  is_enterprise: true,
});

/** Runs `fn` with every trigger off (session_replication_role = replica): the version stays. */
async function withoutTriggers(fn: (tx: postgres.TransactionSql) => Promise<unknown>) {
  const sql = await adminDb();
  await sql.begin(async (tx) => {
    await tx`set local session_replication_role = replica`;
    await fn(tx);
  });
}

async function catalogVersion(): Promise<string> {
  const sql = await adminDb();
  const [{ version }] = await sql<{ version: string }[]>`
    select version::text from private.catalog_version`;
  return version;
}

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

const list = (user: TestUser) => call<Legacy>("models", "", { headers: user.headers });
const enhanced = (user: TestUser) =>
  call<Enhanced>("models", "", { headers: user.headers, query: { enhanced: "true" } });

stackTest("an admin's catalog change is seen by the very next request", async () => {
  await withUsers(async (admin, user) => {
    const before = await list(user);
    const notListed = (await catalogRows()).find((row) => row.status === "active" && !row.is_free)!;
    assert.ok(!before.body.models.includes(notListed.model_id));
    const patched = await call("admin-models", modelPath(notListed.model_id), {
      method: "PATCH",
      headers: admin.headers,
      body: { is_free: true },
    });
    assert.equal(patched.status, 200, patched.text);
    const after = await list(user);
    assert.ok(after.body.models.includes(notListed.model_id));
    assert.deepEqual(after.body.models, expectedList(await catalogRows(), "free"));
    assert.notEqual(after.headers.get("etag"), before.headers.get("etag"));
  });
});

stackTest("a tier change is seen by the very next request", async () => {
  await withUsers(async (_admin, user) => {
    assert.equal((await list(user)).headers.get("x-user-tier"), "free");
    await setTier(user, "enterprise");
    const after = await list(user);
    assert.equal(after.headers.get("x-user-tier"), "enterprise");
    assert.deepEqual(after.body.models, expectedList(await catalogRows(), "enterprise"));
  });
});

stackTest("a consume is seen by the very next enhanced request", async () => {
  await withUsers(async (_admin, user) => {
    const limited = await limitFirstFreeModel();
    const used = async () =>
      (await enhanced(user)).body.models.find((m) => m.id === limited.model_id)?.usage?.daily
        .used;
    assert.equal(await used(), 0);
    const consumed = await call("models", "consume", {
      method: "POST",
      headers: user.headers,
      body: { model_id: limited.model_id },
    });
    assert.equal(consumed.status, 200);
    assert.equal(await used(), 1);
  });
});

stackTest("a list is rendered once per catalog version, not per request", async () => {
  await withUsers(async (_admin, user) => {
    const warm = await list(user);
    const warmEnhanced = await enhanced(user);
    const version = await catalogVersion();
    await withoutTriggers((tx) => tx`update public.model_access set is_free = true`);
    assert.equal(await catalogVersion(), version, "no trigger: the version stays");

    const cached = await list(user);
    assert.deepEqual(cached.body.models, warm.body.models, "the cached list");
    assert.equal(cached.headers.get("etag"), warm.headers.get("etag"));
    assert.equal((await enhanced(user)).text, warmEnhanced.text, "the cached enhanced list");

    const sql = await adminDb();
    await sql`update private.catalog_version set version = version + 1`;
    const fresh = await list(user);
    assert.deepEqual(fresh.body.models, expectedList(await catalogRows(), "free"));
    assert.ok(fresh.body.models.length > warm.body.models.length);
    assert.notEqual((await enhanced(user)).text, warmEnhanced.text);
  });
});

stackTest("a list is not served past a listed model's sunset, from the cache either", async () => {
  await withUsers(async (_admin, user) => {
    const sql = await adminDb();
    const [{ model_id: sunsetting }] = await sql<{ model_id: string }[]>`
      update public.model_access set status = 'deprecated', sunset_at = now() + interval '2 seconds'
       where model_id = (select model_id from public.model_access
                          where status = 'active' and is_free order by model_id limit 1)
      returning model_id`;
    const before = await list(user);
    assert.ok(before.body.models.includes(sunsetting), "listed until its sunset");
    assert.ok((await enhanced(user)).body.models.some((m) => m.id === sunsetting));
    const version = await catalogVersion();
    await new Promise((resolve) => setTimeout(resolve, 2_500));

    const after = await list(user);
    assert.equal(await catalogVersion(), version, "no write since: the same version");
    assert.ok(!after.body.models.includes(sunsetting), "gone at its sunset");
    assert.ok(!(await enhanced(user)).body.models.some((m) => m.id === sunsetting));
    assert.notEqual(after.headers.get("etag"), before.headers.get("etag"));
  });
});

// Quotas: consume_model_quota is exact under concurrent calls (each over its own connection, as
// the Data API runs them: role authenticated and the user's claims, one transaction per call),
// POST /models/consume answers 200, 429 and 403, and the enhanced list shows the caller's usage,
// with an ETag that follows it, while the legacy list stays as it was.
import assert from "node:assert/strict";
import postgres from "postgres";
import { call, type ErrorBody } from "./_helpers/api.ts";
import { type CatalogRow, catalogRows, syncFixture } from "./_helpers/catalog.ts";
import { stackTest } from "./_helpers/harness.ts";
import { adminDb, stack } from "./_helpers/stack.ts";
import { consumeAsUser } from "./_helpers/quota.ts";
import { createUser, deleteUsers, type TestUser } from "./_helpers/users.ts";

interface PeriodUsage {
  limit: number | null;
  used: number;
  remaining: number | null;
  resets_at: string;
}

interface QuotaDecision {
  allowed: boolean;
  reason: string | null;
  model_id: string;
  daily: PeriodUsage | null;
  monthly: PeriodUsage | null;
}

interface EnhancedModel {
  id: string;
  daily_limit: number | null;
  monthly_limit: number | null;
  usage: { daily: PeriodUsage; monthly: PeriodUsage } | null;
}

type Enhanced = { models: EnhancedModel[] };

interface Limits {
  daily_limit: number | null;
  monthly_limit: number | null;
}

/**
 * Runs `fn` with `count` models of the synced catalog made active, free and limited as asked,
 * and with every user it creates; puts the models' access settings back and deletes the users
 * (their usage goes with them) afterwards.
 */
async function withQuotaModels(
  limits: Limits[],
  fn: (models: string[], users: TestUser[]) => Promise<void>,
) {
  const admin = await createUser({ isAdmin: true, label: "quota-admin" });
  const users: TestUser[] = [admin];
  const sql = await adminDb();
  let saved: CatalogRow[] = [];
  try {
    await syncFixture(admin, "2025-12-02");
    saved = (await catalogRows())
      .filter((row) => row.upstream_removed_at === null)
      .slice(0, limits.length);
    for (const [i, row] of saved.entries()) {
      await sql`
        update public.model_access
           set status = 'active', is_free = true, daily_limit = ${limits[i].daily_limit},
               monthly_limit = ${limits[i].monthly_limit}
         where model_id = ${row.model_id}`;
    }
    await fn(saved.map((row) => row.model_id), users);
  } finally {
    for (const row of saved) {
      await sql`
        update public.model_access
           set status = ${row.status}, is_free = ${row.is_free}, is_pro = ${row.is_pro},
               is_enterprise = ${row.is_enterprise}, daily_limit = ${row.daily_limit ?? null},
               monthly_limit = ${row.monthly_limit ?? null}
         where model_id = ${row.model_id}`;
    }
    await deleteUsers(...users);
  }
}

/** A pool of connections as the API's database role (not the superuser). */
async function apiPool(max: number) {
  return postgres((await stack()).dbUrl, { max, prepare: false, onnotice: () => {} });
}

const consume = (sql: postgres.Sql, user: TestUser, modelId: string) =>
  consumeAsUser<QuotaDecision>(sql, user.id, modelId);

async function counters(user: TestUser, modelId: string) {
  const sql = await adminDb();
  const rows = await sql<{ period: string; request_count: number }[]>`
    select u.period, u.request_count
      from public.model_usage as u, private.quota_periods() as q
     where u.user_id = ${user.id} and u.model_id = ${modelId}
       and u.period_start = case u.period when 'day' then q.day_start else q.month_start end`;
  return Object.fromEntries(rows.map((row) => [row.period, row.request_count]));
}

const calls = 40;

for (
  const [label, limits, limit] of [
    ["daily", { daily_limit: 10, monthly_limit: null }, 10],
    ["monthly", { daily_limit: null, monthly_limit: 7 }, 7],
    ["daily and monthly", { daily_limit: 12, monthly_limit: 9 }, 9],
  ] as const
) {
  stackTest(`${calls} concurrent calls against a ${label} limit of ${limit}`, async () => {
    await withQuotaModels([limits], async ([model], users) => {
      const user = await createUser({ label: "quota-concurrent" });
      users.push(user);
      const sql = await apiPool(25);
      try {
        const results = await Promise.all(
          Array.from({ length: calls }, () => consume(sql, user, model)),
        );
        const allowed = results.filter((r) => r.allowed);
        const denied = results.filter((r) => !r.allowed);
        assert.equal(allowed.length, limit, "exactly the limit is allowed");
        assert.equal(denied.length, calls - limit);
        // Every allowed call saw a different count: no two calls counted the same request.
        const seen = allowed.map((r) => (label === "daily" ? r.daily! : r.monthly!).used);
        assert.deepEqual(
          seen.sort((a, b) => a - b),
          Array.from({ length: limit }, (_, i) => i + 1),
        );
        const reason = label === "daily" ? "daily_limit_reached" : "monthly_limit_reached";
        for (const r of denied) {
          assert.equal(r.reason, reason);
          assert.equal((label === "daily" ? r.daily! : r.monthly!).remaining, 0);
        }
        assert.deepEqual(await counters(user, model), { day: limit, month: limit });
        // And once more, sequentially: still no room, still nothing counted.
        assert.equal((await consume(sql, user, model)).allowed, false);
        assert.deepEqual(await counters(user, model), { day: limit, month: limit });
      } finally {
        await sql.end({ timeout: 1 });
      }
    });
  });
}

stackTest("concurrent users each get their own quota", async () => {
  await withQuotaModels([{ daily_limit: 3, monthly_limit: null }], async ([model], users) => {
    const a = await createUser({ label: "quota-a" });
    const b = await createUser({ label: "quota-b" });
    users.push(a, b);
    const sql = await apiPool(20);
    try {
      const results = await Promise.all(
        Array.from({ length: 20 }, (_, i) => i % 2 === 0 ? a : b).map(async (user) => ({
          user,
          result: await consume(sql, user, model),
        })),
      );
      for (const user of [a, b]) {
        const mine = results.filter((r) => r.user === user && r.result.allowed);
        assert.equal(mine.length, 3);
        assert.deepEqual(await counters(user, model), { day: 3, month: 3 });
      }
    } finally {
      await sql.end({ timeout: 1 });
    }
  });
});

stackTest("POST /models/consume: 200 while there is room, then 429 with Retry-After", async () => {
  await withQuotaModels([{ daily_limit: 5, monthly_limit: null }], async ([model], users) => {
    const user = await createUser({ label: "quota-http" });
    users.push(user);
    const responses = await Promise.all(
      Array.from({ length: 15 }, () =>
        call<QuotaDecision & ErrorBody>("models", "consume", {
          method: "POST",
          headers: user.headers,
          body: { model_id: model },
        })),
    );
    const ok = responses.filter((r) => r.status === 200);
    const limited = responses.filter((r) => r.status === 429);
    assert.equal(ok.length, 5, responses.map((r) => r.status).join(","));
    assert.equal(limited.length, 10);
    for (const r of ok) {
      assert.equal(r.body.allowed, true);
      assert.equal(r.body.model_id, model);
    }
    const expectedReset = new Date();
    expectedReset.setUTCHours(24, 0, 0, 0);
    for (const r of limited) {
      assert.equal(r.body.error.code, "quota_exceeded");
      const details = r.body.error.details as QuotaDecision;
      assert.equal(details.reason, "daily_limit_reached");
      assert.deepEqual(details.daily, {
        limit: 5,
        used: 5,
        remaining: 0,
        resets_at: expectedReset.toISOString().replace(".000Z", "Z"),
      });
      const retryAfter = Number(r.headers.get("retry-after"));
      assert.ok(retryAfter >= 1 && retryAfter <= 86_400, `Retry-After ${retryAfter}`);
    }
    assert.deepEqual(await counters(user, model), { day: 5, month: 5 });
  });
});

stackTest("POST /models/consume: 403 for a model the tier may not use, 400, 401, 405", async () => {
  await withQuotaModels([{ daily_limit: null, monthly_limit: null }], async ([model], users) => {
    const user = await createUser({ label: "quota-http" });
    users.push(user);
    const sql = await adminDb();
    await sql`update public.model_access set is_free = false, is_pro = true
               where model_id = ${model}`;
    const refused = await call<ErrorBody>("models", "consume", {
      method: "POST",
      headers: user.headers,
      body: { model_id: model },
    });
    assert.equal(refused.status, 403, refused.text);
    assert.equal(refused.body.error.code, "forbidden");
    assert.equal((refused.body.error.details as QuotaDecision).reason, "not_allowed");
    const unknown = await call<ErrorBody>("models", "consume", {
      method: "POST",
      headers: user.headers,
      body: { model_id: "no-such/model" },
    });
    assert.equal(unknown.status, 403);
    assert.deepEqual(await counters(user, model), {}, "refusals count nothing");

    for (const body of [{}, { model_id: 7 }, { model_id: "../x" }, { model_id: model, x: 1 }]) {
      const bad = await call<ErrorBody>("models", "consume", {
        method: "POST",
        headers: user.headers,
        body,
      });
      assert.equal(bad.status, 400, JSON.stringify(body));
      assert.equal(bad.body.error.code, "invalid_request");
    }
    const anonymous = await call<ErrorBody>("models", "consume", {
      method: "POST",
      body: { model_id: model },
    });
    assert.equal(anonymous.status, 401);
    const get = await call<ErrorBody>("models", "consume", { headers: user.headers });
    assert.equal(get.status, 405);
    assert.equal(get.headers.get("allow"), "POST, OPTIONS");
  });
});

stackTest("the enhanced list carries the caller's usage, and its ETag follows it", async () => {
  const limits: Limits[] = [
    { daily_limit: 3, monthly_limit: null },
    { daily_limit: 10, monthly_limit: 20 },
    { daily_limit: null, monthly_limit: null },
  ];
  await withQuotaModels(limits, async ([daily, both, unlimited], users) => {
    const user = await createUser({ label: "quota-list" });
    const neighbour = await createUser({ label: "quota-list" });
    users.push(user, neighbour);
    const enhanced = (who: TestUser) =>
      call<Enhanced>("models", "", { headers: who.headers, query: { enhanced: "true" } });
    const legacy = (who: TestUser) =>
      call<{ models: string[] }>("models", "", { headers: who.headers });
    const find = (body: Enhanced, id: string) => body.models.find((m) => m.id === id)!;

    const before = await enhanced(user);
    const legacyBefore = await legacy(user);
    const neighbourBefore = await enhanced(neighbour);
    assert.equal(before.status, 200);
    assert.equal(before.headers.get("etag"), neighbourBefore.headers.get("etag"));
    const sql = await apiPool(2);
    try {
      const decision = await consume(sql, user, daily);
      const resets = { day: decision.daily!.resets_at, month: decision.monthly!.resets_at };
      assert.deepEqual(find(before.body, daily).usage, {
        daily: { limit: 3, used: 0, remaining: 3, resets_at: resets.day },
        monthly: { limit: null, used: 0, remaining: null, resets_at: resets.month },
      });
      assert.equal(find(before.body, unlimited).usage, null, "no usage for unlimited models");
      for (const model of before.body.models) {
        assert.equal(
          model.usage === null,
          model.daily_limit === null && model.monthly_limit === null,
          `usage exactly for limited models (${model.id})`,
        );
      }

      const afterOne = await enhanced(user);
      assert.notEqual(afterOne.headers.get("etag"), before.headers.get("etag"));
      assert.deepEqual(find(afterOne.body, daily).usage!.daily, {
        limit: 3,
        used: 1,
        remaining: 2,
        resets_at: resets.day,
      });
      const stale = await call("models", "", {
        headers: { ...user.headers, "If-None-Match": before.headers.get("etag")! },
        query: { enhanced: "true" },
      });
      assert.equal(stale.status, 200, "the old ETag no longer matches");
      const fresh = await call("models", "", {
        headers: { ...user.headers, "If-None-Match": afterOne.headers.get("etag")! },
        query: { enhanced: "true" },
      });
      assert.equal(fresh.status, 304, "the new one does, until the next request is counted");

      await consume(sql, user, daily);
      await consume(sql, user, daily);
      await consume(sql, user, daily);
      await consume(sql, user, both);
      const exhausted = await enhanced(user);
      assert.deepEqual(find(exhausted.body, daily).usage!.daily.remaining, 0);
      assert.deepEqual(find(exhausted.body, both).usage, {
        daily: { limit: 10, used: 1, remaining: 9, resets_at: resets.day },
        monthly: { limit: 20, used: 1, remaining: 19, resets_at: resets.month },
      });
      assert.deepEqual(
        exhausted.body.models.map((m) => m.id),
        before.body.models.map((m) => m.id),
        "an exhausted quota leaves the model listed",
      );

      // Counting an unlimited model changes nothing in the body, so neither the ETag.
      await consume(sql, user, unlimited);
      assert.equal((await enhanced(user)).headers.get("etag"), exhausted.headers.get("etag"));

      // Other users' bodies and the legacy list are untouched.
      const neighbourAfter = await enhanced(neighbour);
      assert.equal(neighbourAfter.headers.get("etag"), neighbourBefore.headers.get("etag"));
      assert.deepEqual(neighbourAfter.body, neighbourBefore.body);
      const legacyAfter = await legacy(user);
      assert.equal(legacyAfter.headers.get("etag"), legacyBefore.headers.get("etag"));
      assert.deepEqual(legacyAfter.body, legacyBefore.body);
      assert.ok(legacyAfter.body.models.every((id) => typeof id === "string"));
    } finally {
      await sql.end({ timeout: 1 });
    }
  });
});

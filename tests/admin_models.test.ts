// /functions/v1/admin-models: listing with filters and paging, one model by its encoded id,
// single and bulk PATCH (validation, all or nothing, audit), the sync log, and refusals: no token
// 401, non-admins 403 with the row unchanged, bad ids and path tricks 400/404 with the database
// unchanged.
import assert from "node:assert/strict";
import { call, type ErrorBody, modelPath } from "./_helpers/api.ts";
import { catalogRows, setAccess, syncFixture } from "./_helpers/catalog.ts";
import { adminDb, stack } from "./_helpers/stack.ts";
import { stackTest } from "./_helpers/harness.ts";
import { createUser, deleteUsers, type TestUser } from "./_helpers/users.ts";

type AdminModel = Record<string, unknown> & { id: string };
type ListBody = {
  models: AdminModel[];
  total: number;
  limit: number;
  offset: number;
  next_offset: number | null;
};

type BulkBody = { updated: number; unchanged: number; models: AdminModel[] };

const freeVariant = "x-ai/grok-4.1-fast:free";

/** A synced 2025-12-02 catalog with known access settings, and an admin. */
async function setup(): Promise<TestUser> {
  const admin = await createUser({ isAdmin: true, label: "admin" });
  await syncFixture(admin, "2025-12-02");
  await setAccess((_id, i) => ({
    status: i % 3 === 0 ? "active" : i % 3 === 1 ? "new" : "disabled",
    is_free: i % 2 === 0,
    is_pro: i % 4 === 1,
    is_enterprise: i % 5 === 0,
  }));
  return admin;
}

function assertError(response: { status: number; body: unknown }, status: number, code: string) {
  assert.equal(response.status, status, JSON.stringify(response.body));
  assert.equal((response.body as ErrorBody).error.code, code);
}

/** Everything a PATCH could touch, to prove that a refused request changed nothing. */
async function snapshot() {
  const sql = await adminDb();
  const [audit] = await sql`select count(*)::int as n from public.model_access_audit`;
  return { rows: await catalogRows(), audits: audit.n };
}

stackTest("non-admins get 403 forbidden everywhere and change nothing", async () => {
  const admin = await setup();
  const user = await createUser({ tier: "enterprise" });
  try {
    const before = await snapshot();
    const target = before.rows.find((row) => row.upstream_removed_at === null)!;
    const requests: [string, string, unknown?][] = [
      ["GET", ""],
      ["GET", modelPath(target.model_id)],
      ["PATCH", modelPath(target.model_id), { is_free: !target.is_free, status: "active" }],
      ["PATCH", "", { model_ids: [target.model_id], changes: { is_pro: !target.is_pro } }],
      ["POST", "sync"],
      ["GET", "sync-log"],
      // Invalid input still gets 403 first: non-admins learn nothing about the API.
      ["PATCH", modelPath(target.model_id), { bogus: 1 }],
      ["GET", "not-an-id"],
    ];
    for (const [method, path, body] of requests) {
      const response = await call("admin-models", path, { method, headers: user.headers, body });
      assertError(response, 403, "forbidden");
    }
    assert.deepEqual(await snapshot(), before);
  } finally {
    await deleteUsers(admin, user);
  }
});

stackTest("GET lists every model with status, flags, limits, prices and sync times", async () => {
  const admin = await setup();
  try {
    const rows = await catalogRows();
    const first = await call<ListBody>("admin-models", "", { headers: admin.headers });
    assert.equal(first.status, 200, first.text);
    assert.equal(first.body.total, rows.length);
    assert.equal(first.headers.get("x-total-count"), String(rows.length));
    assert.equal(first.body.limit, 50);
    assert.equal(first.body.offset, 0);
    assert.equal(first.body.models.length, 50);
    assert.equal(first.body.next_offset, 50);
    const model = first.body.models[0];
    for (
      const key of [
        "id",
        "name",
        "status",
        "is_free",
        "is_pro",
        "is_enterprise",
        "daily_limit",
        "monthly_limit",
        "pricing",
        "context_length",
        "created",
        "last_synced_at",
        "openrouter_last_seen",
        "upstream_removed_at",
        "updated_at",
      ]
    ) assert.ok(key in model, key);
    assert.ok("prompt" in (model.pricing as object) && "completion" in (model.pricing as object));

    // Paging walks every model exactly once, in a stable order.
    const seen: string[] = [];
    let offset: number | null = 0;
    while (offset !== null) {
      const page: { body: ListBody } = await call<ListBody>("admin-models", "", {
        headers: admin.headers,
        query: { limit: "100", offset: String(offset) },
      });
      seen.push(...page.body.models.map((m) => m.id));
      offset = page.body.next_offset;
    }
    assert.deepEqual(seen, rows.map((row) => row.model_id));
    const past = await call<ListBody>("admin-models", "", {
      headers: admin.headers,
      query: { offset: String(rows.length + 10) },
    });
    assert.equal(past.status, 200);
    assert.deepEqual(past.body.models, []);
    assert.equal(past.body.total, rows.length);
    assert.equal(past.body.next_offset, null);
  } finally {
    await deleteUsers(admin);
  }
});

stackTest("GET filters: status, tier, provider, q, and their combination", async () => {
  const admin = await setup();
  try {
    const rows = await catalogRows();
    const list = async (query: Record<string, string>) => {
      const response = await call<ListBody>("admin-models", "", {
        headers: admin.headers,
        query: { limit: "500", ...query },
      });
      assert.equal(response.status, 200, response.text);
      assert.equal(response.body.total, response.body.models.length);
      return response.body.models.map((m) => m.id);
    };
    const ids = (keep: (row: (typeof rows)[number]) => boolean) =>
      rows.filter(keep).map((row) => row.model_id);

    for (const status of ["new", "active", "inactive", "disabled"] as const) {
      assert.deepEqual(await list({ status }), ids((row) => row.status === status), status);
    }
    assert.deepEqual(await list({ tier: "free" }), ids((row) => row.is_free));
    assert.deepEqual(await list({ tier: "pro" }), ids((row) => row.is_free || row.is_pro));
    assert.deepEqual(
      await list({ tier: "enterprise" }),
      ids((row) => row.is_free || row.is_pro || row.is_enterprise),
    );
    assert.deepEqual(
      await list({ provider: "openai" }),
      ids((row) => row.model_id.startsWith("openai/")),
    );
    assert.deepEqual(await list({ provider: "open" }), [], "provider is the whole prefix");
    const q = "GPT";
    assert.deepEqual(
      await list({ q }),
      ids((row) =>
        row.model_id.toLowerCase().includes("gpt") ||
        (row.model_name ?? "").toLowerCase().includes("gpt")
      ),
    );
    assert.deepEqual(await list({ q: "%" }), ids((row) => (row.model_name ?? "").includes("%")));
    assert.deepEqual(
      await list({ q: "_" }),
      ids((row) => row.model_id.includes("_") || (row.model_name ?? "").includes("_")),
    );
    assert.deepEqual(
      await list({ status: "active", tier: "free", provider: "google" }),
      ids((row) => row.status === "active" && row.is_free && row.model_id.startsWith("google/")),
    );
    assert.deepEqual(await list({ q: "' or 1=1 --" }), []);
  } finally {
    await deleteUsers(admin);
  }
});

stackTest("GET with invalid query parameters is a 400 invalid_request", async () => {
  const admin = await createUser({ isAdmin: true });
  try {
    for (
      const query of [
        { status: "bogus" },
        { tier: "gold" },
        { limit: "0" },
        { limit: "501" },
        { limit: "ten" },
        { offset: "-1" },
        { provider: "open/ai" },
        { unknown: "1" },
      ]
    ) {
      const response = await call("admin-models", "", { headers: admin.headers, query });
      assertError(response, 400, "invalid_request");
    }
    // Which statuses and tiers exist is the database's to say; its refusal names the parameter.
    const refusedByDatabase: [Record<string, string>, RegExp][] = [
      [{ status: "bogus" }, /`status`/],
      [{ tier: "gold" }, /`tier`/],
    ];
    for (const [query, message] of refusedByDatabase) {
      const response = await call<ErrorBody>("admin-models", "", { headers: admin.headers, query });
      assert.match(response.body.error.message, message);
    }
  } finally {
    await deleteUsers(admin);
  }
});

stackTest("GET one model by its percent-encoded id; unknown ids 404", async () => {
  const admin = await setup();
  try {
    const response = await call<{ model: AdminModel }>("admin-models", modelPath(freeVariant), {
      headers: admin.headers,
    });
    assert.equal(response.status, 200, response.text);
    assert.equal(response.body.model.id, freeVariant);
    const row = (await catalogRows()).find((r) => r.model_id === freeVariant)!;
    assert.equal(response.body.model.status, row.status);
    assert.equal(response.body.model.is_free, row.is_free);
    assertError(
      await call("admin-models", modelPath("openai/no-such-model"), { headers: admin.headers }),
      404,
      "not_found",
    );
  } finally {
    await deleteUsers(admin);
  }
});

stackTest("ids with injection strings or path tricks get 400/404 and change nothing", async () => {
  const admin = await setup();
  try {
    const before = await snapshot();
    const env = await stack();
    const tricky = [
      encodeURIComponent("../../models"),
      encodeURIComponent("openai/gpt-4o/../../sync"),
      encodeURIComponent("openai/.."),
      encodeURIComponent("'; drop table public.model_access; --"),
      encodeURIComponent("openai/gpt-4o' or '1'='1"),
      encodeURIComponent("openai/gpt-4o;delete from public.model_access"),
      encodeURIComponent("a".repeat(300) + "/b"),
      encodeURIComponent("openai/gpt-4o%00"),
      "openai%2Fgpt-4o%2500",
      "%2E%2E",
      "..%2F..%2Fsync-models",
      "openai%2F%2E%2E",
    ];
    for (const segment of tricky) {
      for (const method of ["GET", "PATCH"]) {
        const response = await fetch(`${env.functionsUrl}/admin-models/${segment}`, {
          method,
          headers: { ...admin.headers, "content-type": "application/json" },
          body: method === "PATCH" ? JSON.stringify({ status: "disabled" }) : undefined,
        });
        const text = await response.text();
        assert.ok(
          [400, 404].includes(response.status),
          `${method} ${segment}: ${response.status} ${text}`,
        );
      }
    }
    assert.deepEqual(await snapshot(), before);
  } finally {
    await deleteUsers(admin);
  }
});

stackTest("PATCH one model: applied, returned, audited with the admin's id", async () => {
  const admin = await setup();
  try {
    const sql = await adminDb();
    const before = (await catalogRows()).find((r) => r.model_id === freeVariant)!;
    const response = await call<{ model: AdminModel }>("admin-models", modelPath(freeVariant), {
      method: "PATCH",
      headers: admin.headers,
      body: {
        is_free: !before.is_free,
        is_pro: true,
        is_enterprise: true,
        status: "active",
        daily_limit: 42,
        monthly_limit: null,
      },
    });
    assert.equal(response.status, 200, response.text);
    const model = response.body.model;
    assert.equal(model.id, freeVariant);
    assert.equal(model.is_free, !before.is_free);
    assert.equal(model.is_pro, true);
    assert.equal(model.status, "active");
    assert.equal(model.daily_limit, 42);
    assert.equal(model.monthly_limit, null);
    const after = (await catalogRows()).find((r) => r.model_id === freeVariant)!;
    assert.equal(after.is_free, !before.is_free);
    assert.equal(after.daily_limit, 42);
    const [audit] = await sql`
      select actor_user_id, actor_role, old_values, new_values
        from public.model_access_audit
       where model_id = ${freeVariant}
       order by id desc
       limit 1`;
    assert.equal(audit.actor_user_id, admin.id);
    assert.equal(audit.actor_role, "authenticated");
    assert.equal(audit.old_values.is_free, before.is_free);
    assert.equal(audit.new_values.is_free, !before.is_free);
    assert.equal(audit.new_values.daily_limit, 42);
  } finally {
    await deleteUsers(admin);
  }
});

stackTest(
  "PATCH with unknown fields, wrong types or bad limits is a 400 and changes nothing",
  async () => {
    const admin = await setup();
    try {
      const before = await snapshot();
      const bodies: unknown[] = [
        {},
        { bogus: true },
        { is_free: true, extra: 1 },
        { is_free: "yes" },
        { is_pro: 1 },
        { is_enterprise: null },
        { status: "inactive" },
        { status: "ACTIVE" },
        { status: 1 },
        { daily_limit: -1 },
        { daily_limit: 0 },
        { monthly_limit: -100 },
        { daily_limit: 1.5 },
        { daily_limit: "10" },
        { monthly_limit: 2 ** 31 },
        [],
        [{ is_free: true }],
        "is_free",
        42,
        null,
      ];
      for (const body of bodies) {
        const response = await call("admin-models", modelPath(freeVariant), {
          method: "PATCH",
          headers: admin.headers,
          body: JSON.stringify(body),
        });
        assertError(response, 400, "invalid_request");
        assert.ok(Array.isArray((response.body as ErrorBody).error.details), JSON.stringify(body));
      }
      assertError(
        await call("admin-models", modelPath("openai/no-such-model"), {
          method: "PATCH",
          headers: admin.headers,
          body: { is_free: true },
        }),
        404,
        "not_found",
      );
      assert.deepEqual(await snapshot(), before);
    } finally {
      await deleteUsers(admin);
    }
  },
);

stackTest("bulk PATCH applies to all, or with an unknown id to none (404 lists them)", async () => {
  const admin = await setup();
  try {
    const listed = (await catalogRows()).filter((row) => row.upstream_removed_at === null);
    const targets = listed.slice(0, 5).map((row) => row.model_id);
    const changes = { is_enterprise: true, monthly_limit: 900 };
    const ok = await call<BulkBody>("admin-models", "", {
      method: "PATCH",
      headers: admin.headers,
      body: { model_ids: [...targets, targets[0]], changes },
    });
    assert.equal(ok.status, 200, ok.text);
    assert.equal(ok.body.updated, 5);
    assert.equal(ok.body.unchanged, 0);
    const again = await call<BulkBody>("admin-models", "", {
      method: "PATCH",
      headers: admin.headers,
      body: { model_ids: targets, changes },
    });
    assert.deepEqual([again.body.updated, again.body.unchanged], [0, 5], "no-op changes count");
    assert.deepEqual(ok.body.models.map((m) => m.id), [...targets].sort());
    assert.ok(ok.body.models.every((m) => m.is_enterprise === true && m.monthly_limit === 900));

    const before = await snapshot();
    const unknown = ["openai/not-a-model", "acme/nothing:free"];
    const refused = await call<ErrorBody>("admin-models", "", {
      method: "PATCH",
      headers: admin.headers,
      body: { model_ids: [targets[0], ...unknown], changes: { status: "disabled" } },
    });
    assertError(refused, 404, "not_found");
    assert.deepEqual(
      (refused.body.error.details as { unknown_ids: string[] }).unknown_ids,
      [...unknown].sort(),
    );
    for (
      const body of [
        { model_ids: [], changes: { is_free: true } },
        { model_ids: ["not an id"], changes: { is_free: true } },
        { model_ids: targets, changes: {} },
        { model_ids: targets, changes: { is_free: true }, extra: 1 },
        { model_ids: targets },
        { changes: { is_free: true } },
        { model_ids: targets, changes: { daily_limit: -5 } },
        { model_ids: "openai/gpt-4o", changes: { is_free: true } },
      ]
    ) {
      const response = await call("admin-models", "", {
        method: "PATCH",
        headers: admin.headers,
        body,
      });
      assertError(response, 400, "invalid_request");
    }
    assert.deepEqual(await snapshot(), before);
  } finally {
    await deleteUsers(admin);
  }
});

stackTest("GET sync-log lists recent runs newest first, with who triggered them", async () => {
  const admin = await setup();
  try {
    await syncFixture(admin, "2025-12-02");
    const response = await call<{ runs: Record<string, unknown>[] }>("admin-models", "sync-log", {
      headers: admin.headers,
      query: { limit: "5" },
    });
    assert.equal(response.status, 200, response.text);
    const runs = response.body.runs;
    assert.ok(runs.length >= 2 && runs.length <= 5);
    const started = runs.map((run) => Date.parse(run.started_at as string));
    assert.deepEqual(started, [...started].sort((a, b) => b - a));
    assert.equal(runs[0].triggered_by, "admin");
    assert.equal(runs[0].triggered_by_user_id, admin.id);
    assert.equal(runs[0].sync_status, "completed");
    assert.equal(typeof runs[0].id, "number");
    assert.equal(typeof runs[0].duration_ms, "number");
    const defaults = await call<{ runs: unknown[] }>("admin-models", "sync-log", {
      headers: admin.headers,
    });
    assert.ok(defaults.body.runs.length <= 20);
    for (const limit of ["0", "101", "x"]) {
      assertError(
        await call("admin-models", "sync-log", { headers: admin.headers, query: { limit } }),
        400,
        "invalid_request",
      );
    }
  } finally {
    await deleteUsers(admin);
  }
});

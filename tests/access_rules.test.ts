// Tiering rules over HTTP: /admin-models/rules (list, add, change, delete, apply; refusals), a
// synced `:free` model offered to every tier by the seeded rule and taken off every tier when it
// turns paid (list and enforcement agree), a manual override that sticks, handing it back with
// PATCH { access_managed_by: "rules" }, and the dry-run preview of rule effects.
import assert from "node:assert/strict";
import { call, type ErrorBody, modelPath } from "./_helpers/api.ts";
import { withFakeOpenRouter } from "./_helpers/catalog.ts";
import { serveModels } from "./_helpers/fake_openrouter.ts";
import { adminDb, readFixture } from "./_helpers/stack.ts";
import { stackTest } from "./_helpers/harness.ts";
import { createUser, deleteUsers, type TestUser } from "./_helpers/users.ts";

type Rule = Record<string, unknown> & { id: number };

/** Syncs the 2025-12-02 fixture plus `extra` records (forced past the cool-down and the gate). */
async function syncWith(admin: TestUser, extra: Record<string, unknown>[], dryRun = false) {
  const fixture = await readFixture("2025-12-02");
  const response = await withFakeOpenRouter(
    serveModels([...fixture.data, ...extra]),
    () =>
      call<Record<string, unknown>>("admin-models", "sync", {
        method: "POST",
        headers: admin.headers,
        query: { force: "true", dry_run: String(dryRun) },
      }),
  );
  assert.equal(response.status, 200, response.text);
  return response.body;
}

async function listed(user: TestUser): Promise<string[]> {
  const response = await call<{ models: string[] }>("models", "", { headers: user.headers });
  assert.equal(response.status, 200, response.text);
  return response.body.models;
}

async function canUse(user: TestUser, modelId: string): Promise<boolean> {
  const sql = await adminDb();
  const [{ ok }] = await sql<{ ok: boolean }[]>`
    select exists (
      select 1 from private.tier_models
       where tier = ${user.tier} and model_id = ${modelId}
    ) as ok`;
  return ok;
}

stackTest(
  "rules: a :free model reaches every tier, leaves when paid; overrides stick",
  async () => {
    const admin = await createUser({ isAdmin: true, label: "admin" });
    const free = await createUser({ tier: "free" });
    const sql = await adminDb();
    const fixture = await readFixture("2025-12-02");
    const id = `rules-http/m-${crypto.randomUUID().slice(0, 8)}:free`;
    const record = (prompt: string, description = "A test model.") => ({
      ...fixture.data[0],
      id,
      name: "Rules test (free)",
      description,
      pricing: { prompt, completion: prompt },
    });
    try {
      // A dry run previews the seeded rule's effect.
      const preview = await syncWith(admin, [record("0")], true);
      const change = (preview.rule_changes as Record<string, unknown>[]).find((c) =>
        c.model_id === id
      );
      assert.deepEqual(change, {
        model_id: id,
        rule: "Zero-priced :free variants: active for every tier",
        new_model: true,
        status: "active",
        is_free: true,
        is_pro: true,
        is_enterprise: true,
      });

      await syncWith(admin, [record("0")]);
      assert.ok((await listed(free)).includes(id), "listed for the free tier");
      assert.ok(await canUse(free, id), "callable by the free tier");

      // It starts charging: off every tier, in the list and in enforcement.
      const paid = await syncWith(admin, [record("0.000001")]);
      assert.ok(Number(paid.models_access_by_rules) >= 1);
      assert.ok(!(await listed(free)).includes(id), "no longer listed");
      assert.ok(!(await canUse(free, id)), "no longer callable");
      const model = await call<{ model: Record<string, unknown> }>("admin-models", modelPath(id), {
        headers: admin.headers,
      });
      assert.equal(model.body.model.status, "new");
      assert.equal(model.body.model.access_managed_by, "rules");

      // The admin offers it to pro by hand: admin-managed, and the next sync leaves it alone.
      const patched = await call<{ model: Record<string, unknown> }>(
        "admin-models",
        modelPath(id),
        {
          method: "PATCH",
          headers: admin.headers,
          body: { status: "active", is_pro: true },
        },
      );
      assert.equal(patched.status, 200, patched.text);
      assert.equal(patched.body.model.access_managed_by, "admin");
      await syncWith(admin, [record("0", "Free again upstream.")]);
      const [row] = await sql`
      select status, is_free, is_pro, is_enterprise, access_managed_by, model_description
        from public.model_access where model_id = ${id}`;
      assert.deepEqual(row, {
        status: "active",
        is_free: false,
        is_pro: true,
        is_enterprise: false,
        access_managed_by: "admin",
        model_description: "Free again upstream.",
      });

      // Status or flags together with the hand-back: 400, nothing changed.
      const mixed = await call<ErrorBody>("admin-models", modelPath(id), {
        method: "PATCH",
        headers: admin.headers,
        body: { access_managed_by: "rules", is_free: true },
      });
      assert.equal(mixed.status, 400, mixed.text);
      assert.equal(mixed.body.error.code, "invalid_request");

      // Handed back: the rules decide at once (zero-priced again: every tier).
      const back = await call<{ model: Record<string, unknown> }>("admin-models", modelPath(id), {
        method: "PATCH",
        headers: admin.headers,
        body: { access_managed_by: "rules" },
      });
      assert.equal(back.status, 200, back.text);
      assert.equal(back.body.model.access_managed_by, "rules");
      assert.equal(back.body.model.status, "active");
      assert.equal(back.body.model.is_free, true);
      assert.ok((await listed(free)).includes(id));
    } finally {
      await sql`delete from public.model_access where model_id = ${id}`;
      await sql`delete from public.model_price_history where model_id = ${id}`;
      await deleteUsers(admin, free);
    }
  },
);

stackTest("rules: admins list, add, change, apply and delete rules; others get 403", async () => {
  const admin = await createUser({ isAdmin: true, label: "admin" });
  const user = await createUser({ tier: "enterprise" });
  let created: Rule | undefined;
  try {
    const forbidden = await call<ErrorBody>("admin-models", "rules", { headers: user.headers });
    assert.equal(forbidden.status, 403);

    const add = await call<{ rule: Rule }>("admin-models", "rules", {
      method: "POST",
      headers: admin.headers,
      body: {
        priority: 900_001,
        name: "http test: nothing matches",
        match_model_id_regex: "^no-such-provider/",
        match_min_prompt_price: "0.5",
        status: "active",
        is_pro: true,
      },
    });
    assert.equal(add.status, 201, add.text);
    created = add.body.rule;
    assert.equal(created.enabled, true);
    assert.equal(created.match_model_id_regex, "^no-such-provider/");
    assert.equal(Number(created.match_min_prompt_price), 0.5);

    const list = await call<{ rules: Rule[] }>("admin-models", "rules", { headers: admin.headers });
    assert.equal(list.status, 200);
    assert.ok(list.body.rules.some((r) => r.id === created!.id));
    const priorities = list.body.rules.map((r) => Number(r.priority));
    assert.deepEqual(priorities, [...priorities].sort((a, b) => a - b), "by priority");

    const patch = await call<{ rule: Rule }>("admin-models", `rules/${created.id}`, {
      method: "PATCH",
      headers: admin.headers,
      body: { enabled: false },
    });
    assert.equal(patch.status, 200, patch.text);
    assert.equal(patch.body.rule.enabled, false);

    const badRegex = await call<ErrorBody>("admin-models", `rules/${created.id}`, {
      method: "PATCH",
      headers: admin.headers,
      body: { match_model_id_regex: "([a-z" },
    });
    assert.equal(badRegex.status, 400, badRegex.text);
    const badStatus = await call<ErrorBody>("admin-models", "rules", {
      method: "POST",
      headers: admin.headers,
      body: { priority: 1, name: "x", status: "inactive" },
    });
    assert.equal(badStatus.status, 400, badStatus.text);

    const apply = await call<{ updated: number }>("admin-models", "rules/apply", {
      method: "POST",
      headers: admin.headers,
    });
    assert.equal(apply.status, 200, apply.text);
    assert.equal(typeof apply.body.updated, "number");

    const userDelete = await call("admin-models", `rules/${created.id}`, {
      method: "DELETE",
      headers: user.headers,
    });
    assert.equal(userDelete.status, 403);
    const del = await call("admin-models", `rules/${created.id}`, {
      method: "DELETE",
      headers: admin.headers,
    });
    assert.equal(del.status, 204, del.text);
    const again = await call("admin-models", `rules/${created.id}`, {
      method: "DELETE",
      headers: admin.headers,
    });
    assert.equal(again.status, 404);
    created = undefined;
  } finally {
    if (created) {
      const sql = await adminDb();
      await sql`delete from public.model_access_rules where id = ${created.id}`;
    }
    await deleteUsers(admin, user);
  }
});

// Tiering rules over HTTP: /admin-models/rules (list, add, change, delete, apply; refusals), a
// synced `:free` model offered to every tier by the seeded rule and taken off every tier when it
// turns paid (list and enforcement agree), a manual override that sticks, handing it back with
// PATCH { access_managed_by: "rules" }, and the dry-run preview of rule effects; patterns the
// database refuses, a rule on output modality, rule matching stopped at its time limit, and the
// audit of rule writes made through admin-models.
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

stackTest("rules: adding, changing and deleting a rule are audited with the admin", async () => {
  const admin = await createUser({ isAdmin: true, label: "admin" });
  const sql = await adminDb();
  let ruleId: number | undefined;
  try {
    const add = await call<{ rule: Rule }>("admin-models", "rules", {
      method: "POST",
      headers: admin.headers,
      body: { priority: 900_002, name: "http test: audited", status: "new" },
    });
    assert.equal(add.status, 201, add.text);
    ruleId = add.body.rule.id;
    const patch = await call("admin-models", `rules/${ruleId}`, {
      method: "PATCH",
      headers: admin.headers,
      body: { enabled: false },
    });
    assert.equal(patch.status, 200, patch.text);
    const del = await call("admin-models", `rules/${ruleId}`, {
      method: "DELETE",
      headers: admin.headers,
    });
    assert.equal(del.status, 204, del.text);

    const trail = await sql<Record<string, unknown>[]>`
      select operation, actor_user_id, actor_role, old_values, new_values
        from public.model_access_rules_audit
       where rule_id = ${ruleId}
       order by id`;
    assert.deepEqual(trail.map((a) => [a.operation, a.actor_user_id, a.actor_role]), [
      ["insert", admin.id, "authenticated"],
      ["update", admin.id, "authenticated"],
      ["delete", admin.id, "authenticated"],
    ]);
    assert.equal((trail[0].new_values as Rule).name, "http test: audited");
    assert.deepEqual([trail[1].old_values, trail[1].new_values], [
      { enabled: true },
      { enabled: false },
    ]);
    assert.equal((trail[2].old_values as Rule).enabled, false);
  } finally {
    if (ruleId !== undefined) {
      await sql`delete from public.model_access_rules where id = ${ruleId}`;
      await sql`delete from public.model_access_rules_audit where rule_id = ${ruleId}`;
    }
    await deleteUsers(admin);
  }
});

stackTest(
  "rules: a pattern the database refuses is a 400 with its reason, on add and change",
  async () => {
    const admin = await createUser({ isAdmin: true, label: "admin" });
    let created: Rule | undefined;
    try {
      const add = (fields: Record<string, unknown>) =>
        call<ErrorBody>("admin-models", "rules", {
          method: "POST",
          headers: admin.headers,
          body: { priority: 900_002, name: "http test: refused", status: "active", ...fields },
        });
      const refusals: [Record<string, unknown>, string][] = [
        [
          { match_model_id_like: "openai/\\" },
          "match_model_id_like must not end in a single backslash (LIKE's escape character); " +
          "write \\\\ for a literal backslash.",
        ],
        [
          { match_model_id_regex: "([a-z" },
          "match_model_id_regex is not a valid regular expression: brackets [] not balanced.",
        ],
        [
          { match_model_id_regex: "^(a+)\\1$" },
          "match_model_id_regex must not use back-references (\\1 to \\9): they can make matching " +
          "take exponentially long.",
        ],
        [
          { match_model_id_regex: "a".repeat(501) },
          "match_model_id_regex may be at most 500 characters long.",
        ],
        [
          { match_output_modality: "Image" },
          "match_output_modality must be a modality name in lowercase, e.g. text, image, audio, " +
          "embeddings.",
        ],
        [
          { match_min_prompt_price: "9".repeat(60) },
          "price bounds must be valid prices: decimals of at most 40 characters.",
        ],
      ];
      // Beyond what numeric holds at all: refused by the column itself, still as our 400.
      for (const bound of ["1e999999", "not a price"]) {
        const refused = await add({ match_max_completion_price: bound });
        assert.equal(refused.status, 400, refused.text);
        assert.equal(refused.body.error.code, "invalid_request");
      }
      for (const [fields, message] of refusals) {
        const refused = await add(fields);
        assert.equal(refused.status, 400, refused.text);
        assert.deepEqual(refused.body, { error: { code: "invalid_request", message } });
      }

      const accepted = await call<{ rule: Rule }>("admin-models", "rules", {
        method: "POST",
        headers: admin.headers,
        body: {
          priority: 900_002,
          name: "http test: literal backslash",
          match_model_id_like: "no-such-provider/\\\\",
          status: "new",
        },
      });
      assert.equal(accepted.status, 201, accepted.text);
      created = accepted.body.rule;
      const changed = await call<ErrorBody>("admin-models", `rules/${created.id}`, {
        method: "PATCH",
        headers: admin.headers,
        body: { match_model_id_like: "no-such-provider/\\" },
      });
      assert.equal(changed.status, 400, changed.text);
      assert.equal(changed.body.error.code, "invalid_request");
      const sql = await adminDb();
      const [row] = await sql`
      select match_model_id_like from public.model_access_rules where id = ${created.id}`;
      assert.equal(row.match_model_id_like, "no-such-provider/\\\\", "the rule is unchanged");
    } finally {
      if (created) {
        const sql = await adminDb();
        await sql`delete from public.model_access_rules where id = ${created.id}`;
      }
      await deleteUsers(admin);
    }
  },
);

stackTest("rules: a rule on output modality tiers the models that output it", async () => {
  const admin = await createUser({ isAdmin: true, label: "admin" });
  const sql = await adminDb();
  const fixture = await readFixture("2025-12-02");
  const provider = `rules-out-${crypto.randomUUID().slice(0, 8)}`;
  const record = (name: string, outputModalities: string[]) => ({
    ...fixture.data[0],
    id: `${provider}/${name}`,
    name: `Output modality test (${name})`,
    architecture: {
      modality: `text->${outputModalities.join("+")}`,
      input_modalities: ["text"],
      output_modalities: outputModalities,
      tokenizer: "Other",
    },
  });
  let created: Rule | undefined;
  try {
    const add = await call<{ rule: Rule }>("admin-models", "rules", {
      method: "POST",
      headers: admin.headers,
      body: {
        priority: -900_003,
        name: "http test: image generators for enterprise",
        match_provider: provider,
        match_output_modality: "image",
        status: "active",
        is_enterprise: true,
      },
    });
    assert.equal(add.status, 201, add.text);
    created = add.body.rule;
    assert.equal(created.match_output_modality, "image");

    await syncWith(admin, [record("painter", ["image", "text"]), record("writer", ["text"])]);
    const rows = await sql`
      select model_id, status, is_free, is_pro, is_enterprise from public.model_access
       where model_id like ${provider + "/%"} order by model_id`;
    assert.deepEqual([...rows], [
      {
        model_id: `${provider}/painter`,
        status: "active",
        is_free: false,
        is_pro: false,
        is_enterprise: true,
      },
      {
        model_id: `${provider}/writer`,
        status: "new",
        is_free: false,
        is_pro: false,
        is_enterprise: false,
      },
    ]);
  } finally {
    await sql`delete from public.model_access where model_id like ${provider + "/%"}`;
    await sql`delete from public.model_price_history where model_id like ${provider + "/%"}`;
    if (created) await sql`delete from public.model_access_rules where id = ${created.id}`;
    await deleteUsers(admin);
  }
});

stackTest("rules: matching that runs past its time limit is stopped, with a 503", async () => {
  const admin = await createUser({ isAdmin: true, label: "admin" });
  const sql = await adminDb();
  const prefix = `rules-slow-${crypto.randomUUID().slice(0, 8)}/`;
  // Matching this id against the regex below takes about a minute: the back-references make
  // Postgres backtrack through every way of splitting the id.
  const modelId = prefix + "ab".repeat(60) + "c";
  const regex = String.raw`^(.*)(.*)(.*)(.*)(.*)\5\4\3\2\1$`;
  let ruleId: number | undefined;
  try {
    // As a rule saved before back-references were refused: the replica role skips the check.
    ruleId = await sql.begin(async (tx) => {
      await tx`set local session_replication_role = replica`;
      const [{ id }] = await tx<{ id: string }[]>`
        insert into public.model_access_rules (priority, name, match_model_id_like,
          match_model_id_regex, status)
        values (-900004, 'http test: pathological', ${prefix + "%"},
          ${regex}, 'active')
        returning id`;
      return Number(id);
    });
    await sql`
      insert into public.model_access (model_id, model_name, access_managed_by)
      values (${modelId}, 'Slow to match', 'admin')`;

    const timeout = {
      code: "timeout",
      message:
        "Applying the tiering rules took longer than 8s and was stopped; nothing was changed.",
    };
    await sql`update public.model_access set access_managed_by = 'rules' where model_id = ${modelId}`;
    const apply = await call<ErrorBody>("admin-models", "rules/apply", {
      method: "POST",
      headers: admin.headers,
    });
    assert.equal(apply.status, 503, apply.text);
    assert.deepEqual(apply.body, { error: timeout });

    await sql`update public.model_access set access_managed_by = 'admin' where model_id = ${modelId}`;
    const handBack = await call<ErrorBody>("admin-models", modelPath(modelId), {
      method: "PATCH",
      headers: admin.headers,
      body: { access_managed_by: "rules" },
    });
    assert.equal(handBack.status, 503, handBack.text);
    assert.deepEqual(handBack.body, { error: timeout });
    const [row] = await sql`
      select status, access_managed_by from public.model_access where model_id = ${modelId}`;
    assert.deepEqual(row, { status: "new", access_managed_by: "admin" }, "nothing was changed");
  } finally {
    await sql`delete from public.model_access where model_id = ${modelId}`;
    if (ruleId) await sql`delete from public.model_access_rules where id = ${ruleId}`;
    await deleteUsers(admin);
  }
});

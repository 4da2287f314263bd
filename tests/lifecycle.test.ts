// Model lifecycle over HTTP: POST /admin-models/:modelId/deprecate with a replacement and a sunset;
// the enhanced list shows the deprecation (through the cached render) until the sunset, after
// which the model is neither listed nor callable; the next sync moves users whose default model
// it was to the replacement and logs it in their activity; refusals.
import assert from "node:assert/strict";
import { call, type ErrorBody, modelPath } from "./_helpers/api.ts";
import { syncFixture } from "./_helpers/catalog.ts";
import { adminDb } from "./_helpers/stack.ts";
import { stackTest } from "./_helpers/harness.ts";
import { createUser, deleteUsers } from "./_helpers/users.ts";

type Enhanced = {
  models: { id: string; deprecation: null | Record<string, unknown> }[];
};

stackTest("deprecation with a replacement: listed until sunset, then defaults move", async () => {
  const admin = await createUser({ isAdmin: true, label: "admin" });
  const user = await createUser({ tier: "free" });
  const sql = await adminDb();
  try {
    await syncFixture(admin, "2025-12-02");
    const [old, replacement, fresh] = await sql<{ model_id: string }[]>`
      select model_id from public.model_access
       where upstream_removed_at is null order by model_id limit 3`;
    await sql`
      update public.model_access
         set status = 'active', is_free = true, is_pro = false, is_enterprise = false
       where model_id in (${old.model_id}, ${replacement.model_id})`;
    await sql`update public.model_access set status = 'new' where model_id = ${fresh.model_id}`;
    await sql`update public.profiles set default_model = ${old.model_id} where id = ${user.id}`;

    // Prime the tier's cached render, then deprecate: the list must show it.
    const before = await call<Enhanced>("models", "", {
      headers: user.headers,
      query: { enhanced: "true" },
    });
    assert.equal(before.status, 200);
    const sunset = new Date(Date.now() + 2500);
    const deprecated = await call<{ model: Record<string, unknown> }>(
      "admin-models",
      `${modelPath(old.model_id)}/deprecate`,
      {
        method: "POST",
        headers: admin.headers,
        body: { replacement_model_id: replacement.model_id, sunset_at: sunset.toISOString() },
      },
    );
    assert.equal(deprecated.status, 200, deprecated.text);
    assert.equal(deprecated.body.model.status, "deprecated");
    assert.equal(deprecated.body.model.replacement_model_id, replacement.model_id);
    assert.equal(deprecated.body.model.access_managed_by, "admin");

    const during = await call<Enhanced>("models", "", {
      headers: user.headers,
      query: { enhanced: "true" },
    });
    const listed = during.body.models.find((m) => m.id === old.model_id);
    assert.ok(listed, "listed until the sunset");
    assert.equal(listed.deprecation?.replacement_model_id, replacement.model_id);
    assert.equal(Date.parse(String(listed.deprecation?.sunset_at)), sunset.getTime());
    assert.equal(during.body.models.find((m) => m.id === replacement.model_id)?.deprecation, null);

    await new Promise((resolve) => setTimeout(resolve, sunset.getTime() - Date.now() + 200));
    const after = await call<Enhanced>("models", "", {
      headers: user.headers,
      query: { enhanced: "true" },
    });
    assert.ok(!after.body.models.some((m) => m.id === old.model_id), "gone after the sunset");
    const legacy = await call<{ models: string[] }>("models", "", { headers: user.headers });
    assert.ok(!legacy.body.models.includes(old.model_id));
    const consume = await call<ErrorBody>("models", "consume", {
      method: "POST",
      headers: user.headers,
      body: { model_id: old.model_id },
    });
    assert.equal(consume.status, 403, consume.text);

    // The next sync re-points the default the sunset left unavailable.
    await syncFixture(admin, "2025-12-02");
    const [profile] = await sql`select default_model from public.profiles where id = ${user.id}`;
    assert.equal(profile.default_model, replacement.model_id);
    const [activity] = await sql`
      select details from public.user_activity
       where user_id = ${user.id} and activity_type = 'default_model_replaced'
       order by id desc
       limit 1`;
    assert.deepEqual(activity.details, {
      from: old.model_id,
      to: replacement.model_id,
      via: "replacement",
      reason: "sunset",
    });

    // Refusals.
    const unknown = await call<ErrorBody>("admin-models", `${modelPath("nobody/none")}/deprecate`, {
      method: "POST",
      headers: admin.headers,
    });
    assert.equal(unknown.status, 404, unknown.text);
    const notActive = await call<ErrorBody>(
      "admin-models",
      `${modelPath(fresh.model_id)}/deprecate`,
      { method: "POST", headers: admin.headers },
    );
    assert.equal(notActive.status, 409, notActive.text);
    const self = await call<ErrorBody>(
      "admin-models",
      `${modelPath(replacement.model_id)}/deprecate`,
      {
        method: "POST",
        headers: admin.headers,
        body: { replacement_model_id: replacement.model_id },
      },
    );
    assert.equal(self.status, 400, self.text);
    const forbidden = await call<ErrorBody>(
      "admin-models",
      `${modelPath(replacement.model_id)}/deprecate`,
      { method: "POST", headers: user.headers },
    );
    assert.equal(forbidden.status, 403);
  } finally {
    await deleteUsers(admin, user);
  }
});

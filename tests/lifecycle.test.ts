// Model lifecycle over HTTP: POST /admin-models/:modelId/deprecate with a replacement and a sunset;
// the enhanced list shows the deprecation (through the cached render) until the sunset, after
// which the model is neither listed nor callable, and users who chose it resolve to the
// replacement while their choice is kept; a model missing upstream for one sync is the user's
// default again when it returns; refusals.
import assert from "node:assert/strict";
import { call, type ErrorBody, modelPath } from "./_helpers/api.ts";
import { syncFixture, withFakeOpenRouter } from "./_helpers/catalog.ts";
import { serveModels } from "./_helpers/fake_openrouter.ts";
import { adminDb, readFixture } from "./_helpers/stack.ts";
import { stackTest } from "./_helpers/harness.ts";
import { createUser, deleteUsers, type TestUser } from "./_helpers/users.ts";

type Enhanced = {
  models: { id: string; deprecation: null | Record<string, unknown> }[];
  default_model: { chosen: string | null; resolved: string | null; reason: string };
};

const enhanced = (user: TestUser) =>
  call<Enhanced>("models", "", { headers: user.headers, query: { enhanced: "true" } });

stackTest(
  "deprecation with a replacement: listed until sunset, then users resolve to it",
  async () => {
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
      assert.equal(
        during.body.models.find((m) => m.id === replacement.model_id)?.deprecation,
        null,
      );

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

      // The user resolves to the replacement; their choice is kept, also through the next sync.
      assert.deepEqual(after.body.default_model, {
        chosen: old.model_id,
        resolved: replacement.model_id,
        reason: "replacement",
      });
      await syncFixture(admin, "2025-12-02");
      const [profile] = await sql`select default_model from public.profiles where id = ${user.id}`;
      assert.equal(profile.default_model, old.model_id);

      // Refusals.
      const unknown = await call<ErrorBody>(
        "admin-models",
        `${modelPath("nobody/none")}/deprecate`,
        {
          method: "POST",
          headers: admin.headers,
        },
      );
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
  },
);

stackTest(
  "a model missing upstream for one sync is the user's default again when it returns",
  async () => {
    const admin = await createUser({ isAdmin: true, label: "admin" });
    const user = await createUser({ tier: "free" });
    const sql = await adminDb();
    try {
      await syncFixture(admin, "2025-12-02");
      const [mine] = await sql<{ model_id: string }[]>`
      update public.model_access set status = 'active', is_free = true
       where model_id = (select model_id from public.model_access
                          where upstream_removed_at is null order by model_id desc limit 1)
      returning model_id`;
      await sql`update public.profiles set default_model = ${mine.model_id} where id = ${user.id}`;
      assert.equal((await enhanced(user)).body.default_model.reason, "chosen");

      const upstream = (await readFixture("2025-12-02")).data;
      const sync = () =>
        call("admin-models", "sync", {
          method: "POST",
          headers: admin.headers,
          query: { force: "true" },
        });
      const missing = await withFakeOpenRouter(
        serveModels(upstream.filter((m) => m.id !== mine.model_id)),
        sync,
      );
      assert.equal(missing.status, 200, missing.text);
      const away = await enhanced(user);
      assert.ok(!away.body.models.some((m) => m.id === mine.model_id), "not listed while missing");
      assert.deepEqual(away.body.default_model, {
        chosen: mine.model_id,
        resolved: away.body.models[0].id,
        reason: "tier_default",
      });

      await syncFixture(admin, "2025-12-02");
      assert.deepEqual((await enhanced(user)).body.default_model, {
        chosen: mine.model_id,
        resolved: mine.model_id,
        reason: "chosen",
      });
      const [profile] = await sql`select default_model from public.profiles where id = ${user.id}`;
      assert.equal(profile.default_model, mine.model_id, "never rewritten");
    } finally {
      await deleteUsers(admin, user);
    }
  },
);

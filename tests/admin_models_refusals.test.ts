// What admin-models answers when the database refuses a write or a read: the admin functions raise
// a SQLSTATE with their own message (and the ids or the field at fault), and each route words it
// as before: the field in `details`, the function's message for a deprecation it refuses, the
// model's id for one that does not exist. Models of a unique provider, removed afterwards.
import assert from "node:assert/strict";
import { call, type ErrorBody, modelPath } from "./_helpers/api.ts";
import { adminDb } from "./_helpers/stack.ts";
import { stackTest } from "./_helpers/harness.ts";
import { createUser, deleteUsers } from "./_helpers/users.ts";

function assertError(
  response: { status: number; body: ErrorBody; text: string },
  status: number,
  code: string,
) {
  assert.equal(response.status, status, response.text);
  assert.equal(response.body.error.code, code);
}

stackTest("admin-models words the database's refusals of writes and reads", async () => {
  const admin = await createUser({ isAdmin: true });
  const sql = await adminDb();
  const provider = `refusals-${crypto.randomUUID().slice(0, 8)}`;
  const active = `${provider}/active`;
  const fresh = `${provider}/new`;
  try {
    await sql`
      insert into public.model_access (model_id, model_name, status)
      values (${active}, 'Active', 'active'), (${fresh}, 'New', 'new')`;

    // A status only the sync sets: the database names the field and says why.
    const status = await call<ErrorBody>("admin-models", modelPath(active), {
      method: "PATCH",
      headers: admin.headers,
      body: { status: "inactive" },
    });
    assertError(status, 400, "invalid_request");
    assert.equal(status.body.error.message, "Invalid body.");
    assert.deepEqual(status.body.error.details, [{
      path: "status",
      message: "status must be new, active or disabled (inactive is set by the sync only)",
    }]);

    const notActive = await call<ErrorBody>("admin-models", `${modelPath(fresh)}/deprecate`, {
      method: "POST",
      headers: admin.headers,
    });
    assertError(notActive, 409, "conflict");
    assert.equal(
      notActive.body.error.message,
      `only active or deprecated models can be deprecated: ${fresh}`,
    );

    const unknownReplacement = await call<ErrorBody>(
      "admin-models",
      `${modelPath(active)}/deprecate`,
      { method: "POST", headers: admin.headers, body: { replacement_model_id: `${provider}/x` } },
    );
    assertError(unknownReplacement, 400, "invalid_request");
    assert.equal(
      unknownReplacement.body.error.message,
      `unknown replacement model: ${provider}/x`,
    );

    const unknownDeprecation = await call<ErrorBody>(
      "admin-models",
      `${modelPath(`${provider}/none`)}/deprecate`,
      { method: "POST", headers: admin.headers },
    );
    assertError(unknownDeprecation, 404, "not_found");
    assert.equal(unknownDeprecation.body.error.message, `No model "${provider}/none".`);

    const unknownPrices = await call<ErrorBody>(
      "admin-models",
      `${modelPath(`${provider}/none`)}/prices`,
      { headers: admin.headers },
    );
    assertError(unknownPrices, 404, "not_found");
    assert.equal(unknownPrices.body.error.message, `No model "${provider}/none".`);

    const unpriced = await call<{ model_id: string; prices: unknown[] }>(
      "admin-models",
      `${modelPath(active)}/prices`,
      { headers: admin.headers },
    );
    assert.equal(unpriced.status, 200, unpriced.text);
    assert.deepEqual(unpriced.body, { model_id: active, prices: [] });
  } finally {
    await sql`delete from public.model_access where model_id like ${provider + "/%"}`;
    await deleteUsers(admin);
  }
});

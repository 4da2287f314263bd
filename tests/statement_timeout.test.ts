// A user's statements run under the statement_timeout Supabase gives `authenticated` (8 s): a read
// stuck behind a lock is stopped and answered 503 `timeout`, and frees its connection slot, rather
// than holding the isolate's pool for as long as the lock is held.
import assert from "node:assert/strict";
import postgres from "postgres";
import { call, type ErrorBody } from "./_helpers/api.ts";
import { stackTest } from "./_helpers/harness.ts";
import { stack } from "./_helpers/stack.ts";
import { createUser, deleteUsers } from "./_helpers/users.ts";

stackTest("a user's read stuck behind a lock is stopped at 8 s: 503 timeout", async () => {
  const user = await createUser({ label: "timeout" });
  // A connection of its own: the lock is held in a transaction that outlives the request.
  const locker = postgres((await stack()).adminDbUrl, { max: 1, onnotice: () => {} });
  try {
    let release!: () => void;
    const released = new Promise<void>((resolve) => release = resolve);
    let locked!: () => void;
    const holding = new Promise<void>((resolve) => locked = resolve);
    const transaction = locker.begin(async (tx) => {
      await tx`lock table private.catalog_version in access exclusive mode`;
      locked();
      await released;
    });
    await holding;
    const started = Date.now();
    const response = await call<ErrorBody>("models", "", { headers: user.headers });
    const waited = Date.now() - started;
    release();
    await transaction;
    assert.equal(response.status, 503, response.text);
    assert.equal(response.body.error.code, "timeout");
    assert.ok(waited >= 7_500, `stopped by the time limit, not before it (${waited} ms)`);

    const after = await call("models", "", { headers: user.headers });
    assert.equal(after.status, 200, "the next request is served");
  } finally {
    await locker.end({ timeout: 1 });
    await deleteUsers(user);
  }
});

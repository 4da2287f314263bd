// GET /functions/v1/admin-models/changes: the change digest of a sync that changed the catalog
// (2025-05-23 then 2025-12-02), newest first, with the same counts as the sync's answer; none for
// a sync that changes nothing; 403 for non-admins.
import assert from "node:assert/strict";
import { call, type ErrorBody } from "./_helpers/api.ts";
import { syncFixture } from "./_helpers/catalog.ts";
import { stackTest } from "./_helpers/harness.ts";
import { createUser, deleteUsers } from "./_helpers/users.ts";

type Digest = Record<string, unknown> & {
  sync_log_id: number;
  digest: { added: string[]; inactivated: string[]; price_changes: unknown[] };
};

stackTest("GET /changes lists the digest of each sync that changed the catalog", async () => {
  const admin = await createUser({ isAdmin: true, label: "admin" });
  const user = await createUser({ tier: "enterprise" });
  try {
    await syncFixture(admin, "2025-05-23");
    const second = await syncFixture(admin, "2025-12-02");
    const again = await syncFixture(admin, "2025-12-02");
    assert.equal(again.rows_written, 0);

    const response = await call<{ digests: Digest[] }>("admin-models", "changes", {
      headers: admin.headers,
      query: { limit: "5" },
    });
    assert.equal(response.status, 200, response.text);
    const [latest] = response.body.digests;
    assert.equal(latest.sync_log_id, second.sync_log_id, "the no-change sync has no digest");
    assert.equal(latest.models_added, second.models_added);
    assert.equal(latest.digest.added.length, second.models_added);
    assert.equal(latest.models_inactivated, second.models_marked_inactive);
    assert.ok(latest.digest.price_changes.length > 0);
    assert.equal(latest.webhook_status, "not_configured");

    const forbidden = await call<ErrorBody>("admin-models", "changes", { headers: user.headers });
    assert.equal(forbidden.status, 403);
  } finally {
    await deleteUsers(admin, user);
  }
});

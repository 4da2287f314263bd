// GET /functions/v1/admin-models/:modelId/prices: a model's price timeline across the two
// fixtures, newest first, with the sync run that saw each price; the sync result's count of
// price changes; 404 for an unknown model and 403 for non-admins.
import assert from "node:assert/strict";
import { call, type ErrorBody, modelPath } from "./_helpers/api.ts";
import { syncFixture } from "./_helpers/catalog.ts";
import { readFixture } from "./_helpers/stack.ts";
import { stackTest } from "./_helpers/harness.ts";
import { createUser, deleteUsers } from "./_helpers/users.ts";

type PricesBody = {
  model_id: string;
  prices: (Record<string, unknown> & {
    effective_from: string;
    sync_log_id: number;
    upstream: unknown;
  })[];
};

stackTest("GET /:modelId/prices shows the timeline across the fixtures, newest first", async () => {
  const admin = await createUser({ isAdmin: true, label: "admin" });
  const user = await createUser({ tier: "enterprise" });
  try {
    const [old, next] = await Promise.all([readFixture("2025-05-23"), readFixture("2025-12-02")]);
    const oldPricing = new Map(old.data.map((m) => [m.id as string, m.pricing]));
    const repriced = next.data.find((m) =>
      oldPricing.has(m.id as string) &&
      JSON.stringify(oldPricing.get(m.id as string)) !== JSON.stringify(m.pricing)
    )!;
    assert.ok(repriced, "the fixtures have a repriced model");
    const id = repriced.id as string;

    const first = await syncFixture(admin, "2025-05-23");
    const second = await syncFixture(admin, "2025-12-02");
    assert.ok(Number(second.models_price_changed) > 0, JSON.stringify(second));

    const response = await call<PricesBody>("admin-models", `${modelPath(id)}/prices`, {
      headers: admin.headers,
    });
    assert.equal(response.status, 200, response.text);
    assert.equal(response.body.model_id, id);
    const [latest, previous] = response.body.prices;
    assert.deepEqual(latest.upstream, repriced.pricing);
    assert.equal(latest.sync_log_id, second.sync_log_id);
    assert.equal(
      Number(latest.prompt),
      Number((repriced.pricing as { prompt: string }).prompt),
    );
    assert.deepEqual(previous.upstream, oldPricing.get(id));
    assert.equal(previous.sync_log_id, first.sync_log_id);
    for (let i = 1; i < response.body.prices.length; i++) {
      assert.ok(
        Date.parse(response.body.prices[i - 1].effective_from) >=
          Date.parse(response.body.prices[i].effective_from),
        "newest first",
      );
    }
    for (
      const key of [
        "effective_from",
        "prompt",
        "completion",
        "request",
        "image",
        "web_search",
        "internal_reasoning",
        "input_cache_read",
        "input_cache_write",
        "sync_log_id",
      ]
    ) assert.ok(key in latest, key);

    const unknown = await call<ErrorBody>("admin-models", `${modelPath("nobody/none")}/prices`, {
      headers: admin.headers,
    });
    assert.equal(unknown.status, 404, unknown.text);
    assert.equal(unknown.body.error.code, "not_found");

    const forbidden = await call<ErrorBody>("admin-models", `${modelPath(id)}/prices`, {
      headers: user.headers,
    });
    assert.equal(forbidden.status, 403, forbidden.text);

    const wrongMethod = await call<ErrorBody>("admin-models", `${modelPath(id)}/prices`, {
      method: "POST",
      headers: admin.headers,
    });
    assert.equal(wrongMethod.status, 405, wrongMethod.text);
  } finally {
    await deleteUsers(admin, user);
  }
});

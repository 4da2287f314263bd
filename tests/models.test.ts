// GET /functions/v1/models: each tier's exact list, both response shapes, the headers, ETag/304
// and how lists follow admin changes, tier changes and supabase-js clients.
import assert from "node:assert/strict";
import { createClient, FunctionsHttpError } from "@supabase/supabase-js";
import { call, type ErrorBody, modelPath } from "./_helpers/api.ts";
import {
  type CatalogRow,
  catalogRows,
  expectedList,
  setAccess,
  syncFixture,
} from "./_helpers/catalog.ts";
import { adminDb, readFixture, stack } from "./_helpers/stack.ts";
import { stackTest } from "./_helpers/harness.ts";
import { createUser, deleteUsers, setTier, type TestUser } from "./_helpers/users.ts";

type Tier = "free" | "pro" | "enterprise";
const tiers: Tier[] = ["free", "pro", "enterprise"];

/** A spread of access settings over the catalog: every combination the rules distinguish. */
function pattern(_id: string, i: number) {
  switch (i % 8) {
    case 0:
      return { status: "active", is_free: true, is_pro: false, is_enterprise: false } as const;
    case 1:
      return { status: "active", is_free: false, is_pro: true, is_enterprise: false } as const;
    case 2:
      return { status: "active", is_free: false, is_pro: false, is_enterprise: true } as const;
    case 3:
      return { status: "active", is_free: false, is_pro: true, is_enterprise: true } as const;
    case 4:
      return { status: "disabled", is_free: true, is_pro: true, is_enterprise: true } as const;
    case 5:
      return { status: "new", is_free: true, is_pro: true, is_enterprise: true } as const;
    case 6:
      return { status: "active", is_free: false, is_pro: false, is_enterprise: false } as const;
    default:
      return {
        status: "active",
        is_free: true,
        is_pro: true,
        is_enterprise: true,
        daily_limit: 100 + i,
        monthly_limit: 1000 + i,
      } as const;
  }
}

interface Users {
  admin: TestUser;
  free: TestUser;
  pro: TestUser;
  enterprise: TestUser;
}

async function setup(fixture: "2025-05-23" | "2025-12-02"): Promise<Users> {
  const admin = await createUser({ isAdmin: true, label: "admin" });
  const users = {
    admin,
    free: await createUser({ tier: "free" }),
    pro: await createUser({ tier: "pro" }),
    enterprise: await createUser({ tier: "enterprise" }),
  };
  await syncFixture(admin, fixture);
  await setAccess(pattern);
  return users;
}

const teardown = (users: Partial<Users>) => deleteUsers(...Object.values(users));

type Legacy = { models: string[] };

interface EnhancedModel {
  id: string;
  name: string | null;
  description: string | null;
  context_length: number | null;
  pricing: { prompt: string | null; completion: string | null };
  input_modalities: string[];
  output_modalities: string[];
  supported_parameters: string[];
  created: number | null;
  daily_limit: number | null;
  monthly_limit: number | null;
  /** The caller's quota counters; tests/quotas.test.ts covers their values. */
  usage: unknown;
}

interface DefaultModel {
  chosen: string | null;
  resolved: string | null;
  reason: "chosen" | "replacement" | "tier_default" | "none";
}

interface UpstreamModel {
  name: string;
  description: string;
  context_length: number;
  created: number;
  pricing: { prompt: string; completion: string };
  architecture: { input_modalities: string[]; output_modalities: string[] };
  supported_parameters: string[];
}

for (const fixture of ["2025-05-23", "2025-12-02"] as const) {
  stackTest(`each tier gets its exact list after syncing ${fixture}`, async () => {
    const users = await setup(fixture);
    try {
      const rows = await catalogRows();
      const upstreamIds = new Set((await readFixture(fixture)).data.map((m) => m.id as string));
      for (const tier of tiers) {
        const response = await call<Legacy>("models", "", { headers: users[tier].headers });
        assert.equal(response.status, 200, response.text);
        const expected = expectedList(rows, tier);
        assert.ok(expected.length > 20, "the pattern leaves every tier a real list");
        assert.deepEqual(response.body.models, expected, `${tier} list`);
        assert.ok(response.body.models.every((id) => upstreamIds.has(id)), "only upstream models");
        assert.equal(response.headers.get("x-user-tier"), tier);
        assert.equal(response.headers.get("x-models-count"), String(expected.length));
        assert.equal(response.headers.get("x-enhanced-mode"), "false");
        assert.equal(response.headers.get("cache-control"), "private");
        assert.match(response.headers.get("etag") ?? "", /^"[A-Za-z0-9_-]+"$/);
        assert.match(response.headers.get("x-response-time") ?? "", /^\d+(\.\d+)?ms$/);
        assert.ok(response.headers.get("x-request-id"));
      }
      // The tiers nest: free ⊂ pro ⊂ enterprise.
      const lists = await Promise.all(
        tiers.map((tier) =>
          call<Legacy>("models", "", { headers: users[tier].headers }).then((r) =>
            new Set(r.body.models)
          )
        ),
      );
      assert.ok([...lists[0]].every((id) => lists[1].has(id)));
      assert.ok([...lists[1]].every((id) => lists[2].has(id)));
      assert.ok(lists[0].size < lists[1].size && lists[1].size < lists[2].size);
    } finally {
      await teardown(users);
    }
  });
}

stackTest(
  "the list matches the database function for the caller, never another user's",
  async () => {
    const users = await setup("2025-12-02");
    try {
      const sql = await adminDb();
      for (const tier of tiers) {
        const rows = await sql<{ model_id: string }[]>`
        select model_id from public.get_user_allowed_models_v2(${users[tier].id})`;
        const response = await call<Legacy>("models", "", { headers: users[tier].headers });
        assert.deepEqual(response.body.models, rows.map((r) => r.model_id));
      }
    } finally {
      await teardown(users);
    }
  },
);

stackTest("?enhanced=true returns full objects with the real upstream data", async () => {
  const users = await setup("2025-12-02");
  try {
    const upstream = new Map(
      (await readFixture("2025-12-02")).data.map((m) => [m.id as string, m]),
    );
    const rows = new Map((await catalogRows()).map((row) => [row.model_id, row]));
    const legacy = await call<Legacy>("models", "", { headers: users.enterprise.headers });
    const response = await call<{ models: EnhancedModel[] }>("models", "", {
      headers: users.enterprise.headers,
      query: { enhanced: "true" },
    });
    assert.equal(response.status, 200);
    assert.deepEqual(Object.keys(response.body), ["models", "default_model"]);
    assert.deepEqual(Object.keys(legacy.body), ["models"], "the legacy body is unchanged");
    assert.equal(response.headers.get("x-enhanced-mode"), "true");
    assert.equal(response.headers.get("x-models-count"), String(legacy.body.models.length));
    assert.notEqual(response.headers.get("etag"), legacy.headers.get("etag"));
    assert.deepEqual(response.body.models.map((m) => m.id), legacy.body.models);
    for (const model of response.body.models) {
      assert.deepEqual(Object.keys(model).sort(), [
        "context_length",
        "created",
        "daily_limit",
        "deprecation",
        "description",
        "id",
        "input_modalities",
        "monthly_limit",
        "name",
        "output_modalities",
        "pricing",
        "supported_parameters",
        "usage",
      ]);
      const source = upstream.get(model.id)! as unknown as UpstreamModel;
      const row = rows.get(model.id) as CatalogRow;
      assert.equal(model.name, source.name);
      assert.equal(model.description, source.description);
      assert.equal(model.context_length, source.context_length);
      assert.equal(model.created, source.created, "created is the upstream timestamp");
      assert.equal(Number(model.pricing.prompt), Number(source.pricing.prompt));
      assert.equal(Number(model.pricing.completion), Number(source.pricing.completion));
      // Order is not significant upstream (and not stable): compare as sets.
      const sorted = (values: string[]) => [...values].sort();
      assert.deepEqual(
        sorted(model.input_modalities),
        sorted(source.architecture.input_modalities),
      );
      assert.deepEqual(
        sorted(model.output_modalities),
        sorted(source.architecture.output_modalities),
      );
      assert.deepEqual(sorted(model.supported_parameters), sorted(source.supported_parameters));
      assert.equal(model.daily_limit, row.daily_limit);
      assert.equal(model.monthly_limit, row.monthly_limit);
      assert.equal(model.usage === null, row.daily_limit === null && row.monthly_limit === null);
    }
    assert.ok(response.body.models.some((m) => m.daily_limit !== null), "limits are passed on");
    const auto = response.body.models.find((m) => m.id === "openrouter/auto");
    if (auto) assert.equal(Number(auto.pricing.prompt), -1);
  } finally {
    await teardown(users);
  }
});

stackTest("any other value of enhanced is a 400 invalid_request", async () => {
  const user = await createUser();
  try {
    for (const value of ["1", "yes", "", "TRUE", "true ", "null"]) {
      const response = await call<ErrorBody>("models", "", {
        headers: user.headers,
        query: { enhanced: value },
      });
      assert.equal(response.status, 400, value);
      assert.equal(response.body.error.code, "invalid_request");
    }
    const twice = await fetch(
      `${(await stack()).functionsUrl}/models?enhanced=true&enhanced=false`,
      { headers: user.headers },
    );
    assert.equal(twice.status, 400);
    await twice.body?.cancel();
    const explicitLegacy = await call<Legacy>("models", "", {
      headers: user.headers,
      query: { enhanced: "false" },
    });
    assert.equal(explicitLegacy.status, 200);
    assert.equal(explicitLegacy.headers.get("x-enhanced-mode"), "false");
  } finally {
    await deleteUsers(user);
  }
});

stackTest("ETag and If-None-Match: 304 while the list is unchanged", async () => {
  const users = await setup("2025-12-02");
  try {
    for (const query of [{}, { enhanced: "true" }]) {
      const first = await call("models", "", { headers: users.pro.headers, query });
      const etag = first.headers.get("etag")!;
      for (const header of [etag, `W/${etag}`, `"other", ${etag}`, "*"]) {
        const again = await call("models", "", {
          headers: { ...users.pro.headers, "If-None-Match": header },
          query,
        });
        assert.equal(again.status, 304, header);
        assert.equal(again.text, "");
        assert.equal(again.headers.get("etag"), etag);
        assert.equal(again.headers.get("x-user-tier"), "pro");
        assert.equal(again.headers.get("access-control-allow-origin"), "*");
      }
      const stale = await call("models", "", {
        headers: { ...users.pro.headers, "If-None-Match": '"not-the-etag"' },
        query,
      });
      assert.equal(stale.status, 200);
      assert.equal(stale.headers.get("etag"), etag);
    }
  } finally {
    await teardown(users);
  }
});

stackTest("ETag changes exactly when the caller's list changes", async () => {
  const users = await setup("2025-12-02");
  try {
    const etagOf = async (user: TestUser, query = {}) =>
      (await call("models", "", { headers: user.headers, query })).headers.get("etag");
    const before = {
      free: await etagOf(users.free),
      pro: await etagOf(users.pro),
      enterprise: await etagOf(users.enterprise),
    };
    const enterpriseOnly = (await catalogRows()).find((row) =>
      row.status === "active" && !row.is_free && !row.is_pro && row.is_enterprise
    )!;
    // A change the free and pro tiers cannot see: their ETags stay, enterprise's changes.
    const patch = await call("admin-models", modelPath(enterpriseOnly.model_id), {
      method: "PATCH",
      headers: users.admin.headers,
      body: { daily_limit: 7 },
    });
    assert.equal(patch.status, 200, patch.text);
    assert.equal(await etagOf(users.free), before.free);
    assert.equal(await etagOf(users.pro), before.pro);
    const enterpriseAfterLimit = await etagOf(users.enterprise);
    // The legacy list (ids only) did not change for enterprise either: same ETag.
    assert.equal(enterpriseAfterLimit, before.enterprise);
    const enhancedBefore = await etagOf(users.enterprise, { enhanced: "true" });
    await call("admin-models", modelPath(enterpriseOnly.model_id), {
      method: "PATCH",
      headers: users.admin.headers,
      body: { daily_limit: 8 },
    });
    assert.notEqual(await etagOf(users.enterprise, { enhanced: "true" }), enhancedBefore);

    // Offering it to free changes every tier's list; taking it back restores every ETag.
    await call("admin-models", modelPath(enterpriseOnly.model_id), {
      method: "PATCH",
      headers: users.admin.headers,
      body: { is_free: true },
    });
    assert.notEqual(await etagOf(users.free), before.free);
    assert.notEqual(await etagOf(users.pro), before.pro);
    assert.notEqual(await etagOf(users.enterprise), before.enterprise);
    await call("admin-models", modelPath(enterpriseOnly.model_id), {
      method: "PATCH",
      headers: users.admin.headers,
      body: { is_free: false },
    });
    assert.equal(await etagOf(users.free), before.free);
    assert.equal(await etagOf(users.pro), before.pro);
    assert.equal(await etagOf(users.enterprise), before.enterprise);
  } finally {
    await teardown(users);
  }
});

stackTest(
  "the enhanced list carries the caller's resolved default model; its ETag follows it",
  async () => {
    const users = await setup("2025-12-02");
    const neighbour = await createUser({ tier: "free" });
    try {
      const sql = await adminDb();
      const enhanced = (user: TestUser, etag?: string) =>
        call<{ models: EnhancedModel[]; default_model: DefaultModel }>("models", "", {
          headers: etag ? { ...user.headers, "If-None-Match": etag } : user.headers,
          query: { enhanced: "true" },
        });
      const freeList = expectedList(await catalogRows(), "free");
      const [mine, other] = freeList.slice(-2);
      await sql`update public.profiles set default_model = ${mine} where id = ${users.free.id}`;
      await sql`update public.profiles set default_model = ${other} where id = ${neighbour.id}`;

      const chosen = await enhanced(users.free);
      assert.deepEqual(chosen.body.default_model, {
        chosen: mine,
        resolved: mine,
        reason: "chosen",
      });
      const neighbours = await enhanced(neighbour);
      assert.deepEqual(neighbours.body.default_model.resolved, other, "each caller their own");
      assert.deepEqual(neighbours.body.models, chosen.body.models);
      assert.notEqual(neighbours.headers.get("etag"), chosen.headers.get("etag"));

      // Only the default changes (the catalog does not): the cached list, a new ETag.
      await sql`update public.profiles set default_model = ${other} where id = ${users.free.id}`;
      const changed = await enhanced(users.free, chosen.headers.get("etag")!);
      assert.equal(changed.status, 200, "the old ETag no longer matches");
      assert.equal(changed.body.default_model.resolved, other);
      assert.equal(
        changed.headers.get("etag"),
        neighbours.headers.get("etag"),
        "same body, same tag",
      );
      await sql`update public.profiles set default_model = ${mine} where id = ${users.free.id}`;

      // The chosen model disabled, then active again: the tier's default, then the choice again.
      const disable = (status: string) =>
        call("admin-models", modelPath(mine), {
          method: "PATCH",
          headers: users.admin.headers,
          body: { status },
        });
      assert.equal((await disable("disabled")).status, 200);
      const stranded = await enhanced(users.free, chosen.headers.get("etag")!);
      assert.equal(stranded.status, 200);
      assert.deepEqual(stranded.body.default_model, {
        chosen: mine,
        resolved: stranded.body.models[0].id,
        reason: "tier_default",
      });
      assert.equal((await disable("active")).status, 200);
      const back = await enhanced(users.free, chosen.headers.get("etag")!);
      assert.equal(back.status, 304, "the same body as before, the same ETag");
      const [profile] =
        await sql`select default_model from public.profiles where id = ${users.free.id}`;
      assert.equal(profile.default_model, mine, "the choice was never rewritten");
    } finally {
      await teardown(users);
      await deleteUsers(neighbour);
    }
  },
);

stackTest("an admin PATCH changes the affected tiers' lists, and only theirs", async () => {
  const users = await setup("2025-12-02");
  try {
    const list = async (tier: Tier) =>
      (await call<Legacy>("models", "", { headers: users[tier].headers })).body.models;
    const hidden = (await catalogRows()).find((row) =>
      row.status === "active" && !row.is_free && !row.is_pro && !row.is_enterprise
    )!;
    for (const tier of tiers) assert.ok(!(await list(tier)).includes(hidden.model_id));

    const toPro = await call<{ model: Record<string, unknown> }>(
      "admin-models",
      modelPath(hidden.model_id),
      { method: "PATCH", headers: users.admin.headers, body: { is_pro: true } },
    );
    assert.equal(toPro.status, 200, toPro.text);
    assert.equal(toPro.body.model.is_pro, true);
    assert.ok(!(await list("free")).includes(hidden.model_id));
    assert.ok((await list("pro")).includes(hidden.model_id));
    assert.ok((await list("enterprise")).includes(hidden.model_id));
    for (const tier of tiers) {
      assert.deepEqual(await list(tier), expectedList(await catalogRows(), tier));
    }

    // Bulk: disable it with another pro model; both leave every list.
    const otherPro = (await catalogRows()).find((row) =>
      row.status === "active" && row.is_pro && !row.is_free && row.model_id !== hidden.model_id
    )!;
    const bulk = await call("admin-models", "", {
      method: "PATCH",
      headers: users.admin.headers,
      body: { model_ids: [hidden.model_id, otherPro.model_id], changes: { status: "disabled" } },
    });
    assert.equal(bulk.status, 200, bulk.text);
    for (const tier of tiers) {
      const ids = await list(tier);
      assert.ok(!ids.includes(hidden.model_id) && !ids.includes(otherPro.model_id), tier);
      assert.deepEqual(ids, expectedList(await catalogRows(), tier));
    }
  } finally {
    await teardown(users);
  }
});

stackTest("a tier change takes effect on the next request", async () => {
  const users = await setup("2025-12-02");
  try {
    const first = await call<Legacy>("models", "", { headers: users.free.headers });
    await setTier(users.free, "enterprise");
    const second = await call<Legacy>("models", "", {
      headers: { ...users.free.headers, "If-None-Match": first.headers.get("etag")! },
    });
    assert.equal(second.status, 200);
    assert.equal(second.headers.get("x-user-tier"), "enterprise");
    assert.deepEqual(second.body.models, expectedList(await catalogRows(), "enterprise"));
  } finally {
    await teardown(users);
  }
});

stackTest("a user without a profile gets the free tier's list", async () => {
  const users = await setup("2025-12-02");
  try {
    const sql = await adminDb();
    await sql`delete from public.profiles where id = ${users.pro.id}`;
    const response = await call<Legacy>("models", "", { headers: users.pro.headers });
    assert.equal(response.status, 200);
    assert.equal(response.headers.get("x-user-tier"), "free");
    assert.deepEqual(response.body.models, expectedList(await catalogRows(), "free"));
  } finally {
    await teardown(users);
  }
});

stackTest(
  "a tier with no models gets an empty list, and its list again once offered some",
  async () => {
    const users = await setup("2025-12-02");
    try {
      await setAccess((_id, i) => ({
        status: "active",
        is_free: false,
        is_pro: i % 2 === 0,
        is_enterprise: false,
      }));
      const empty = await call<Legacy>("models", "", { headers: users.free.headers });
      assert.equal(empty.status, 200);
      assert.deepEqual(empty.body, { models: [] });
      assert.equal(empty.headers.get("x-models-count"), "0");
      const enhanced = await call<Legacy>("models", "", {
        headers: users.free.headers,
        query: { enhanced: "true" },
      });
      assert.deepEqual(enhanced.body, {
        models: [],
        default_model: { chosen: "deepseek/deepseek-r1-0528:free", resolved: null, reason: "none" },
      });
      assert.deepEqual(
        (await call<Legacy>("models", "", { headers: users.pro.headers })).body.models,
        expectedList(await catalogRows(), "pro"),
      );
      await setAccess(pattern);
      assert.deepEqual(
        (await call<Legacy>("models", "", { headers: users.free.headers })).body.models,
        expectedList(await catalogRows(), "free"),
      );
    } finally {
      await teardown(users);
    }
  },
);

stackTest("HEAD answers like GET without a body", async () => {
  const users = await setup("2025-12-02");
  try {
    const get = await call("models", "", { headers: users.pro.headers });
    const head = await call("models", "", { method: "HEAD", headers: users.pro.headers });
    assert.equal(head.status, 200);
    assert.equal(head.text, "");
    assert.equal(head.headers.get("etag"), get.headers.get("etag"));
    assert.equal(head.headers.get("x-models-count"), get.headers.get("x-models-count"));
  } finally {
    await teardown(users);
  }
});

stackTest("supabase-js functions.invoke works as a client app calls it", async () => {
  const users = await setup("2025-12-02");
  const env = await stack();
  const supabase = createClient(env.supabaseUrl, env.publishableKey, {
    auth: { persistSession: false, autoRefreshToken: false },
  });
  try {
    const expected = await call<Legacy>("models", "", { headers: users.pro.headers });
    const { data, error } = await supabase.functions.invoke<Legacy>("models", {
      method: "GET",
      headers: { Authorization: `Bearer ${users.pro.token}` },
    });
    assert.equal(error, null);
    assert.deepEqual(data, expected.body);

    const enhanced = await supabase.functions.invoke<{ models: { id: string }[] }>(
      "models?enhanced=true",
      { method: "GET", headers: { Authorization: `Bearer ${users.pro.token}` } },
    );
    assert.equal(enhanced.error, null);
    assert.deepEqual(enhanced.data!.models.map((m) => m.id), expected.body.models);

    // invoke() defaults to POST, which models refuses: the error carries our JSON error.
    const posted = await supabase.functions.invoke("models", {
      headers: { Authorization: `Bearer ${users.pro.token}` },
    });
    assert.ok(posted.error instanceof FunctionsHttpError);
    assert.equal(posted.response?.status, 405);
    assert.equal((await posted.error.context.json()).error.code, "method_not_allowed");

    // Signed out, supabase-js sends the anon key: no user, so 401 auth_required.
    const signedOut = await supabase.functions.invoke("models", { method: "GET" });
    assert.ok(signedOut.error instanceof FunctionsHttpError);
    assert.equal(signedOut.response?.status, 401);
    assert.equal((await signedOut.error.context.json()).error.code, "auth_required");
  } finally {
    await teardown(users);
  }
});

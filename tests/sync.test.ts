// Catalog syncs over real HTTP with a fake OpenRouter: sync-models (cron secret) and
// POST /admin-models/sync (dry run, cool-down, force), upstream failures (5xx, hangs, invalid
// JSON, 429 with Retry-After, pagination), the integrity gate and drifting records.
// Needs the stack started with short upstream limits (see docs/FUNCTIONS.md, "Testing").
import assert from "node:assert/strict";
import { call, type ErrorBody } from "./_helpers/api.ts";
import { catalogRows, syncFixture, withFakeOpenRouter } from "./_helpers/catalog.ts";
import {
  emptyData,
  endlessBody,
  failWith,
  hang,
  invalidJson,
  paginated,
  rateLimited,
  redirectTo,
  serveFixture,
  serveJson,
} from "./_helpers/fake_openrouter.ts";
import { adminDb, readFixture, stack } from "./_helpers/stack.ts";
import { stackTest } from "./_helpers/harness.ts";
import { asServiceRole, connect } from "../supabase/functions/_shared/db.ts";
import { loadEnv } from "../supabase/functions/_shared/env.ts";
import { HttpError } from "../supabase/functions/_shared/errors.ts";
import { createLogger } from "../supabase/functions/_shared/log.ts";
import { syncCatalog } from "../supabase/functions/_shared/sync.ts";
import { createUser, deleteUsers } from "./_helpers/users.ts";

type SyncBody = Record<string, unknown> & {
  success: boolean;
  sync_log_id: number | null;
  upstream: { pages: number; received: number; sent: number; sanitized: number };
};

async function cronSync(secret?: string, body?: string) {
  const env = await stack();
  return call<SyncBody & ErrorBody>("sync-models", "", {
    method: "POST",
    headers: { Authorization: `Bearer ${secret ?? env.cronSecret}` },
    body,
  });
}

async function syncLog(id?: number | null) {
  const sql = await adminDb();
  const [row] = id == null
    ? await sql`select * from public.model_sync_log order by id desc limit 1`
    : await sql`select * from public.model_sync_log where id = ${id}`;
  return row;
}

async function syncLogCount(): Promise<number> {
  const sql = await adminDb();
  const [{ n }] = await sql`select count(*)::int as n from public.model_sync_log`;
  return n;
}

/** An admin and a catalog freshly synced from `fixture` (forced, so from any earlier state). */
async function withCatalog(fixture: "2025-05-23" | "2025-12-02") {
  const admin = await createUser({ isAdmin: true, label: "admin" });
  await syncFixture(admin, fixture);
  return admin;
}

stackTest("sync-models requires the cron secret; anything else is a 401", async () => {
  const env = await stack();
  await withFakeOpenRouter(serveFixture("2025-12-02"), async (fake) => {
    const attempts: [Record<string, string>, string][] = [
      [{}, "auth_required"],
      [{ Authorization: `Basic ${env.cronSecret}` }, "auth_required"],
      [{ Authorization: `Bearer ${env.cronSecret}x` }, "invalid_token"],
      [{ Authorization: `Bearer ${env.cronSecret.slice(0, -1)}` }, "invalid_token"],
      [{ Authorization: `Bearer ${env.cronSecret.toUpperCase()}` }, "invalid_token"],
      [{ Authorization: `Bearer ${env.publishableKey}` }, "invalid_token"],
      [{ Authorization: `Bearer ${env.secretKey}` }, "invalid_token"],
    ];
    for (const [headers, code] of attempts) {
      const response = await call<ErrorBody>("sync-models", "", { method: "POST", headers });
      assert.equal(response.status, 401, JSON.stringify(headers));
      assert.equal(response.body.error.code, code);
    }
    assert.equal(fake.requests.length, 0, "nothing was fetched");
  });
});

stackTest(
  "sync-models records who asked: cron by default, manual when the body says so",
  async () => {
    const admin = await withCatalog("2025-12-02");
    try {
      await withFakeOpenRouter(serveFixture("2025-12-02"), async () => {
        const manual = await cronSync(undefined, JSON.stringify({ triggered_by: "manual" }));
        assert.equal(manual.status, 200, manual.text);
        assert.equal((await syncLog(manual.body.sync_log_id)).triggered_by, "manual");

        const cron = await cronSync(undefined, JSON.stringify({ triggered_by: "cron" }));
        assert.equal((await syncLog(cron.body.sync_log_id)).triggered_by, "cron");

        const before = await syncLogCount();
        for (const bad of ['{"triggered_by":"admin"}', '{"extra":1}', "{not json"]) {
          const response = await cronSync(undefined, bad);
          assert.equal(response.status, 400, bad);
          assert.match(response.body.error.code, /^invalid_(request|json)$/);
        }
        assert.equal(await syncLogCount(), before, "refused requests start no sync");
      });
    } finally {
      await deleteUsers(admin);
    }
  },
);

stackTest("a run is logged as running while it fetches, then fails in place", async () => {
  const admin = await withCatalog("2025-12-02");
  try {
    await withFakeOpenRouter(hang(), async () => {
      const logsBefore = await syncLogCount();
      const pending = cronSync();
      const sql = await adminDb();
      let running: { id: number } | undefined;
      for (let i = 0; i < 50 && !running; i++) {
        [running] = await sql<{ id: number }[]>`
          select id::int from public.model_sync_log
           where sync_status = 'running' and triggered_by = 'cron'
           order by id desc limit 1`;
        if (!running) await new Promise((resolve) => setTimeout(resolve, 50));
      }
      assert.ok(running, "the run is visible as running while the upstream is fetched");
      const response = await pending;
      assert.equal(response.status, 502, response.text);
      const log = await syncLog(running.id);
      assert.equal(log.sync_status, "failed");
      assert.equal(await syncLogCount(), logsBefore + 1, "one row for the run, failed in place");
    });
  } finally {
    await deleteUsers(admin);
  }
});

stackTest("sync-models applies the catalog once and logs a completed cron run", async () => {
  const admin = await withCatalog("2025-12-02");
  try {
    const response = await withFakeOpenRouter(serveFixture("2025-12-02"), () => cronSync());
    assert.equal(response.status, 200, response.text);
    const body = response.body;
    assert.equal(body.success, true);
    assert.equal(body.triggered_by, "cron");
    assert.equal(body.total_processed, 335);
    assert.equal(body.models_unchanged, 335);
    assert.equal(body.models_added, 0);
    assert.equal(body.rows_written, 0);
    assert.deepEqual(
      {
        pages: body.upstream.pages,
        received: body.upstream.received,
        skipped: body.skipped_invalid,
      },
      { pages: 1, received: 335, skipped: 0 },
    );
    const timings = body.timings_ms as Record<string, number>;
    assert.deepEqual(Object.keys(timings).sort(), ["database", "fetch", "validate"]);
    assert.ok(Object.values(timings).every((ms) => typeof ms === "number" && ms >= 0));
    assert.ok(timings.fetch > 0 && timings.database > 0, "fetching and the database take time");
    const log = await syncLog(body.sync_log_id);
    assert.equal(log.sync_status, "completed");
    assert.equal(log.triggered_by, "cron");
    assert.equal(log.triggered_by_user_id, null);
    assert.equal(log.total_processed, 335);
  } finally {
    await deleteUsers(admin);
  }
});

stackTest("a paginated catalog is followed page by page (links.next)", async () => {
  const admin = await withCatalog("2025-12-02");
  try {
    await withFakeOpenRouter(paginated("2025-12-02", 50), async (fake) => {
      const response = await cronSync();
      assert.equal(response.status, 200, response.text);
      assert.equal(response.body.upstream.pages, 7);
      assert.equal(response.body.total_processed, 335);
      assert.equal(response.body.models_unchanged, 335);
      assert.equal(fake.requests.length, 7);
      assert.equal(new URL(fake.requests[6].url).searchParams.get("page"), "7");
    });
  } finally {
    await deleteUsers(admin);
  }
});

stackTest("429 with Retry-After is honoured, then the sync goes through", async () => {
  const admin = await withCatalog("2025-12-02");
  try {
    await withFakeOpenRouter(rateLimited(1, 1, serveFixture("2025-12-02")), async (fake) => {
      const started = Date.now();
      const response = await cronSync();
      assert.equal(response.status, 200, response.text);
      assert.equal(fake.requests.length, 2);
      const waited = fake.requests[1].at - fake.requests[0].at;
      assert.ok(waited >= 950, `waited ${waited} ms for Retry-After: 1`);
      assert.ok(Date.now() - started < 10_000);
    });
  } finally {
    await deleteUsers(admin);
  }
});

const failures = [
  { name: "HTTP 500, retried", behaviour: failWith(500), retried: true },
  {
    name: "HTTP 503 with Retry-After, retried",
    behaviour: failWith(503, { "retry-after": "0" }),
    retried: true,
  },
  { name: "429 every time", behaviour: failWith(429, { "retry-after": "0" }), retried: true },
  { name: "a hang past the timeout", behaviour: hang(), retried: true },
  { name: "invalid JSON", behaviour: invalidJson(), retried: false },
  { name: "HTTP 404, not retried", behaviour: failWith(404), retried: false },
  { name: "a body without `data`", behaviour: serveJson({ models: [] }), retried: false },
];

for (const failure of failures) {
  stackTest(`upstream ${failure.name}: 502, a failed log row, the catalog untouched`, async () => {
    const before = await catalogRows();
    const logsBefore = await syncLogCount();
    await withFakeOpenRouter(failure.behaviour, async (fake) => {
      const started = Date.now();
      const response = await cronSync();
      assert.equal(response.status, 502, response.text);
      assert.equal(response.body.error.code, "upstream_unavailable");
      assert.ok(Date.now() - started < 15_000, "bounded retries");
      if (failure.retried) {
        assert.ok(fake.requests.length > 1, `retried (${fake.requests.length} attempts)`);
        assert.ok(fake.requests.length <= 11, "bounded retries");
      } else {
        assert.equal(fake.requests.length, 1, "not retried");
      }
    });
    assert.deepEqual(await catalogRows(), before);
    assert.equal(await syncLogCount(), logsBefore + 1);
    const log = await syncLog();
    assert.equal(log.sync_status, "failed");
    assert.equal(log.triggered_by, "cron");
    assert.ok(log.error_message.length > 0);
  });
}

// The test stack caps bodies at 2 MB (scripts/test.ts); the snapshots are about 0.5 MB.
const refusals = [
  {
    name: "a redirect",
    behaviour: redirectTo("?moved=1"),
    cause: /HTTP 302: redirects are refused/,
  },
  {
    name: "a Content-Length over the body cap",
    behaviour: serveJson({ data: [], padding: "x".repeat(2_000_001) }),
    cause: /declares \d+ bytes, more than the limit of 2000000 bytes/,
  },
  {
    name: "a body without Content-Length that never ends",
    behaviour: endlessBody(),
    cause: /body grew to more than the limit of 2000000 bytes/,
  },
];

for (const refusal of refusals) {
  stackTest(
    `upstream ${refusal.name}: 502, not retried, the run failed with the cause`,
    async () => {
      const before = await catalogRows();
      const logsBefore = await syncLogCount();
      await withFakeOpenRouter(refusal.behaviour, async (fake) => {
        const response = await cronSync();
        assert.equal(response.status, 502, response.text);
        assert.equal(response.body.error.code, "upstream_unavailable");
        assert.match(response.body.error.message, refusal.cause);
        assert.equal(fake.requests.length, 1, "neither followed nor retried");
      });
      assert.deepEqual(await catalogRows(), before);
      assert.equal(await syncLogCount(), logsBefore + 1);
      const log = await syncLog();
      assert.equal(log.sync_status, "failed");
      assert.match(log.error_message, refusal.cause);
    },
  );
}

stackTest("the sync asks upstream for its scope explicitly: text by default", async () => {
  const admin = await withCatalog("2025-12-02");
  try {
    await withFakeOpenRouter(serveFixture("2025-12-02"), async (fake) => {
      const response = await cronSync();
      assert.equal(response.status, 200, response.text);
      assert.equal(fake.requests.length, 1);
      assert.equal(new URL(fake.requests[0].url).searchParams.get("output_modalities"), "text");
    });
  } finally {
    await deleteUsers(admin);
  }
});

stackTest(
  "an upstream that outlasts the budget: the run ends failed with the cause, within the budget",
  async () => {
    const logsBefore = await syncLogCount();
    await withFakeOpenRouter(hang(), async () => {
      const started = Date.now();
      const response = await cronSync();
      const elapsed = Date.now() - started;
      assert.equal(response.status, 502, response.text);
      assert.match(response.body.error.message, /upstream budget of 2000 ms/);
      // The test stack's budget is 2 s; its three attempts of 1 s would take over 3 s.
      assert.ok(elapsed < 3000, `answered at the budget (${elapsed} ms)`);
    });
    assert.equal(await syncLogCount(), logsBefore + 1);
    const log = await syncLog();
    assert.equal(log.sync_status, "failed");
    assert.match(log.error_message, /upstream budget of 2000 ms/);
  },
);

stackTest("an empty `data` is refused (409 integrity_gate), the catalog untouched", async () => {
  const admin = await withCatalog("2025-12-02");
  try {
    const before = await catalogRows();
    const response = await withFakeOpenRouter(emptyData(), () => cronSync());
    assert.equal(response.status, 409, response.text);
    assert.equal(response.body.error.code, "integrity_gate");
    assert.deepEqual(await catalogRows(), before);
    const log = await syncLog();
    assert.equal(log.sync_status, "failed");
    assert.match(log.error_message, /empty_catalog/);
  } finally {
    await deleteUsers(admin);
  }
});

stackTest(
  "the integrity gate refuses a catalog that drops too many models: 409 with the numbers",
  async () => {
    const admin = await withCatalog("2025-05-23");
    try {
      const before = await catalogRows();
      const response = await withFakeOpenRouter(serveFixture("2025-12-02"), () => cronSync());
      assert.equal(response.status, 409, response.text);
      const error = response.body.error;
      assert.equal(error.code, "integrity_gate");
      const details = error.details as Record<string, unknown>;
      assert.equal(details.models_listed, 321);
      assert.equal(details.models_missing_upstream, 147);
      assert.equal(details.success, false);
      assert.ok(Number(details.inactive_share) > Number(details.max_inactive_share));
      assert.match(error.message, /147/);
      assert.deepEqual(await catalogRows(), before);
      assert.equal((await syncLog(details.sync_log_id as number)).sync_status, "failed");
    } finally {
      await deleteUsers(admin);
    }
  },
);

stackTest("invalid records are skipped and counted; unknown fields are kept", async () => {
  const admin = await withCatalog("2025-12-02");
  try {
    const { data } = await readFixture("2025-12-02");
    const drifted = data.map((model, i) => {
      const copy: Record<string, unknown> = { ...model, brand_new_field: { i } };
      if (i === 0) delete copy.id;
      if (i === 1) copy.id = 42;
      if (i === 2) copy.pricing = "free";
      if (i === 3) copy.context_length = "lots";
      if (i === 4) copy.architecture = { input_modalities: "text" };
      if (i === 5) delete copy.name;
      return copy;
    });
    const response = await withFakeOpenRouter(
      serveJson({ data: drifted, meta: { next_field: true } }),
      () => cronSync(),
    );
    assert.equal(response.status, 200, response.text);
    const body = response.body;
    assert.equal(body.upstream.received, 335);
    // The database's parser judges: no usable id (2), a price or a number of the wrong type (2);
    // architecture is read leniently. A known model whose record is refused is not missing.
    assert.equal(body.skipped_invalid, 4);
    assert.deepEqual(body.skipped_reasons, {
      invalid_id: 2,
      invalid_price: 1,
      invalid_context_length: 1,
    });
    assert.equal(body.total_processed, 331);
    assert.equal(body.models_marked_inactive, 2);
    const sql = await adminDb();
    const [kept] = await sql`
      select openrouter_data -> 'brand_new_field' as extra, model_name
        from public.model_access where model_id = ${data[6].id as string}`;
    assert.deepEqual(kept.extra, { i: 6 });
    const [nameless] = await sql`
      select model_name, upstream_removed_at from public.model_access
       where model_id = ${data[5].id as string}`;
    assert.equal(nameless.model_name, null, "a vanished optional field is no reason to skip");
    assert.equal(nameless.upstream_removed_at, null);
  } finally {
    await deleteUsers(admin);
  }
});

stackTest("admin dry run reports what would change and writes nothing", async () => {
  const admin = await withCatalog("2025-05-23");
  try {
    const rows = await catalogRows();
    const logsBefore = await syncLogCount();
    const ids = new Set((await readFixture("2025-12-02")).data.map((m) => m.id as string));
    const known = new Map(rows.map((row) => [row.model_id, row]));
    const response = await withFakeOpenRouter(
      serveFixture("2025-12-02"),
      () =>
        call<Record<string, string[] | unknown>>("admin-models", "sync", {
          method: "POST",
          headers: admin.headers,
          query: { dry_run: "true" },
        }),
    );
    // Right after a manual sync: a dry run is not held back by the cool-down.
    assert.equal(response.status, 200, response.text);
    const body = response.body;
    assert.equal(body.dry_run, true);
    assert.equal(body.would_refuse, "integrity_gate");
    const sorted = (values: Iterable<string>) => [...values].sort(compare);
    assert.deepEqual(body.added_ids, sorted([...ids].filter((id) => !known.has(id))));
    assert.deepEqual(
      body.reactivated_ids,
      sorted([...ids].filter((id) => known.get(id)?.upstream_removed_at)),
    );
    assert.deepEqual(
      body.marked_inactive_ids,
      sorted(
        rows.filter((r) => r.upstream_removed_at === null && !ids.has(r.model_id)).map((r) =>
          r.model_id
        ),
      ),
    );
    const updated = new Set(body.updated_ids as string[]);
    for (const id of updated) assert.ok(known.get(id) && ids.has(id));
    const priceChanges = body.price_changes as { model_id: string; price: string }[];
    assert.ok(priceChanges.length > 0);
    for (const change of priceChanges) assert.ok(updated.has(change.model_id), change.model_id);
    assert.deepEqual(await catalogRows(), rows, "nothing written");
    assert.equal(await syncLogCount(), logsBefore, "no log row for a dry run");
  } finally {
    await deleteUsers(admin);
  }
});

/** Byte order, as the database's C.UTF-8 collation sorts ids. */
function compare(a: string, b: string) {
  return a < b ? -1 : a > b ? 1 : 0;
}

stackTest(
  "a second manual sync within the cool-down is a 429 with Retry-After; force overrides",
  async () => {
    const admin = await withCatalog("2025-12-02");
    try {
      await withFakeOpenRouter(serveFixture("2025-12-02"), async (fake) => {
        const again = await call<ErrorBody>("admin-models", "sync", {
          method: "POST",
          headers: admin.headers,
        });
        assert.equal(again.status, 429, again.text);
        assert.equal(again.body.error.code, "rate_limited");
        const retryAfter = Number(again.headers.get("retry-after"));
        assert.ok(Number.isInteger(retryAfter) && retryAfter >= 1, `Retry-After ${retryAfter}`);
        assert.equal(fake.requests.length, 0, "refused before fetching anything");

        const forced = await call<SyncBody>("admin-models", "sync", {
          method: "POST",
          headers: admin.headers,
          query: { force: "true" },
        });
        assert.equal(forced.status, 200, forced.text);
        assert.equal(forced.body.triggered_by, "admin");
        const log = await syncLog(forced.body.sync_log_id);
        assert.equal(log.triggered_by, "admin");
        assert.equal(log.triggered_by_user_id, admin.id);
        assert.equal(log.sync_status, "completed");
      });
      for (const query of [{ force: "yes" }, { dry_run: "1" }, { other: "x" }]) {
        const response = await call<ErrorBody>("admin-models", "sync", {
          method: "POST",
          headers: admin.headers,
          query,
        });
        assert.equal(response.status, 400);
        assert.equal(response.body.error.code, "invalid_request");
      }
    } finally {
      await deleteUsers(admin);
    }
  },
);

stackTest(
  "an admin sync whose upstream fails: 502 and a failed row attributed to the admin",
  async () => {
    const admin = await createUser({ isAdmin: true, label: "admin" });
    try {
      const before = await catalogRows();
      const response = await withFakeOpenRouter(
        failWith(500),
        () =>
          call<ErrorBody>("admin-models", "sync", {
            method: "POST",
            headers: admin.headers,
            query: { force: "true" },
          }),
      );
      assert.equal(response.status, 502, response.text);
      assert.equal(response.body.error.code, "upstream_unavailable");
      const log = await syncLog();
      assert.equal(log.sync_status, "failed");
      assert.equal(log.triggered_by, "admin");
      assert.equal(log.triggered_by_user_id, admin.id);
      assert.deepEqual(await catalogRows(), before);
    } finally {
      await deleteUsers(admin);
    }
  },
);

stackTest(
  "manual syncs begun together past the cool-down: one runs, the others are told to wait",
  async () => {
    const admin = await withCatalog("2025-12-02");
    try {
      // The last manual sync an hour ago: each of these alone would run.
      const sql = await adminDb();
      await sql`
        update public.model_sync_log set started_at = started_at - interval '1 hour'
         where triggered_by = 'admin'`;
      await withFakeOpenRouter(serveFixture("2025-12-02"), async () => {
        const responses = await Promise.all(
          Array.from(
            { length: 4 },
            () =>
              call<ErrorBody>("admin-models", "sync", { method: "POST", headers: admin.headers }),
          ),
        );
        const statuses = responses.map((response) => response.status).sort();
        assert.deepEqual(statuses, [200, 429, 429, 429], responses.map((r) => r.text).join("\n"));
        for (const response of responses.filter((r) => r.status === 429)) {
          assert.equal(response.body.error.code, "rate_limited");
          assert.ok(Number(response.headers.get("retry-after")) >= 1);
        }
      });
      const [{ begun }] = await sql`
        select count(*)::int as begun from public.model_sync_log
         where triggered_by = 'admin' and started_at > now() - interval '1 minute'`;
      assert.equal(begun, 1, "the refused requests began no run");
    } finally {
      await deleteUsers(admin);
    }
  },
);

stackTest(
  "a description holding \\u0000 and a price of 16,400 digits: the sync completes, both counted",
  async () => {
    const records = [
      { id: "repro/nul", name: "Nul", description: "before\u0000after" },
      { id: "repro/huge-price", pricing: { prompt: `0.${"1".repeat(16_400)}` } },
      { id: "repro/fine", name: "Fine" },
    ];
    const sql = await adminDb();
    // From an empty catalog: the gate has nothing to lose.
    await sql`delete from public.model_access`;
    await withFakeOpenRouter(serveJson({ data: records }), async () => {
      const response = await cronSync(undefined, JSON.stringify({ triggered_by: "manual" }));
      assert.equal(response.status, 200, JSON.stringify(response.body).slice(0, 500));
      assert.equal(response.body.success, true);
      assert.equal(response.body.skipped_invalid, 1);
      assert.deepEqual(response.body.skipped_reasons, { invalid_price: 1 });
      assert.equal(response.body.sanitized, 1);
      const log = await syncLog(response.body.sync_log_id);
      assert.equal(log.sync_status, "completed");
      assert.deepEqual(log.skipped_reasons, { invalid_price: 1 });
      assert.equal(log.sanitized_records, 1);
      const [row] = await sql`
        select model_description from public.model_access where model_id = 'repro/nul'`;
      assert.equal(row.model_description, "beforeafter", "\\u0000 removed, the model kept");
      await sql`delete from public.model_access`;
    });
  },
);

stackTest("a sync cut by statement_timeout ends its run failed with the cause", async () => {
  const sql = await adminDb();
  const [{ id }] = await sql`
    select set_config('role', 'service_role', false), public.begin_sync_run('manual') as id`;
  await sql`reset role`;
  const result = await sql.begin(async (tx) => {
    // A write that outlasts the time limit, inside the run; removed before the commit.
    await tx`create function public.slow_write() returns trigger language plpgsql as
      $$ begin perform pg_sleep(2); return new; end $$`;
    await tx`create trigger slow_write before insert on public.model_access
      for each row execute function public.slow_write()`;
    await tx`set local statement_timeout = 300`;
    await tx`select set_config('role', 'service_role', true)`;
    const [{ result }] = await tx`
      select public.sync_openrouter_models(
        '[{"id": "repro/cancelled"}]'::jsonb, 'manual', true, sync_log_id => ${id}
      ) as result`;
    await tx`reset role`;
    await tx`set local statement_timeout = 0`;
    await tx`drop trigger slow_write on public.model_access`;
    await tx`drop function public.slow_write()`;
    return result;
  });
  assert.equal(result.success, false);
  assert.equal(result.sqlstate, "57014");
  const log = await syncLog(id);
  assert.equal(log.sync_status, "failed");
  assert.match(log.error_message, /statement timeout/);
});

stackTest(
  "a fetch that fails with anything but an upstream error still ends its run failed",
  async () => {
    const { dbUrl, supabaseUrl } = await stack();
    const env = loadEnv({
      SUPABASE_DB_URL: dbUrl,
      SUPABASE_URL: supabaseUrl,
      SUPABASE_JWKS: '{"keys":[]}',
    });
    assert.ok(!(env instanceof HttpError), String(env));
    const pool = connect(env);
    try {
      const sql = await adminDb();
      const [{ before }] = await sql`
      select coalesce(max(id), 0)::bigint as before from public.model_sync_log`;
      await assert.rejects(
        syncCatalog({
          env,
          triggeredBy: "manual",
          force: false,
          dryRun: false,
          run: (fn) => asServiceRole(pool, fn),
          log: createLogger({ fn: "test" }),
          fetch: () => Promise.reject(new TypeError("a bug in the fetch")),
        }),
        TypeError,
      );
      const [run] = await sql`
      select sync_status, error_message from public.model_sync_log
       where id > ${before} order by id desc limit 1`;
      assert.equal(run.sync_status, "failed");
      assert.match(run.error_message, /fetching the catalog failed: TypeError: a bug in the fetch/);
    } finally {
      await pool.end({ timeout: 1 });
    }
  },
);

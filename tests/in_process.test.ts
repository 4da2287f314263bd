// The HTTP contract of the three functions, called in process with `app.request(...)` on apps
// built from deps of the test's own, as index.ts builds them from the platform's: a locally
// generated ES256 key pair as SUPABASE_JWKS, a clock the test sets, and a database. Cases that
// answer before any database work get a pool on a port nothing listens on; the others, the
// stack's real database (SUPABASE_DB_URL) with our migrations.
import assert from "node:assert/strict";
import { exportJWK, generateKeyPair, type JWTPayload, SignJWT } from "jose";
import postgres from "postgres";
import { connect } from "../supabase/functions/_shared/db.ts";
import { type Deps, platformDeps } from "../supabase/functions/_shared/deps.ts";
import { type Env, loadEnv } from "../supabase/functions/_shared/env.ts";
import { HttpError } from "../supabase/functions/_shared/errors.ts";
import { maxBodyBytes } from "../supabase/functions/_shared/http.ts";
import { createAdminModelsApp } from "../supabase/functions/admin-models/app.ts";
import { createModelsApp } from "../supabase/functions/models/app.ts";
import { createSyncModelsApp } from "../supabase/functions/sync-models/app.ts";
import { stackTest } from "./_helpers/harness.ts";
import { poll } from "./_helpers/poll.ts";
import { consumeAsUser } from "./_helpers/quota.ts";
import { adminDb, closeAdminDb, fnUrl, stack } from "./_helpers/stack.ts";
import { createUser, deleteUsers } from "./_helpers/users.ts";

const projectUrl = "http://127.0.0.1:54321";
const cronSecret = "an-in-process-cron-secret";
const unreachableDb = "postgresql://postgres:postgres@127.0.0.1:1/postgres";
const kid = "in-process-key";

/** A key pair as Supabase Auth's asymmetric signing keys: the JWKS publishes the public half. */
async function keyPair() {
  const { publicKey, privateKey } = await generateKeyPair("ES256", { extractable: true });
  const jwks = JSON.stringify({ keys: [{ ...await exportJWK(publicKey), kid, alg: "ES256" }] });
  return { privateKey, jwks };
}

const signing = await keyPair();
const stranger = await keyPair();

function env(vars: Record<string, string> = {}): Env {
  const env = loadEnv({
    SUPABASE_DB_URL: unreachableDb,
    SUPABASE_URL: projectUrl,
    SUPABASE_JWKS: signing.jwks,
    CRON_SECRET: cronSecret,
    ...vars,
  });
  if (env instanceof HttpError) throw env;
  return env;
}

/** Deps on the unreachable database, with a clock at `now` (ms) unless given another. */
function deps(options: { now?: () => number; env?: Env } = {}): Deps {
  const appEnv = options.env ?? env();
  return { env: appEnv, sql: connect(appEnv), now: options.now ?? (() => Date.now()) };
}

/** A user access token as Supabase Auth issues it, signed with `key`, expiring at `exp` (s). */
function token(
  options: { sub?: string; exp: number; key?: CryptoKey; claims?: JWTPayload },
): Promise<string> {
  return new SignJWT({
    aud: "authenticated",
    iss: `${projectUrl}/auth/v1`,
    sub: options.sub ?? crypto.randomUUID(),
    role: "authenticated",
    exp: options.exp,
    ...options.claims,
  }).setProtectedHeader({ alg: "ES256", typ: "JWT", kid }).sign(
    options.key ?? signing.privateKey,
  );
}

const seconds = (ms: number) => Math.floor(ms / 1000);
const bearer = (jwt: string) => ({ Authorization: `Bearer ${jwt}` });

/**
 * Answered 400 by the query's validation once the token is accepted, before any database work:
 * whether a token gets past authentication, without a database.
 */
const authProbe = "/models?enhanced=maybe";

/** The error log lines (JSON, one per line) the apps write while `fn` runs. */
async function errorLogs(fn: () => Promise<void>): Promise<Record<string, unknown>[]> {
  const lines: string[] = [];
  const write = console.error;
  console.error = (line: string) => lines.push(line);
  try {
    await fn();
  } finally {
    console.error = write;
  }
  return lines.map((line) => JSON.parse(line));
}

async function assertError(response: Response, status: number, code: string) {
  const text = await response.text();
  assert.equal(response.status, status, text);
  assert.match(response.headers.get("content-type") ?? "", /^application\/json/);
  assert.equal(response.headers.get("access-control-allow-origin"), "*");
  assert.ok(response.headers.get("x-request-id"));
  const body = JSON.parse(text);
  assert.deepEqual(Object.keys(body), ["error"]);
  assert.equal(body.error.code, code);
  assert.equal(typeof body.error.message, "string");
  return body.error as { code: string; message: string; details?: unknown };
}

Deno.test("no credentials: 401 auth_required in the error shape, CORS headers on it", async () => {
  const cases = [
    [createModelsApp(deps()), "GET", "/models"],
    [createModelsApp(deps()), "POST", "/models/consume"],
    [createAdminModelsApp(deps()), "GET", "/admin-models"],
    [createSyncModelsApp(deps()), "POST", "/sync-models"],
  ] as const;
  for (const [app, method, path] of cases) {
    const error = await assertError(await app.request(path, { method }), 401, "auth_required");
    assert.deepEqual(Object.keys(error), ["code", "message"]);
  }
});

Deno.test("a token signed with another key is refused: 401 invalid_token", async () => {
  const exp = seconds(Date.now()) + 600;
  const app = createModelsApp(deps());
  const forged = await token({ exp, key: stranger.privateKey });
  await assertError(
    await app.request(authProbe, { headers: bearer(forged) }),
    401,
    "invalid_token",
  );
  // The same token is good for an app whose JWKS holds that key: each app keeps its own keys.
  const strangersApp = createModelsApp(deps({ env: env({ SUPABASE_JWKS: stranger.jwks }) }));
  const accepted = await strangersApp.request(authProbe, { headers: bearer(forged) });
  await assertError(accepted, 400, "invalid_request");
});

Deno.test("a token valid at the real time is expired at the app's later clock", async () => {
  const start = Date.now();
  const jwt = await token({ exp: seconds(start) + 600 });
  const now = createModelsApp(deps({ now: () => start }));
  await assertError(await now.request(authProbe, { headers: bearer(jwt) }), 400, "invalid_request");
  const later = createModelsApp(deps({ now: () => start + 601_000 }));
  const error = await assertError(
    await later.request(authProbe, { headers: bearer(jwt) }),
    401,
    "invalid_token",
  );
  assert.equal(error.message, "The access token has expired.");
});

Deno.test("a token expired at the real time is valid at the app's earlier clock", async () => {
  const issuedAt = Date.UTC(2025, 0, 1);
  const jwt = await token({ exp: seconds(issuedAt) + 600 });
  const app = createModelsApp(deps({ now: () => issuedAt + 60_000 }));
  await assertError(await app.request(authProbe, { headers: bearer(jwt) }), 400, "invalid_request");
});

Deno.test("a verified token is remembered only until it expires by the app's clock", async () => {
  let now = Date.now();
  const jwt = await token({ exp: seconds(now) + 600 });
  const app = createModelsApp(deps({ now: () => now }));
  await assertError(await app.request(authProbe, { headers: bearer(jwt) }), 400, "invalid_request");
  now += 601_000;
  await assertError(await app.request(authProbe, { headers: bearer(jwt) }), 401, "invalid_token");
});

Deno.test("methods a path does not serve: 405 method_not_allowed with Allow", async () => {
  const cases = [
    [createModelsApp(deps()), "PUT", "/models", "GET, HEAD, OPTIONS"],
    [createModelsApp(deps()), "GET", "/models/consume", "POST, OPTIONS"],
    [createSyncModelsApp(deps()), "GET", "/sync-models", "POST, OPTIONS"],
  ] as const;
  for (const [app, method, path, allow] of cases) {
    const response = await app.request(path, { method });
    assert.equal(response.headers.get("allow"), allow, `${method} ${path}`);
    await assertError(response, 405, "method_not_allowed");
  }
});

Deno.test("CORS preflights: 204 with the path's methods, answered before authentication", async () => {
  const cases = [
    [createModelsApp(deps()), "/models", "GET, HEAD, OPTIONS"],
    [createModelsApp(deps()), "/models/consume", "POST, OPTIONS"],
    [createAdminModelsApp(deps()), "/admin-models/sync", "POST, OPTIONS"],
    [createSyncModelsApp(deps()), "/sync-models", "POST, OPTIONS"],
  ] as const;
  for (const [app, path, methods] of cases) {
    const response = await app.request(path, {
      method: "OPTIONS",
      headers: {
        Origin: "https://app.example",
        "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "authorization, content-type",
      },
    });
    assert.equal(response.status, 204, path);
    assert.equal(response.headers.get("access-control-allow-origin"), "*");
    assert.equal(response.headers.get("access-control-allow-methods"), methods, path);
    assert.match(response.headers.get("access-control-allow-headers") ?? "", /authorization/);
    assert.equal(await response.text(), "");
  }
});

Deno.test("invalid input: 400 invalid_request or invalid_json, 413 for a large body", async () => {
  const jwt = await token({ exp: seconds(Date.now()) + 600 });
  const models = createModelsApp(deps());
  const consume = (body: string) =>
    models.request("/models/consume", {
      method: "POST",
      headers: { ...bearer(jwt), "Content-Type": "application/json" },
      body,
    });
  const enhanced = await assertError(
    await models.request(authProbe, { headers: bearer(jwt) }),
    400,
    "invalid_request",
  );
  assert.match(enhanced.message, /enhanced/);
  await assertError(await consume("{model"), 400, "invalid_json");
  const wrongType = await assertError(
    await consume(JSON.stringify({ model_id: 5 })),
    400,
    "invalid_request",
  );
  assert.deepEqual((wrongType.details as { path: string }[]).map((d) => d.path), ["model_id"]);
  await assertError(await consume("x".repeat(maxBodyBytes + 1)), 413, "payload_too_large");

  const sync = createSyncModelsApp(deps());
  const unknownTrigger = await sync.request("/sync-models", {
    method: "POST",
    headers: { Authorization: `Bearer ${cronSecret}` },
    body: JSON.stringify({ triggered_by: "someone" }),
  });
  await assertError(unknownTrigger, 400, "invalid_request");
});

Deno.test("a database that cannot be reached: 500 internal_error, its cause only in the log", async () => {
  const appDeps = deps();
  const jwt = await token({ exp: seconds(Date.now()) + 600 });
  let requestId: string | null = null;
  try {
    const [line, ...more] = await errorLogs(async () => {
      const response = await createModelsApp(appDeps).request("/models", { headers: bearer(jwt) });
      requestId = response.headers.get("x-request-id");
      const error = await assertError(response, 500, "internal_error");
      assert.deepEqual(error, {
        code: "internal_error",
        message: "Internal server error; see the function log.",
      });
    });
    assert.deepEqual(more, []);
    assert.equal(line.code, "internal_error");
    assert.equal(line.fn, "models");
    assert.equal(line.request_id, requestId);
    assert.match(JSON.stringify(line), /ECONNREFUSED/);
  } finally {
    await appDeps.sql.end();
  }
});

Deno.test("an invalid environment: 500 server_misconfigured, the variable only in the log", async () => {
  const app = createModelsApp(platformDeps({ SUPABASE_URL: projectUrl }));
  const jwt = await token({ exp: seconds(Date.now()) + 600 });
  const [line] = await errorLogs(async () => {
    const error = await assertError(
      await app.request("/models", { headers: bearer(jwt) }),
      500,
      "server_misconfigured",
    );
    assert.doesNotMatch(error.message, /SUPABASE_DB_URL/);
  });
  assert.equal(line.code, "server_misconfigured");
  assert.match(String(line.error), /SUPABASE_DB_URL: missing/);
  await assertError(await app.request("/models"), 401, "auth_required");
  assert.equal((await app.request("/models", { method: "OPTIONS" })).status, 204);
});

/** Deps on the stack's database, with the given clock; the pool is closed after `fn`. */
async function withStackDeps(now: () => number, fn: (deps: Deps) => Promise<void>) {
  const appEnv = env({ SUPABASE_DB_URL: (await stack()).dbUrl });
  const appDeps = { env: appEnv, sql: connect(appEnv), now };
  try {
    await fn(appDeps);
  } finally {
    await appDeps.sql.end();
  }
}

stackTest("GET /models: 200 with the caller's list, as deployed; 304 for its ETag", async () => {
  const user = await createUser({ tier: "pro", label: "in-process" });
  try {
    await withStackDeps(Date.now, async (appDeps) => {
      const app = createModelsApp(appDeps);
      const headers = bearer(await token({ sub: user.id, exp: seconds(Date.now()) + 600 }));
      const response = await app.request("/models", { headers });
      assert.equal(response.status, 200);
      assert.equal(response.headers.get("x-user-tier"), "pro");
      assert.equal(response.headers.get("access-control-allow-origin"), "*");
      const body = await response.json();
      assert.ok(body.models.length > 0);
      assert.equal(response.headers.get("x-models-count"), String(body.models.length));
      const deployed = await fetch(await fnUrl("models"), { headers: user.headers });
      assert.deepEqual(body, await deployed.json(), "the same list as the stack's function");

      const etag = response.headers.get("etag")!;
      assert.ok(etag);
      const unchanged = await app.request("/models", {
        headers: { ...headers, "If-None-Match": etag },
      });
      assert.equal(unchanged.status, 304);
      assert.equal(unchanged.headers.get("etag"), etag);
      assert.equal(await unchanged.text(), "");
      const other = await app.request("/models", {
        headers: { ...headers, "If-None-Match": '"another"' },
      });
      assert.equal(other.status, 200);
      await other.body?.cancel();
    });
  } finally {
    await deleteUsers(user);
    await closeAdminDb();
  }
});

stackTest("a used-up quota: 429 with Retry-After counted from the app's clock", async () => {
  const user = await createUser({ tier: "free", label: "in-process-quota" });
  const modelId = `in-process/quota-${crypto.randomUUID()}`;
  const admin = await adminDb();
  try {
    await admin`
      insert into public.model_access (model_id, model_name, status, is_free, daily_limit)
      values (${modelId}, 'In-process quota model', 'active', true, 1)`;
    const used = await consumeAsUser<{ daily: { resets_at: string } }>(admin, user.id, modelId);
    const resetsAt = Date.parse(used.daily.resets_at);
    await withStackDeps(() => resetsAt - 42_000, async (appDeps) => {
      const app = createModelsApp(appDeps);
      const jwt = await token({ sub: user.id, exp: seconds(resetsAt) + 600 });
      const response = await app.request("/models/consume", {
        method: "POST",
        headers: bearer(jwt),
        body: JSON.stringify({ model_id: modelId }),
      });
      assert.equal(response.headers.get("retry-after"), "42");
      await assertError(response, 429, "quota_exceeded");
    });
  } finally {
    await deleteUsers(user);
    await admin`delete from public.model_access where model_id = ${modelId}`;
    await closeAdminDb();
  }
});

stackTest(
  "admin-models in process: 403 for a user, 400 for an admin's invalid change",
  async () => {
    const user = await createUser({ label: "in-process-user" });
    const admin = await createUser({ isAdmin: true, label: "in-process-admin" });
    try {
      await withStackDeps(Date.now, async (appDeps) => {
        const app = createAdminModelsApp(appDeps);
        const exp = seconds(Date.now()) + 600;
        const change = (sub: string) =>
          token({ sub, exp }).then((jwt) =>
            app.request("/admin-models", {
              method: "PATCH",
              headers: bearer(jwt),
              body: JSON.stringify({ model_ids: [], changes: { status: 1 } }),
            })
          );
        await assertError(await change(user.id), 403, "forbidden");
        const invalid = await assertError(await change(admin.id), 400, "invalid_request");
        const paths = (invalid.details as { path: string }[]).map((d) => d.path).sort();
        assert.deepEqual(paths, ["changes.status", "model_ids"]);
      });
    } finally {
      await deleteUsers(user, admin);
      await closeAdminDb();
    }
  },
);

stackTest(
  "a list read for one request is not reused by a later one whose clock is past a listed sunset",
  async () => {
    // Request A reads its tier's list while the catalog is locked, so the read is still under way
    // when a listed model's sunset passes; request B, keyed after the sunset, waits for A's read
    // (the same tier and version) and must read afresh rather than take A's list.
    const user = await createUser({ tier: "free", label: "in-process-shared-read" });
    const sql = await adminDb();
    const [{ model_id: sunsetting, sunset_ms: sunsetMs }] = await sql<
      { model_id: string; sunset_ms: number }[]
    >`
      update public.model_access set status = 'deprecated', sunset_at = now() + interval '1 second'
       where model_id = (select model_id from public.model_access
                          where status = 'active' and is_free order by model_id limit 1)
      returning model_id, (extract(epoch from sunset_at) * 1000)::float8 as sunset_ms`;
    const locker = postgres((await stack()).adminDbUrl, { max: 1, onnotice: () => {} });
    let release!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    try {
      await withStackDeps(Date.now, async (appDeps) => {
        const app = createModelsApp(appDeps);
        const headers = bearer(await token({ sub: user.id, exp: seconds(Date.now()) + 600 }));
        let locked!: () => void;
        const isLocked = new Promise<void>((resolve) => (locked = resolve));
        const holder = locker.begin(async (tx) => {
          await tx`lock table public.model_access in access exclusive mode`;
          locked();
          await released;
        });
        await isLocked;
        const first = app.request("/models", { headers });
        await holds(async () => {
          const [{ n }] = await sql<{ n: number }[]>`
            select count(*)::int as n from pg_stat_activity
             where wait_event_type = 'Lock' and query like '%get_user_allowed_models_v2%'`;
          return n === 1;
        }, "A's read waiting on the lock");
        await holds(() => Promise.resolve(Date.now() > sunsetMs + 200), "the sunset passed");
        const secondStart = new Date();
        const second = app.request("/models", { headers });
        // B has its key (a statement on the pool's other connection) and waits for A's read.
        await holds(async () => {
          const [{ n }] = await sql<{ n: number }[]>`
            select count(*)::int as n from pg_stat_activity
             where state = 'idle' and state_change > ${secondStart}
               and query like '%get_my_tier()%' and query not like '%get_user_allowed_models_v2%'`;
          return n === 1;
        }, "B's key read");
        release();
        await holder;
        const [a, b] = await Promise.all([first, second]);
        assert.equal(a.status, 200);
        assert.equal(b.status, 200);
        const listedByA: string[] = (await a.json()).models;
        const listedByB: string[] = (await b.json()).models;
        assert.ok(listedByA.includes(sunsetting), "A's read began before the sunset: listed");
        assert.ok(!listedByB.includes(sunsetting), "B, keyed after it, does not get A's list");
      });
    } finally {
      release();
      await locker.end();
      await sql`
        update public.model_access set status = 'active', sunset_at = null
         where model_id = ${sunsetting}`;
      await deleteUsers(user);
      await closeAdminDb();
    }
  },
);

/** Waits (at most 10 s) until `condition` holds. */
function holds(condition: () => Promise<boolean>, what: string): Promise<true> {
  return poll(async () => (await condition()) || undefined, {
    timeoutMs: 10_000,
    intervalMs: 20,
    failure: `timed out waiting for ${what}`,
  });
}

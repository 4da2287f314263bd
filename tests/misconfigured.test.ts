// A misconfigured deployment answers 500 server_misconfigured with a log line naming what is
// wrong, and never crashes at import. Runs the function apps in a subprocess with a broken
// environment (the stack's own environment is valid); needs no running stack.
import assert from "node:assert/strict";
import { localJwtSecret } from "../supabase/functions/_shared/env.ts";
import { callApp } from "./_helpers/app_process.ts";

const valid = {
  SUPABASE_DB_URL: "postgresql://postgres:postgres@127.0.0.1:1/postgres",
  SUPABASE_URL: "http://127.0.0.1:1",
  JWT_SECRET: localJwtSecret,
  CRON_SECRET: "a-cron-secret-of-sufficient-length",
};

const bearer = "Bearer x.y.z";

for (
  const [name, env, fn, method, problem] of [
    ["no SUPABASE_DB_URL", { ...valid, SUPABASE_DB_URL: "" }, "models", "GET", "SUPABASE_DB_URL"],
    [
      "a SUPABASE_DB_URL that is no postgres URL",
      { ...valid, SUPABASE_DB_URL: "http://db" },
      "admin-models",
      "GET",
      "SUPABASE_DB_URL",
    ],
    [
      "a SUPABASE_DB_URL postgres.js cannot parse",
      { ...valid, SUPABASE_DB_URL: "postgresql://postgres:%zz@127.0.0.1:1/postgres" },
      "models",
      "GET",
      "SUPABASE_DB_URL",
    ],
    [
      "a DB_POOL_URL postgres.js cannot parse",
      { ...valid, DB_POOL_URL: "postgresql://postgres:%zz@127.0.0.1:1/postgres" },
      "admin-models",
      "GET",
      "DB_POOL_URL",
    ],
    // The issuer every user token must carry is the project's Auth: no URL, no issuer.
    ["no SUPABASE_URL", { ...valid, SUPABASE_URL: "" }, "models", "GET", "SUPABASE_URL"],
    [
      "the CLI's public JWT secret off a local stack",
      { ...valid, SUPABASE_URL: "https://abcdefghijklmnop.supabase.co" },
      "admin-models",
      "GET",
      "JWT_SECRET",
    ],
    [
      "the CLI's public JWT secret on a host named like a loopback address",
      { ...valid, SUPABASE_URL: "http://127.0.0.1.nip.io:54321" },
      "models",
      "GET",
      "JWT_SECRET",
    ],
    [
      "a JWKS that is not JSON",
      { ...valid, SUPABASE_JWKS: "{keys" },
      "models",
      "GET",
      "SUPABASE_JWKS",
    ],
    [
      "a non-number timeout",
      { ...valid, OPENROUTER_TIMEOUT_MS: "soon" },
      "admin-models",
      "GET",
      "OPENROUTER_TIMEOUT_MS",
    ],
    ["no CRON_SECRET", { ...valid, CRON_SECRET: "" }, "sync-models", "POST", "CRON_SECRET"],
    [
      "a plain http: catalog URL off this machine",
      { ...valid, OPENROUTER_MODELS_URL: "http://openrouter.ai/api/v1/models" },
      "admin-models",
      "GET",
      "OPENROUTER_MODELS_URL",
    ],
    [
      "a plain http: catalog URL on a host named like a loopback address",
      { ...valid, OPENROUTER_MODELS_URL: "http://127.0.0.1.nip.io/api/v1/models" },
      "sync-models",
      "POST",
      "OPENROUTER_MODELS_URL",
    ],
    [
      "a catalog URL that sets its own scope",
      {
        ...valid,
        OPENROUTER_MODELS_URL: "https://openrouter.ai/api/v1/models?output_modalities=all",
      },
      "admin-models",
      "GET",
      "OPENROUTER_MODELS_URL",
    ],
    [
      "a scope naming an unknown modality",
      { ...valid, OPENROUTER_OUTPUT_MODALITIES: "text,smell" },
      "admin-models",
      "GET",
      "OPENROUTER_OUTPUT_MODALITIES",
    ],
    [
      "a body cap that is no number of bytes",
      { ...valid, OPENROUTER_MAX_BODY_BYTES: "20MB" },
      "sync-models",
      "POST",
      "OPENROUTER_MAX_BODY_BYTES",
    ],
  ] as const
) {
  Deno.test(`${name}: 500 server_misconfigured and a log line naming it`, async () => {
    const result = await callApp(env, fn, method, bearer);
    assert.equal(result.status, 500);
    assert.equal(result.body.error.code, "server_misconfigured");
    assert.ok(!JSON.stringify(result.body).includes(problem), "details stay in the log");
    const line = result.logs.find((log: { level: string; error?: string }) =>
      log.level === "error" && log.error?.startsWith("environment is misconfigured")
    );
    assert.ok(line, JSON.stringify(result.logs));
    assert.equal(line.code, "server_misconfigured");
    assert.equal(line.fn, fn);
    assert.ok(line.request_id, "the log line carries the request id");
    assert.ok(line.error.includes(problem), line.error);
    for (const value of Object.values(env)) {
      if (value.length > 8) {
        assert.ok(!JSON.stringify(result.logs).includes(value), "no secrets logged");
      }
    }
  });
}

Deno.test("misconfigured functions still answer preflights and refuse missing tokens", async () => {
  const preflight = await callApp({}, "models", "OPTIONS");
  assert.equal(preflight.status, 204);
  const anonymous = await callApp({}, "models", "GET");
  assert.equal(anonymous.status, 401);
  assert.equal(anonymous.body.error.code, "auth_required");
});

Deno.test("the CLI's public JWT secret is accepted on a local stack (loopback or kong)", async () => {
  for (const url of ["http://127.0.0.1:54321", "http://localhost:54321", "http://kong:8000"]) {
    const result = await callApp({ ...valid, SUPABASE_URL: url }, "models", "GET", bearer);
    assert.equal(result.status, 401, `${url}: ${JSON.stringify(result.body)}`);
    assert.equal(result.body.error.code, "invalid_token");
  }
});

Deno.test("catalog URLs: https, file, or plain http on loopback; scopes: all or known", async () => {
  for (
    const [url, scope] of [
      ["https://openrouter.ai/api/v1/models", "all"],
      ["http://127.0.0.1:34390/api/v1/models", "text"],
      ["http://127.10.0.1:34390/api/v1/models", "text,image"],
      ["http://localhost:34390/api/v1/models", "image,audio,embeddings"],
      ["http://[::1]:34390/api/v1/models", "speech"],
      ["file:///srv/catalog/models.json", ""],
    ]
  ) {
    const env = { ...valid, OPENROUTER_MODELS_URL: url, OPENROUTER_OUTPUT_MODALITIES: scope };
    const result = await callApp(env, "models", "GET", bearer);
    assert.equal(result.status, 401, `${url} ${scope}: ${JSON.stringify(result.body)}`);
    assert.equal(result.body.error.code, "invalid_token");
  }
});

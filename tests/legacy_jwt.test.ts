// A project that still has the legacy JWT secret: with JWT_SECRET set, HS256 user tokens are
// accepted beside the ES256 ones, under the same claim checks, and the legacy anon and service_role
// keys are no user's; JWT_ISSUER names another issuer. The stack sets no JWT_SECRET, so the models
// app runs in a subprocess with the environment `STACK_LEGACY_JWT=1` would give it, against the
// stack's database.
import assert from "node:assert/strict";
import { localJwtSecret } from "../supabase/functions/_shared/env.ts";
import { readStackEnv, stackConfig } from "../supabase/local/config.ts";
import { legacyJwtEnv } from "../supabase/local/stack.ts";
import { callApp } from "./_helpers/app_process.ts";
import { stackTest } from "./_helpers/harness.ts";
import { foreignClaimTokens, userToken } from "./_helpers/jwt.ts";
import { createUser, deleteUsers } from "./_helpers/users.ts";

async function functionEnv(extra: Record<string, string> = {}) {
  const env = await readStackEnv(stackConfig());
  return {
    SUPABASE_DB_URL: env.SUPABASE_DB_URL,
    SUPABASE_URL: env.SUPABASE_URL,
    SUPABASE_JWKS: env.SUPABASE_JWKS,
    ...extra,
  };
}

async function models(env: Record<string, string>, token: string) {
  return await callApp(env, "models", "GET", `Bearer ${token}`);
}

stackTest("with JWT_SECRET set, HS256 and ES256 user tokens are both accepted", async () => {
  const legacy = await legacyJwtEnv();
  const env = await functionEnv({ JWT_SECRET: legacy.JWT_SECRET });
  const user = await createUser({ tier: "pro", label: "legacy" });
  try {
    for (const token of [await userToken(user.id, { hs256Secret: localJwtSecret }), user.token]) {
      const response = await models(env, token);
      assert.equal(response.status, 200, JSON.stringify(response.body));
      assert.ok(Array.isArray(response.body.models));
    }
  } finally {
    await deleteUsers(user);
  }
});

stackTest("the legacy anon and service_role keys get 401 auth_required", async () => {
  const legacy = await legacyJwtEnv();
  const env = await functionEnv({ JWT_SECRET: legacy.JWT_SECRET });
  for (const key of [legacy.SUPABASE_ANON_KEY, legacy.SUPABASE_SERVICE_ROLE_KEY]) {
    const response = await models(env, key);
    assert.equal(response.status, 401, JSON.stringify(response.body));
    assert.equal(response.body.error.code, "auth_required");
    assert.match(response.body.error.message, /signed-in user's access token is required/);
  }
});

stackTest("HS256 tokens with another secret, expired or foreign claims get 401", async () => {
  const env = await functionEnv({ JWT_SECRET: (await legacyJwtEnv()).JWT_SECRET });
  const user = await createUser({ label: "legacy" });
  try {
    const hs256 = { hs256Secret: localJwtSecret };
    const tokens = {
      "another secret": await userToken(user.id, { hs256Secret: "another-secret-".repeat(3) }),
      "expired": await userToken(user.id, { ...hs256, expiresIn: -60 }),
      ...await foreignClaimTokens(user.id, hs256),
    };
    for (const [name, token] of Object.entries(tokens)) {
      const response = await models(env, token);
      assert.equal(response.status, 401, `${name}: ${JSON.stringify(response.body)}`);
      assert.equal(response.body.error.code, "invalid_token", name);
    }
  } finally {
    await deleteUsers(user);
  }
});

stackTest("JWT_ISSUER names the issuer tokens must carry instead of SUPABASE_URL's", async () => {
  const issuer = "http://127.0.0.1:54321/auth/v1";
  const env = await functionEnv({ SUPABASE_URL: "http://kong:8000", JWT_ISSUER: issuer });
  const user = await createUser({ label: "issuer" });
  try {
    const accepted = await models(env, await userToken(user.id, { claims: { iss: issuer } }));
    assert.equal(accepted.status, 200, JSON.stringify(accepted.body));
    const refused = await models(env, user.token);
    assert.equal(refused.status, 401);
    assert.equal(refused.body.error.code, "invalid_token");
    assert.match(refused.body.error.message, /`iss`/);
  } finally {
    await deleteUsers(user);
  }
});

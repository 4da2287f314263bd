// What every function shares: CORS on every answer (preflights and errors too), preflights
// answered before authentication, request ids, the JSON error shape, 401 for every kind of bad
// credential, 405 with Allow, 404 for unknown routes, 413 and malformed JSON.
import assert from "node:assert/strict";
import { call, type ErrorBody } from "./_helpers/api.ts";
import { badTokens, nonUserTokens, userToken } from "./_helpers/jwt.ts";
import { stack } from "./_helpers/stack.ts";
import { stackTest } from "./_helpers/harness.ts";
import { createUser, deleteUsers } from "./_helpers/users.ts";

const functions = ["models", "admin-models", "sync-models"];

function assertError(
  response: { status: number; body: unknown; headers: Headers },
  status: number,
  code: string,
) {
  assert.equal(response.status, status, JSON.stringify(response.body));
  const body = response.body as ErrorBody;
  assert.equal(body.error.code, code);
  assert.equal(typeof body.error.message, "string");
  assert.ok(body.error.message.length > 0);
  assert.equal(response.headers.get("access-control-allow-origin"), "*");
  assert.match(response.headers.get("content-type") ?? "", /^application\/json/);
}

/** Every route of the three functions, with the methods it serves (HEAD goes with GET). */
const routeMethods: [string, string, string][] = [
  ["models", "", "GET, HEAD, OPTIONS"],
  ["models", "consume", "POST, OPTIONS"],
  ["admin-models", "", "GET, HEAD, PATCH, OPTIONS"],
  ["admin-models", "sync", "POST, OPTIONS"],
  ["admin-models", "sync-log", "GET, HEAD, OPTIONS"],
  ["admin-models", "health", "GET, HEAD, OPTIONS"],
  ["admin-models", "changes", "GET, HEAD, OPTIONS"],
  ["admin-models", "rules", "GET, HEAD, POST, OPTIONS"],
  ["admin-models", "rules/apply", "POST, OPTIONS"],
  ["admin-models", `rules/${crypto.randomUUID()}`, "PATCH, DELETE, OPTIONS"],
  ["admin-models", "openai%2Fgpt-4o", "GET, HEAD, PATCH, OPTIONS"],
  ["admin-models", "openai%2Fgpt-4o/prices", "GET, HEAD, OPTIONS"],
  ["admin-models", "openai%2Fgpt-4o/deprecate", "POST, OPTIONS"],
  ["sync-models", "", "POST, OPTIONS"],
  // No such route: every method the function serves, so the request goes on to its JSON 404.
  ["models", "anything/else", "GET, HEAD, POST, OPTIONS"],
  ["admin-models", "anything/else/here", "GET, HEAD, POST, PATCH, DELETE, OPTIONS"],
  ["sync-models", "anything/else", "POST, OPTIONS"],
];

stackTest("OPTIONS preflights are answered before authentication, with CORS headers", async () => {
  for (const [fn, path, methods] of routeMethods) {
    const response = await call(fn, path, {
      method: "OPTIONS",
      headers: {
        Origin: "https://app.example",
        "Access-Control-Request-Method": "GET",
        "Access-Control-Request-Headers": "authorization, x-client-info, apikey, content-type",
      },
    });
    assert.equal(response.status, 204, `${fn}/${path}`);
    assert.equal(response.text, "");
    assert.equal(response.headers.get("access-control-allow-origin"), "*");
    const allowed = response.headers.get("access-control-allow-headers") ?? "";
    for (const header of ["authorization", "x-client-info", "apikey", "content-type"]) {
      assert.ok(allowed.includes(header), `${header} in ${allowed}`);
    }
    assert.equal(response.headers.get("access-control-allow-methods"), methods, `${fn}/${path}`);
    assert.ok(response.headers.get("x-request-id"));
  }
});

stackTest("a preflight allows exactly the methods a route answers without a 405", async () => {
  const admin = await createUser({ isAdmin: true });
  const cron = { Authorization: `Bearer ${(await stack()).cronSecret}` };
  try {
    for (const [fn, path, methods] of routeMethods.filter(([, path]) => !path.includes("else"))) {
      // PUT is served nowhere: its 405 names what the route does serve.
      const headers = fn === "sync-models" ? cron : admin.headers;
      const response = await call(fn, path, { method: "PUT", headers });
      assertError(response, 405, "method_not_allowed");
      assert.equal(response.headers.get("allow"), methods, `${fn}/${path}`);
    }
  } finally {
    await deleteUsers(admin);
  }
});

stackTest("no token: 401 auth_required with CORS and a request id, on every function", async () => {
  for (const fn of functions) {
    const response = await call(fn, "", { method: fn === "sync-models" ? "POST" : "GET" });
    assertError(response, 401, "auth_required");
    const requestId = response.headers.get("x-request-id");
    assert.ok(requestId && requestId.length >= 8);
    assert.match(response.headers.get("access-control-expose-headers") ?? "", /X-Request-Id/);
  }
  const models = await call("models");
  assert.deepEqual(Object.keys((models.body as ErrorBody).error).sort(), ["code", "message"]);
});

stackTest(
  "a client-supplied X-Request-Id is echoed back; each request gets its own otherwise",
  async () => {
    const mine = `test-${crypto.randomUUID()}`;
    const echoed = await call("models", "", { headers: { "X-Request-Id": mine } });
    assert.equal(echoed.headers.get("x-request-id"), mine);
    const a = await call("models");
    const b = await call("models");
    assert.notEqual(a.headers.get("x-request-id"), b.headers.get("x-request-id"));
    const junk = await call("models", "", { headers: { "X-Request-Id": "bad id with spaces" } });
    assert.notEqual(junk.headers.get("x-request-id"), "bad id with spaces");
  },
);

stackTest("bad user tokens are refused with 401 invalid_token", async () => {
  // An admin, so that a token wrongly accepted would get 200 from both functions.
  const user = await createUser({ isAdmin: true });
  try {
    for (const [name, token] of Object.entries(await badTokens(user.id))) {
      for (const fn of ["models", "admin-models"]) {
        const response = await call(fn, "", { headers: { Authorization: `Bearer ${token}` } });
        assert.equal(response.status, 401, `${name} on ${fn}: ${response.text}`);
        assertError(response, 401, "invalid_token");
      }
    }
  } finally {
    await deleteUsers(user);
  }
});

stackTest(
  "credentials that are no user's (publishable and secret keys, role anon) get 401 auth_required",
  async () => {
    for (const [name, token] of Object.entries(await nonUserTokens())) {
      for (const fn of ["models", "admin-models"]) {
        const response = await call(fn, "", { headers: { Authorization: `Bearer ${token}` } });
        assert.equal(response.status, 401, `${name} on ${fn}`);
        assertError(response, 401, "auth_required");
        assert.match(
          (response.body as ErrorBody).error.message,
          /signed-in user's access token is required/,
          name,
        );
      }
    }
  },
);

stackTest("Authorization headers that are not a bearer token get 401 auth_required", async () => {
  for (const header of ["Basic dXNlcjpwYXNz", "Bearer", "Bearer ", "token abc"]) {
    assertError(
      await call("models", "", { headers: { Authorization: header } }),
      401,
      "auth_required",
    );
  }
});

stackTest(
  "user tokens signed with the stack's ES256 key work, with `aud` a string or a list",
  async () => {
    const user = await createUser({ tier: "pro" });
    try {
      for (const aud of ["authenticated", ["other", "authenticated"]]) {
        const token = await userToken(user.id, { claims: { aud } });
        const response = await call("models", "", {
          headers: { Authorization: `Bearer ${token}` },
        });
        assert.equal(response.status, 200, `${aud}: ${response.text}`);
        assert.equal(response.headers.get("x-user-tier"), "pro");
      }
    } finally {
      await deleteUsers(user);
    }
  },
);

stackTest("a user token is no key to sync-models, and vice versa", async () => {
  const admin = await createUser({ isAdmin: true });
  try {
    const env = await stack();
    assertError(
      await call("sync-models", "", { method: "POST", headers: admin.headers }),
      401,
      "invalid_token",
    );
    assertError(
      await call("models", "", { headers: { Authorization: `Bearer ${env.cronSecret}` } }),
      401,
      "invalid_token",
    );
  } finally {
    await deleteUsers(admin);
  }
});

stackTest("other methods get 405 method_not_allowed with an Allow header", async () => {
  const user = await createUser({ isAdmin: true });
  try {
    const cases: [string, string, string, string][] = [
      ["models", "", "POST", "GET, HEAD, OPTIONS"],
      ["models", "", "PUT", "GET, HEAD, OPTIONS"],
      ["models", "", "DELETE", "GET, HEAD, OPTIONS"],
      ["models", "", "PATCH", "GET, HEAD, OPTIONS"],
      ["admin-models", "", "POST", "GET, HEAD, PATCH, OPTIONS"],
      ["admin-models", "", "DELETE", "GET, HEAD, PATCH, OPTIONS"],
      ["admin-models", "openai%2Fgpt-4o", "DELETE", "GET, HEAD, PATCH, OPTIONS"],
      ["admin-models", "openai%2Fgpt-4o", "PUT", "GET, HEAD, PATCH, OPTIONS"],
      ["admin-models", "sync", "GET", "POST, OPTIONS"],
      ["admin-models", "sync-log", "POST", "GET, HEAD, OPTIONS"],
    ];
    for (const [fn, path, method, allow] of cases) {
      const response = await call(fn, path, { method, headers: user.headers });
      assertError(response, 405, "method_not_allowed");
      assert.equal(response.headers.get("allow"), allow, `${method} ${fn}/${path}`);
    }
    const env = await stack();
    const get = await call("sync-models", "", {
      headers: { Authorization: `Bearer ${env.cronSecret}` },
    });
    assertError(get, 405, "method_not_allowed");
    assert.equal(get.headers.get("allow"), "POST, OPTIONS");
  } finally {
    await deleteUsers(user);
  }
});

stackTest("unknown routes get 404 not_found in the JSON error shape", async () => {
  const user = await createUser({ isAdmin: true });
  try {
    assertError(await call("models", "extra", { headers: user.headers }), 404, "not_found");
    // An id not encoded as one segment is no route (and the message says how to encode it).
    const raw = await call("admin-models", "openai/gpt-4o", { headers: user.headers });
    assertError(raw, 404, "not_found");
    assert.match((raw.body as ErrorBody).error.message, /percent-encoded/);
  } finally {
    await deleteUsers(user);
  }
});

stackTest("bodies over 1 MiB get 413 payload_too_large; malformed JSON gets 400", async () => {
  const admin = await createUser({ isAdmin: true });
  try {
    const big = JSON.stringify({
      model_ids: ["a/b"],
      changes: { is_free: true },
      pad: "x".repeat(1024 * 1024),
    });
    for (const path of ["", "openai%2Fgpt-4o"]) {
      const response = await call("admin-models", path, {
        method: "PATCH",
        headers: admin.headers,
        body: big,
      });
      assertError(response, 413, "payload_too_large");
    }
    // Streamed without Content-Length, the limit still holds.
    const chunks = new ReadableStream<Uint8Array>({
      start(controller) {
        for (let i = 0; i < 20; i++) controller.enqueue(new Uint8Array(64 * 1024).fill(32));
        controller.close();
      },
    });
    const streamed = await fetch(`${(await stack()).functionsUrl}/admin-models`, {
      method: "PATCH",
      headers: admin.headers,
      body: chunks,
    });
    assert.equal(streamed.status, 413);
    assert.equal(((await streamed.json()) as ErrorBody).error.code, "payload_too_large");

    for (const body of ["{not json", '{"model_ids": [', "", "   "]) {
      for (const path of ["", "openai%2Fgpt-4o"]) {
        const response = await call("admin-models", path, {
          method: "PATCH",
          headers: { ...admin.headers, "content-type": "application/json" },
          body,
        });
        assertError(response, 400, "invalid_json");
      }
    }
  } finally {
    await deleteUsers(admin);
  }
});

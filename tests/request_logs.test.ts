// The request log line: successful reads (GET/HEAD answered below 400) log at debug, since they are
// the bulk of the traffic and Supabase keeps only 100 log events per 10 s per function; refused
// requests log at info. Runs the models app in a subprocess against the stack's database.
import assert from "node:assert/strict";
import { readStackEnv, stackConfig } from "../supabase/local/config.ts";
import { callApp } from "./_helpers/app_process.ts";
import { stackTest } from "./_helpers/harness.ts";
import { createUser, deleteUsers } from "./_helpers/users.ts";

type LogLine = { level: string; msg: string; status?: number; request_id?: string };

stackTest("successful reads log at debug, refused requests at info", async () => {
  const env = await readStackEnv(stackConfig());
  const base = {
    SUPABASE_DB_URL: env.SUPABASE_DB_URL,
    SUPABASE_URL: env.SUPABASE_URL,
    SUPABASE_JWKS: env.SUPABASE_JWKS,
  };
  const requestLines = (logs: LogLine[]) => logs.filter((line) => line.msg === "request");
  const user = await createUser({ tier: "free", label: "logs" });
  try {
    const quiet = await callApp(
      { ...base, LOG_LEVEL: "info" },
      "models",
      "GET",
      user.headers.Authorization,
    );
    assert.equal(quiet.status, 200);
    assert.deepEqual(requestLines(quiet.logs), [], "no info line for a successful read");

    const verbose = await callApp(
      { ...base, LOG_LEVEL: "debug" },
      "models",
      "GET",
      user.headers.Authorization,
    );
    assert.equal(verbose.status, 200);
    const [line, ...more] = requestLines(verbose.logs);
    assert.deepEqual(more, []);
    assert.equal(line.level, "debug");
    assert.equal(line.status, 200);
    assert.ok(line.request_id);

    const refused = await callApp({ ...base, LOG_LEVEL: "info" }, "models", "GET");
    assert.equal(refused.status, 401);
    const [refusal] = requestLines(refused.logs);
    assert.equal(refusal?.level, "info");
    assert.equal(refusal.status, 401);
  } finally {
    await deleteUsers(user);
  }
});

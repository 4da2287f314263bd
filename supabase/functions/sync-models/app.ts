// POST /functions/v1/sync-models: the scheduled catalog sync, called by pg_cron with
// `Authorization: Bearer <CRON_SECRET>` (not a JWT: verify_jwt = false in config.toml).
// Optional body `{ "triggered_by": "cron" | "manual" }` (default cron) says who asked, for the
// sync log: the pg_cron job sends "cron", an operator's one-off call (or `npm run dev`) "manual".
import type { Hono } from "hono";
import { z } from "zod";
import { asServiceRole } from "../_shared/db.ts";
import type { AppDeps } from "../_shared/deps.ts";
import { requireCronSecret } from "../_shared/env.ts";
import { type AppEnv, createApp, depsOf, onlyAllow, readJson, validate } from "../_shared/http.ts";
import { requireSecret } from "../_shared/secret.ts";
import { syncCatalog, syncStatementTimeout } from "../_shared/sync.ts";

const bodySchema = z.strictObject({
  triggered_by: z.enum(["cron", "manual"]).default("cron"),
});

export function createSyncModelsApp(deps: AppDeps): Hono<AppEnv> {
  const app = createApp("sync-models", deps);

  app.post("/", async (c) => {
    const { env, sql } = depsOf(c);
    await requireSecret(c.req.header("authorization"), requireCronSecret(env));
    const body = validate(bodySchema, await readJson(c, { emptyAs: {} }), "body");
    const result = await syncCatalog({
      env,
      triggeredBy: body.triggered_by,
      force: false,
      dryRun: false,
      run: (fn) => asServiceRole(sql, fn, { statementTimeout: syncStatementTimeout }),
      log: c.get("log"),
    });
    return c.json(result);
  });
  app.all("/", onlyAllow("POST"));

  return app;
}

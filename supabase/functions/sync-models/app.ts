// POST /functions/v1/sync-models: the scheduled catalog sync, called by pg_cron with
// `Authorization: Bearer <CRON_SECRET>` (not a JWT: verify_jwt = false in config.toml).
// Optional body `{ "triggered_by": "cron" | "manual" }` (default cron) says who asked, for the
// sync log: the pg_cron job sends "cron", an operator's one-off call (or `npm run dev`) "manual".
import { z } from "zod";
import { asServiceRole } from "../_shared/db.ts";
import { requireCronSecret } from "../_shared/env.ts";
import { createApp, onlyAllow, readJson, validate } from "../_shared/http.ts";
import { requireSecret } from "../_shared/secret.ts";
import { syncCatalog } from "../_shared/sync.ts";

const app = createApp("sync-models");

const bodySchema = z.strictObject({
  triggered_by: z.enum(["cron", "manual"]).default("cron"),
});

app.post("/", async (c) => {
  await requireSecret(c.req.header("authorization"), requireCronSecret());
  const body = validate(bodySchema, await readJson(c, { emptyAs: {} }), "body");
  const result = await syncCatalog({
    triggeredBy: body.triggered_by,
    force: false,
    dryRun: false,
    run: asServiceRole,
    log: c.get("log"),
  });
  return c.json(result);
});
app.all("/", onlyAllow("POST"));

export default app;

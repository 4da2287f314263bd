// The reference for the models benchmark: the least a function must do to answer GET /models as
// models does on a warm request. The same one round trip, through a pool made with _shared/db.ts's
// options: role and claims set locally, then the very statement models runs (its tier, catalog
// version and clock; for ?enhanced=true also the caller's counters). Then the body models answered,
// with its headers, sent the way models sends it. No token check, routing, or cache lookup: the
// claims are the token's payload, unverified. The benchmark writes the bodies and headers models
// answered to BENCH_REFERENCE_DIR before the first request: {legacy,enhanced}.json and .headers.json.
import { join } from "node:path";
import postgres from "postgres";
import { keySql, usageKeySql } from "../../../supabase/functions/models/app.ts";
import { cachedBodyResponse } from "../../../supabase/functions/_shared/http.ts";

const sql = postgres(Deno.env.get("DB_POOL_URL") || Deno.env.get("SUPABASE_DB_URL")!, {
  prepare: false,
  max_pipeline: 0,
  max: Number(Deno.env.get("DB_POOL_MAX") || 2),
  idle_timeout: 15,
  max_lifetime: 5 * 60,
  connect_timeout: 10,
  onnotice: () => {},
  connection: { application_name: "model-access-functions" },
});

const dir = Deno.env.get("BENCH_REFERENCE_DIR")!;

async function answer(mode: "legacy" | "enhanced") {
  const headers: Record<string, string> = JSON.parse(
    await Deno.readTextFile(join(dir, `${mode}.headers.json`)),
  );
  return { cached: { body: await Deno.readFile(join(dir, `${mode}.json`)) }, headers };
}

const answers = { legacy: await answer("legacy"), enhanced: await answer("enhanced") };

function tokenPayload(request: Request): string {
  const token = request.headers.get("authorization")?.replace(/^Bearer /, "") ?? "";
  return atob((token.split(".")[1] ?? "").replaceAll("-", "+").replaceAll("_", "/"));
}

Deno.serve(async (request) => {
  const started = performance.now();
  const claims = tokenPayload(request);
  const enhanced = request.url.endsWith("?enhanced=true");
  const tag = `c${crypto.randomUUID().replaceAll("-", "")}`;
  await sql.unsafe(
    `select set_config('role', 'authenticated', true),
            set_config('request.jwt.claims', $${tag}$${claims}$${tag}$, true);
     ${enhanced ? usageKeySql : keySql}`,
  ).simple();
  const { cached, headers } = enhanced ? answers.enhanced : answers.legacy;
  return cachedBodyResponse(cached, {
    ...headers,
    "X-Request-Id": crypto.randomUUID(),
    "X-Response-Time": `${Math.round((performance.now() - started) * 100) / 100}ms`,
  });
});

// The reference for the models benchmark: the least a function must do to answer GET /models as
// models does on a warm request. The same one round trip through the same pool (platformDeps'
// pool and _shared/db.ts's queryAsUser: role and claims set locally, then the very statement
// models runs: tier, catalog version and clock, and for ?enhanced=true the caller's counters and
// default model). Then the body models answered, with its headers, sent the way models sends it.
// No token check, routing or cache lookup: the claims are the token's payload, unverified. The
// benchmark writes the bodies and headers models answered to BENCH_REFERENCE_DIR before the first
// request: {legacy,enhanced}.json and {legacy,enhanced}.headers.json.
import { join } from "node:path";
import type { UserClaims } from "../../../supabase/functions/_shared/auth.ts";
import { queryAsUser } from "../../../supabase/functions/_shared/db.ts";
import { platformDeps } from "../../../supabase/functions/_shared/deps.ts";
import { cachedBodyResponse } from "../../../supabase/functions/_shared/http.ts";
import { keySql, usageKeySql } from "../../../supabase/functions/models/app.ts";

const deps = platformDeps(Deno.env.toObject());
if (deps instanceof Error) throw deps;
const dir = Deno.env.get("BENCH_REFERENCE_DIR")!;

async function answer(mode: "legacy" | "enhanced") {
  const headers: Record<string, string> = JSON.parse(
    await Deno.readTextFile(join(dir, `${mode}.headers.json`)),
  );
  return { cached: { body: await Deno.readFile(join(dir, `${mode}.json`)) }, headers };
}

const answers = { legacy: await answer("legacy"), enhanced: await answer("enhanced") };

function tokenClaims(request: Request): UserClaims {
  const token = request.headers.get("authorization")?.replace(/^Bearer /, "") ?? "";
  return JSON.parse(atob((token.split(".")[1] ?? "").replaceAll("-", "+").replaceAll("_", "/")));
}

Deno.serve(async (request) => {
  const started = performance.now();
  const enhanced = request.url.endsWith("?enhanced=true");
  await queryAsUser(deps.sql, tokenClaims(request), enhanced ? usageKeySql : keySql);
  const { cached, headers } = enhanced ? answers.enhanced : answers.legacy;
  return cachedBodyResponse(cached, {
    ...headers,
    "X-Request-Id": crypto.randomUUID(),
    "X-Response-Time": `${Math.round((performance.now() - started) * 100) / 100}ms`,
  });
});

// The main job: start the local stack, run the first catalog sync through the real sync-models
// function (from OpenRouter when reachable, else from the snapshot shipped in the repo), print
// how many models each tier gets, and keep serving until Ctrl-C.
// Flags: --snapshot forces the offline snapshot; OPENROUTER_MODELS_URL overrides the source.
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import postgres from "postgres";
import { repoRoot, type StackConfig, stackConfig } from "../supabase/local/config.ts";
import { startStack, stopStack } from "../supabase/local/stack.ts";
import { userToken } from "../tests/_helpers/jwt.ts";

const liveUrl = "https://openrouter.ai/api/v1/models";
const snapshotUrl = pathToFileURL(
  join(repoRoot, "supabase/local/snapshots/openrouter-models-2025-12-02.json"),
).href;

async function reachable(url: string): Promise<boolean> {
  try {
    const res = await fetch(url, { method: "HEAD", signal: AbortSignal.timeout(5000) });
    await res.body?.cancel();
    return res.status < 500;
  } catch {
    return false;
  }
}

async function chooseCatalogSource(): Promise<string> {
  const configured = Deno.env.get("OPENROUTER_MODELS_URL");
  if (configured) {
    console.log(`Catalog source: ${configured} (from OPENROUTER_MODELS_URL)`);
    return configured;
  }
  if (Deno.args.includes("--snapshot")) {
    console.log(`Catalog source: the local snapshot ${snapshotUrl} (--snapshot)`);
    return snapshotUrl;
  }
  if (await reachable(liveUrl)) {
    console.log(`Catalog source: ${liveUrl} (live OpenRouter)`);
    return liveUrl;
  }
  console.log(
    `Catalog source: OpenRouter is not reachable from here, so syncing from the local snapshot ${snapshotUrl}`,
  );
  return snapshotUrl;
}

async function sync(env: Record<string, string>) {
  const res = await fetch(`${env.FUNCTIONS_URL}/sync-models`, {
    method: "POST",
    headers: { Authorization: `Bearer ${env.CRON_SECRET}`, "Content-Type": "application/json" },
    body: JSON.stringify({ triggered_by: "manual" }),
  });
  const body = await res.json().catch(() => ({}));
  if (!res.ok) {
    throw new Error(`sync-models answered ${res.status}: ${JSON.stringify(body)}`);
  }
  console.log(
    `Synced ${body.total_processed} upstream models: ${body.models_added} added, ${body.models_updated} updated, ` +
      `${body.models_unchanged} unchanged, ${body.models_marked_inactive} marked inactive (${body.duration_ms} ms in the database).`,
  );
}

async function printTierSummary(dbUrl: string) {
  const sql = postgres(dbUrl, { max: 1, onnotice: () => {} });
  try {
    const [row] = await sql`
      select
        count(*) filter (where status = 'active' and is_free) as free,
        count(*) filter (where status = 'active' and (is_free or is_pro)) as pro,
        count(*) filter (where status = 'active' and (is_free or is_pro or is_enterprise)) as enterprise,
        count(*) filter (where status = 'new') as awaiting_review,
        count(*) as catalog
      from public.model_access`;
    console.log(
      [
        "Models per tier (active and allowed):",
        `  free:        ${row.free}`,
        `  pro:         ${row.pro}`,
        `  enterprise:  ${row.enterprise}`,
        `Catalog: ${row.catalog} models, ${row.awaiting_review} new ones awaiting an admin's review.`,
      ].join("\n"),
    );
  } finally {
    await sql.end();
  }
}

/** The seeded demo users (supabase/seed.sql) and a day-long access token for each. */
const demoUsers = {
  FREE: ["00000000-0000-4000-a000-000000000001", "free@example.com"],
  PRO: ["00000000-0000-4000-a000-000000000002", "pro@example.com"],
  ENTERPRISE: ["00000000-0000-4000-a000-000000000003", "enterprise@example.com"],
  ADMIN: ["00000000-0000-4000-a000-00000000000a", "admin@example.com"],
};

async function writeDemoTokens(file: string, env: Record<string, string>) {
  const lines: string[] = [];
  for (const [name, [id, email]] of Object.entries(demoUsers)) {
    lines.push(`${name}_TOKEN='${await userToken(id, { email, expiresIn: 86_400 })}'`);
  }
  await Deno.writeTextFile(file, `${lines.join("\n")}\n`, { mode: 0o600 });
  console.log(
    [
      `Access tokens of the demo users (ES256, valid 24 h): ${file}. Try:`,
      `  . ${file} && curl -H "Authorization: Bearer $PRO_TOKEN" '${env.FUNCTIONS_URL}/models?enhanced=true'`,
      `An app's client: createClient('${env.SUPABASE_URL}', '${env.SUPABASE_PUBLISHABLE_KEY}')`,
      "(the publishable key names the app, not a user: the functions answer it 401 auth_required).",
    ].join("\n"),
  );
}

/** Starts the stack, or ends the command with the one line that says what failed. */
async function startOrExit(): Promise<{ config: StackConfig; env: Record<string, string> }> {
  try {
    const config = stackConfig();
    Deno.env.set("OPENROUTER_MODELS_URL", await chooseCatalogSource());
    return { config, env: await startStack(config) };
  } catch (error) {
    console.error(`[stack] ${error instanceof Error ? error.message : error}`);
    Deno.exit(1);
  }
}

const { config, env } = await startOrExit();
try {
  await sync(env);
  await printTierSummary(env.SUPABASE_DB_URL);
  await writeDemoTokens(join(config.dir, "demo-tokens.env"), env);
} catch (error) {
  console.error(`First sync failed: ${error instanceof Error ? error.message : error}`);
  console.error(`The stack keeps running; see ${config.dir}/functions.log.`);
}

console.log("\nServing. Press Ctrl-C to stop the stack.");
const stopped = Promise.withResolvers<void>();
for (const signal of ["SIGINT", "SIGTERM"] as const) {
  Deno.addSignalListener(signal, () => stopped.resolve());
}
await stopped.promise;
await stopStack(config);
Deno.exit(0);

// The whole suite, as `npm test` and CI run it: static checks, then a fresh local stack ("test",
// its own ports) for the database lints, generated-types drift, pgTAP and the HTTP tests.
// Ends with one line `N passed, N failed` and a non-zero exit when anything failed.
import { join } from "node:path";
import { repoRoot, stackConfig } from "../supabase/local/config.ts";
import { edgeDeno, edgeDenoEnv } from "../supabase/local/edge_runtime.ts";
import { startStack, stopStack } from "../supabase/local/stack.ts";
import { generateTypes, typesFile } from "./gen_types.ts";

const supabaseCli = join(repoRoot, "tools/node_modules/.bin/supabase");
/** Schemas owned by the Supabase platform (or its local stand-ins), not by our migrations. */
const platformSchemas = new Set([
  "auth",
  "extensions",
  "net",
  "vault",
  "cron",
  "storage",
  "realtime",
  "graphql",
  "graphql_public",
  "supabase_migrations",
  "pgsodium",
]);

interface StepResult {
  name: string;
  passed: number;
  failed: number;
}

const results: StepResult[] = [];

async function exec(
  cmd: string,
  args: string[],
  env: Record<string, string> = {},
): Promise<{ code: number; output: string }> {
  const child = new Deno.Command(cmd, {
    args,
    cwd: repoRoot,
    env,
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  let output = "";
  const decoder = new TextDecoder();
  const pump = async (stream: ReadableStream<Uint8Array>, sink: typeof Deno.stdout) => {
    for await (const chunk of stream) {
      output += decoder.decode(chunk, { stream: true });
      await sink.write(chunk);
    }
  };
  const [status] = await Promise.all([
    child.status,
    pump(child.stdout, Deno.stdout),
    pump(child.stderr, Deno.stderr),
  ]);
  return { code: status.code, output };
}

function record(name: string, passed: number, failed: number) {
  results.push({ name, passed, failed });
  console.log(`\n== ${name}: ${passed} passed, ${failed} failed\n`);
}

/** A step that is one check: it passes or fails as a whole. */
async function check(name: string, cmd: string, args: string[], env?: Record<string, string>) {
  console.log(`\n== ${name}: ${[cmd, ...args].join(" ")}`);
  const { code } = await exec(cmd, args, env);
  record(name, code === 0 ? 1 : 0, code === 0 ? 0 : 1);
}

async function sqlFiles(dir: string): Promise<string[]> {
  const files: string[] = [];
  try {
    for await (const entry of Deno.readDir(join(repoRoot, dir))) {
      if (entry.isFile && entry.name.endsWith(".sql")) files.push(join(dir, entry.name));
    }
  } catch {
    return [];
  }
  return files.sort();
}

async function pgTap(name: string, dbUrl: string, files: string[], apiUrl: string) {
  if (files.length === 0) return;
  console.log(`\n== ${name}: pg_prove ${files.join(" ")}`);
  const { code, output } = await exec("pg_prove", [
    "-d",
    dbUrl,
    "--set",
    `api_url=${apiUrl}`,
    ...files,
  ]);
  const total = Number(/Tests=(\d+)/.exec(output)?.[1] ?? 0);
  let failed = [...output.matchAll(/Failed (\d+)\/\d+ subtests/g)]
    .reduce((sum, m) => sum + Number(m[1]), 0);
  if (code !== 0 && failed === 0) failed = 1;
  record(name, Math.max(total - failed, 0), failed);
}

async function advisors(dbUrl: string) {
  console.log("\n== database advisors: supabase db advisors --fail-on warn (our schemas)");
  const { code, output } = await exec(supabaseCli, [
    "db",
    "advisors",
    `--remote=${dbUrl}`,
    "-o",
    "json",
    "--fail-on",
    "none",
  ]);
  const json = output.slice(output.indexOf("["), output.lastIndexOf("]") + 1);
  let findings: { level: string; name: string; detail: string; metadata?: { schema?: string } }[];
  try {
    findings = json ? JSON.parse(json) : [];
  } catch {
    console.error("could not read the advisors' JSON output");
    record("database advisors", 0, 1);
    return;
  }
  const ours = findings.filter((f) =>
    f.level !== "INFO" && !platformSchemas.has(f.metadata?.schema ?? "")
  );
  for (const f of ours) console.error(`${f.level} ${f.name}: ${f.detail}`);
  const ok = code === 0 && ours.length === 0;
  record("database advisors", ok ? 1 : 0, ok ? 0 : 1);
}

async function typesDrift(dbUrl: string) {
  console.log("\n== generated types: supabase gen types --lang=typescript (drift check)");
  const committed = await Deno.readTextFile(typesFile).catch(() => undefined);
  if (committed === undefined) {
    console.error(`${typesFile} is missing: run \`deno task gen:types\` and commit it`);
    record("generated types", 0, 1);
    return;
  }
  let generated: string;
  try {
    generated = await generateTypes(dbUrl);
  } catch (error) {
    console.error(error instanceof Error ? error.message : error);
    record("generated types", 0, 1);
    return;
  }
  const same = generated.trim() === committed.trim();
  if (!same) {
    console.error(
      "database.types.ts differs from the schema: run `deno task gen:types` and commit it",
    );
  }
  record("generated types", same ? 1 : 0, same ? 0 : 1);
}

async function denoTests(env: Record<string, string>) {
  console.log("\n== HTTP tests: deno test -A tests/");
  const { code, output } = await exec(Deno.execPath(), ["test", "-A", "tests/"], env);
  const match = /(\d+) passed.*?\| (\d+) failed/.exec(output);
  const passed = Number(match?.[1] ?? 0);
  let failed = Number(match?.[2] ?? 0);
  if (code !== 0 && failed === 0) failed = 1;
  record("HTTP tests", passed, failed);
}

Deno.env.set("NO_COLOR", "1");
const deno = Deno.execPath();
await check("format", deno, ["fmt", "--check"]);
await check("lint", deno, ["lint"]);
await check("type check", deno, ["task", "check"]);
await check(
  "type check (edge runtime's Deno)",
  edgeDeno,
  ["check", "--no-lock", "supabase/functions", "bench/functions"],
  edgeDenoEnv(),
);

// STACK_NAME (with STACK_DB_PORT/STACK_API_PORT) runs a second suite beside the usual "test" stack.
const config = (() => {
  try {
    return stackConfig(Deno.env.get("STACK_NAME") ?? "test");
  } catch (error) {
    console.error(`[stack] ${error instanceof Error ? error.message : error}`);
    Deno.exit(1);
  }
})();
// The functions of the test stack fetch the catalog from the tests' fake OpenRouter, with short
// timeouts and backoff so that failure scenarios run in seconds.
const testStackSettings = {
  OPENROUTER_MODELS_URL: `http://127.0.0.1:${config.apiPort + 69}/api/v1/models`,
  OPENROUTER_TIMEOUT_MS: "1000",
  OPENROUTER_MAX_RETRIES: "2",
  OPENROUTER_RETRY_BASE_MS: "50",
  OPENROUTER_MAX_RETRY_AFTER_SECONDS: "5",
  // Less than the 3 attempts of 1 s a hanging upstream would take: the budget tests need that.
  OPENROUTER_TOTAL_BUDGET_MS: "2000",
  // Above the snapshots (about 0.5 MB), low enough that an endless body is cut at once.
  OPENROUTER_MAX_BODY_BYTES: "2000000",
};
for (const [key, value] of Object.entries(testStackSettings)) Deno.env.set(key, value);
try {
  const env = await startStack(config, { fresh: true });
  await check("plpgsql lint", supabaseCli, [
    "db",
    "lint",
    `--remote=${env.SUPABASE_DB_URL}`,
    "--fail-on",
    "error",
  ]);
  await advisors(env.SUPABASE_DB_URL);
  await typesDrift(env.SUPABASE_DB_URL);
  await pgTap(
    "pgTAP: compatibility layer",
    env.SUPABASE_DB_URL,
    await sqlFiles("supabase/local/tests"),
    env.SUPABASE_URL,
  );
  await pgTap(
    "pgTAP: database",
    env.SUPABASE_DB_URL,
    await sqlFiles("supabase/tests/database"),
    env.SUPABASE_URL,
  );
  await pgTap(
    "pgTAP: rollback script",
    env.SUPABASE_DB_URL,
    await sqlFiles("supabase/rollback/tests"),
    env.SUPABASE_URL,
  );
  await denoTests({ STACK_NAME: config.name });
} catch (error) {
  console.error(`[stack] ${error instanceof Error ? error.message : error}`);
  record("test stack", 0, 1);
} finally {
  await stopStack(config);
}

const passed = results.reduce((sum, r) => sum + r.passed, 0);
const failed = results.reduce((sum, r) => sum + r.failed, 0);
console.log("\nSummary");
for (const r of results) {
  console.log(`  ${r.name.padEnd(32)} ${r.passed} passed, ${r.failed} failed`);
}
console.log(`\nTotal: ${passed} passed, ${failed} failed`);
Deno.exit(failed === 0 && passed > 0 ? 0 : 1);

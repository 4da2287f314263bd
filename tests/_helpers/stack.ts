// The running local stack, as tests and benchmarks see it: URLs and keys from
// .local/<STACK_NAME>/stack.env, a superuser connection for test setup, and the fixture folder.
import { join } from "node:path";
import postgres from "postgres";
import { readStackEnv, repoRoot, stackConfig } from "../../supabase/local/config.ts";

export interface Stack {
  name: string;
  supabaseUrl: string;
  functionsUrl: string;
  publishableKey: string;
  secretKey: string;
  privateJwk: Record<string, unknown>;
  cronSecret: string;
  openRouterModelsUrl: string;
  dbUrl: string;
  adminDbUrl: string;
}

let loaded: Promise<Stack> | undefined;

/** The stack named by STACK_NAME (default `dev`); fails with a clear message when it is down. */
export function stack(): Promise<Stack> {
  loaded ??= readStackEnv(stackConfig()).then((env) => ({
    name: env.STACK_NAME,
    supabaseUrl: env.SUPABASE_URL,
    functionsUrl: env.FUNCTIONS_URL,
    publishableKey: env.SUPABASE_PUBLISHABLE_KEY,
    secretKey: env.SUPABASE_SECRET_KEY,
    privateJwk: JSON.parse(env.JWT_PRIVATE_JWK),
    cronSecret: env.CRON_SECRET,
    openRouterModelsUrl: env.OPENROUTER_MODELS_URL,
    dbUrl: env.SUPABASE_DB_URL,
    adminDbUrl: env.SUPABASE_ADMIN_DB_URL,
  }));
  return loaded;
}

/** Where the OpenRouter catalog snapshots live: ../shared/fixtures/openrouter from the repo. */
export const fixturesDir = join(repoRoot, "../shared/fixtures/openrouter");

export type FixtureName = "2025-05-23" | "2025-12-02";

export function fixturePath(name: FixtureName): string {
  return join(fixturesDir, `${name}.json`);
}

const fixtureCache = new Map<string, Promise<{ data: Record<string, unknown>[] }>>();

/** A fixture file parsed (cached; treat as read-only). */
export function readFixture(name: FixtureName): Promise<{ data: Record<string, unknown>[] }> {
  let fixture = fixtureCache.get(name);
  if (!fixture) {
    fixture = Deno.readTextFile(fixturePath(name)).then(JSON.parse);
    fixtureCache.set(name, fixture);
  }
  return fixture;
}

let adminSql: postgres.Sql | undefined;

/**
 * A superuser connection (SUPABASE_ADMIN_DB_URL) for setting up and inspecting state the API does
 * not expose (auth.users, tiers). Shared by a test file; closed by `closeAdminDb()`.
 */
export async function adminDb(): Promise<postgres.Sql> {
  adminSql ??= postgres((await stack()).adminDbUrl, {
    max: 2,
    prepare: false,
    onnotice: () => {},
  });
  return adminSql;
}

export async function closeAdminDb(): Promise<void> {
  const sql = adminSql;
  adminSql = undefined;
  await sql?.end({ timeout: 1 });
}

/** The URL of a function endpoint: `fnUrl("admin-models", "sync")`. Segments are joined, not encoded. */
export async function fnUrl(
  fn: string,
  path = "",
  query?: Record<string, string | undefined>,
): Promise<string> {
  const url = new URL(`${(await stack()).functionsUrl}/${fn}${path ? `/${path}` : ""}`);
  for (const [key, value] of Object.entries(query ?? {})) {
    if (value !== undefined) url.searchParams.set(key, value);
  }
  return url.href;
}

// Putting the shared catalog into a known state. The catalog is one table shared by every test, so
// a test that asserts on it first establishes the state it needs (sync a fixture, set access) and
// never relies on what an earlier test left. Test files run one after another (`deno test`
// without --parallel), and tests within a file too.
import { call } from "./api.ts";
import { type Behaviour, serveFixture, startFakeOpenRouter } from "./fake_openrouter.ts";
import { adminDb, type FixtureName, stack } from "./stack.ts";
import type { TestUser } from "./users.ts";

/** Serves `behaviour` from the fake OpenRouter while `fn` runs. */
export async function withFakeOpenRouter<T>(
  behaviour: Behaviour,
  fn: (fake: ReturnType<typeof startFakeOpenRouter>) => Promise<T>,
): Promise<T> {
  const fake = startFakeOpenRouter((await stack()).openRouterModelsUrl, behaviour);
  try {
    return await fn(fake);
  } finally {
    await fake.close();
  }
}

/** Syncs a fixture through POST /admin-models/sync?force=true (past cool-down and gate). */
export async function syncFixture(admin: TestUser, fixture: FixtureName) {
  const response = await withFakeOpenRouter(
    serveFixture(fixture),
    () =>
      call<Record<string, unknown>>("admin-models", "sync", {
        method: "POST",
        headers: admin.headers,
        query: { force: "true" },
      }),
  );
  if (response.status !== 200) {
    throw new Error(`syncing ${fixture} failed: ${response.status} ${response.text}`);
  }
  return response.body;
}

export interface Access {
  status: "new" | "active" | "inactive" | "disabled";
  is_free: boolean;
  is_pro: boolean;
  is_enterprise: boolean;
  daily_limit?: number | null;
  monthly_limit?: number | null;
}

export interface CatalogRow extends Access {
  model_id: string;
  model_name: string | null;
  upstream_removed_at: Date | null;
  updated_at: Date;
}

/** Every catalog row with its access settings, by model id. */
export async function catalogRows(): Promise<CatalogRow[]> {
  const sql = await adminDb();
  return await sql<CatalogRow[]>`
    select model_id, model_name, status, is_free, is_pro, is_enterprise, daily_limit,
           monthly_limit, upstream_removed_at, updated_at
      from public.model_access
     order by model_id`;
}

/**
 * Sets status and tier flags of every listed model (those still upstream) as `assign` decides,
 * in one statement through the superuser connection (test setup, not the API under test).
 */
export async function setAccess(
  assign: (
    modelId: string,
    index: number,
  ) => Omit<Access, "status"> & { status: "new" | "active" | "disabled" },
) {
  const sql = await adminDb();
  const rows = (await catalogRows()).filter((row) => row.upstream_removed_at === null);
  const values = rows.map((row, i) => {
    const access = assign(row.model_id, i);
    return {
      model_id: row.model_id,
      status: access.status,
      is_free: access.is_free,
      is_pro: access.is_pro,
      is_enterprise: access.is_enterprise,
      daily_limit: access.daily_limit ?? null,
      monthly_limit: access.monthly_limit ?? null,
    };
  });
  await sql`
    update public.model_access as m
       set status = v.status, is_free = v.is_free, is_pro = v.is_pro,
           is_enterprise = v.is_enterprise, daily_limit = v.daily_limit,
           monthly_limit = v.monthly_limit
      from jsonb_to_recordset(${sql.json(values)}) as v(
             model_id text, status text, is_free boolean, is_pro boolean, is_enterprise boolean,
             daily_limit integer, monthly_limit integer)
     where m.model_id = v.model_id`;
}

/** Compares strings by Unicode code point, as the database's C.UTF-8 collation orders them. */
export function compareCodePoints(a: string, b: string): number {
  const x = [...a];
  const y = [...b];
  for (let i = 0; i < Math.min(x.length, y.length); i++) {
    const d = x[i].codePointAt(0)! - y[i].codePointAt(0)!;
    if (d !== 0) return d;
  }
  return x.length - y.length;
}

/**
 * The list a tier must get, computed here from the catalog rows: active models whose flags offer
 * them to the tier, free-flagged first, then pro, then enterprise, each by name then id.
 */
export function expectedList(rows: CatalogRow[], tier: "free" | "pro" | "enterprise"): string[] {
  const offered = (row: CatalogRow) =>
    row.is_free ||
    (row.is_pro && (tier === "pro" || tier === "enterprise")) ||
    (row.is_enterprise && tier === "enterprise");
  const group = (row: CatalogRow) => (row.is_free ? 0 : row.is_pro ? 1 : 2);
  return rows
    .filter((row) => row.status === "active" && offered(row))
    .sort((a, b) =>
      group(a) - group(b) ||
      compareCodePoints(a.model_name ?? "\u{10FFFF}", b.model_name ?? "\u{10FFFF}") ||
      compareCodePoints(a.model_id, b.model_id)
    )
    .map((row) => row.model_id);
}

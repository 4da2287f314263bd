// private.catalog_version with real transactions (the pgTAP suite 370 can only simulate a commit):
// a committed catalog change moves it, visible from the commit on; a rolled back one does not;
// two concurrent multi-statement writers, each waiting for a row the other locked first, both
// commit (a bump per statement would lock the counter early and deadlock them).
import assert from "node:assert/strict";
import postgres from "postgres";
import { stackTest } from "./_helpers/harness.ts";
import { adminDb, stack } from "./_helpers/stack.ts";

const models = ["version-test/x", "version-test/y"];

async function catalogVersion(): Promise<bigint> {
  const sql = await adminDb();
  const [{ version }] = await sql<{ version: string }[]>`
    select version::text from private.catalog_version`;
  return BigInt(version);
}

/** Two writers' connections (superuser: the triggers fire, RLS aside), with two models to write. */
async function withWriters(fn: (a: postgres.Sql, b: postgres.Sql) => Promise<void>) {
  const admin = await adminDb();
  await admin`
    insert into public.model_access (model_id, model_name, status, openrouter_data)
    select id, id, 'new', '{}' from unnest(${models}::text[]) as id`;
  // Both writers fail instead of hanging if they wait for each other.
  const options = {
    max: 1,
    prepare: false,
    onnotice: () => {},
    connection: { lock_timeout: 5000 },
  };
  const a = postgres((await stack()).adminDbUrl, options);
  const b = postgres((await stack()).adminDbUrl, options);
  try {
    await fn(a, b);
  } finally {
    await Promise.all([a.end(), b.end()]);
    await admin`delete from public.model_access where model_id = any(${models})`;
  }
}

const setName = (sql: postgres.Sql, modelId: string, name: string) =>
  sql`update public.model_access set model_name = ${name} where model_id = ${modelId}`;

stackTest(
  "a committed change moves the version from its commit on, a rolled back one never",
  async () => {
    await withWriters(async (a) => {
      const before = await catalogVersion();
      await a`begin`;
      await setName(a, models[0], "rolled back");
      await a`rollback`;
      assert.equal(await catalogVersion(), before, "rolled back: unchanged");

      await a`begin`;
      await setName(a, models[0], "first");
      await setName(a, models[1], "second");
      assert.equal(await catalogVersion(), before, "not visible before the commit");
      await a`commit`;
      assert.equal(
        await catalogVersion(),
        before + 1n,
        "once for the transaction's two statements",
      );
    });
  },
);

stackTest("two multi-statement writers waiting for each other's rows both commit", async () => {
  await withWriters(async (a, b) => {
    const before = await catalogVersion();
    await a`begin`;
    await b`begin`;
    await setName(a, models[0], "a");
    const bWrites = setName(b, models[1], "b");
    // Give b the time to lock its row (and, were the counter bumped per statement, to wait for it).
    await Promise.race([bWrites, new Promise((resolve) => setTimeout(resolve, 300))]);
    const aWrites = setName(a, models[1], "a"); // waits for b's row
    await bWrites;
    await b`commit`;
    assert.equal(await catalogVersion(), before + 1n, "b committed first");
    await aWrites;
    await a`commit`;
    assert.equal(await catalogVersion(), before + 2n, "then a");
    const sql = await adminDb();
    const names = await sql<{ model_name: string }[]>`
      select model_name from public.model_access where model_id = any(${models}) order by model_id`;
    assert.deepEqual(names.map((row) => row.model_name), ["a", "a"]);
  });
});

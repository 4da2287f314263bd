// Benchmark 1: the SQL sync at 1k, 10k and 100k models, against the parse floor (only parsing the
// payload in Postgres) and the baseline (a per-row PL/pgSQL upsert loop, bench/baseline.sql).
// Rows written are read from pg_stat_xact_user_tables inside each sync's transaction.
import postgres from "postgres";
import { join } from "node:path";
import { repoRoot } from "../supabase/local/config.ts";
import { evolveCatalog, syntheticCatalog } from "./catalog.ts";
import { median } from "./http.ts";

export interface SyncFigures {
  models: number;
  /** Rounds measured; the figures are their medians. */
  rounds: number;
  payloadMb: number;
  /** The parse floor, measured right before and right after each sync of ours. */
  floorMs: number;
  /** The other payload path: COPY of one JSON record per row into a jsonb staging table. */
  copyFloorMs: number;
  coldMs: number;
  noChangeMs: number;
  noChangeRowsWritten: number;
  changedMs: number;
  /** Each sync's time over the mean of the floors measured right before and after it. */
  coldRatio: number;
  noChangeRatio: number;
  changedRatio: number;
  /** The sync function's own time (its duration_ms), which the payload's parse is not part of. */
  functionMs: { cold: number; noChange: number; changed: number };
  changedResult: Record<string, unknown>;
  loopColdMs?: number;
  loopNoChangeMs?: number;
}

type Sql = postgres.Sql;

async function timed<T>(fn: () => Promise<T>): Promise<{ ms: number; value: T }> {
  const start = performance.now();
  const value = await fn();
  return { ms: performance.now() - start, value };
}

/**
 * Runs the real sync as service_role (as sync-models does); returns its result and the rows it
 * wrote to model_access. pg_stat_xact_user_tables also holds the session's not yet flushed counts
 * of earlier transactions, so the figure is a delta taken inside the sync's own transaction.
 */
async function sync(sql: Sql, payload: string) {
  return await sql.begin(async (tx) => {
    const written = () =>
      tx<{ n: number }[]>`
        select coalesce(sum(n_tup_ins + n_tup_upd + n_tup_del), 0)::int as n
          from pg_stat_xact_user_tables
         where schemaname = 'public' and relname = 'model_access'`;
    const [before] = await written();
    await tx`select set_config('role', 'service_role', true),
                    set_config('request.jwt.claims', '{"role":"service_role"}', true)`;
    const [{ result }] = await tx`
      select public.sync_openrouter_models(${payload}::text::jsonb, 'manual', true) as result`;
    await tx`reset role`;
    const [after] = await written();
    return { result, written: after.n - before.n };
  });
}

/** COPY of one JSON text per record into a temporary jsonb table, parsed row by row. */
function copyRecords(sql: Sql, lines: string) {
  return sql.begin(async (tx) => {
    await tx`create temporary table staged_records (record jsonb) on commit drop`;
    const writable = await tx`copy staged_records (record) from stdin`.writable();
    await new Promise<void>((resolve, reject) =>
      writable.write(lines, (error) => error ? reject(error) : resolve())
    );
    await new Promise<void>((resolve) => writable.end(resolve));
  });
}

/**
 * An empty catalog, price history and audit trail for a round. Without the triggers: the audit's
 * truncate trigger would copy every row into the trail (about 30 MB at 10k models) right before the
 * round's first timed run.
 */
async function emptyCatalog(sql: Sql) {
  await sql.begin(async (tx) => {
    await tx`set local session_replication_role = replica`;
    await tx`truncate public.model_access, public.model_price_history, public.model_access_audit cascade`;
  });
}

async function medianTime(runs: number, fn: () => Promise<unknown>): Promise<number> {
  const times: number[] = [];
  for (let i = 0; i < runs; i++) times.push((await timed(fn)).ms);
  return median(times);
}

export async function benchSync(
  adminDbUrl: string,
  sizes: number[],
  loopSizes: number[],
): Promise<SyncFigures[]> {
  const sql = postgres(adminDbUrl, { max: 1, onnotice: () => {}, prepare: false });
  const figures: SyncFigures[] = [];
  try {
    await sql.file(join(repoRoot, "bench/baseline.sql"));
    for (const size of sizes) {
      const catalog = await syntheticCatalog(size);
      const payload = JSON.stringify(catalog);
      const next = JSON.stringify(
        await evolveCatalog(catalog, { changed: 0.05, removed: 0.02, added: 0.02 }),
      );
      // Where the loop is measured too, the figures are medians of rounds that run both, ours first
      // in one and the loop first in the next: this machine's speed drifts by a third within a
      // minute, and whichever runs second pays for the first one's dirty pages. One run each,
      // minutes apart, compared the drift as much as the designs.
      const withLoop = loopSizes.includes(size);
      const rounds = withLoop ? 5 : 1;
      const runs = {
        floor: [] as number[],
        cold: [] as number[],
        noChange: [] as number[],
        changed: [] as number[],
        coldRatio: [] as number[],
        noChangeRatio: [] as number[],
        changedRatio: [] as number[],
        coldFunction: [] as number[],
        noChangeFunction: [] as number[],
        changedFunction: [] as number[],
        loopCold: [] as number[],
        loopNoChange: [] as number[],
      };
      // The floor next to each sync rather than once per round: parsing the same payload takes a
      // third longer or shorter from one minute to the next on this machine, more than the sync's
      // own time in a run that changes little.
      const floor = async (body: string) => {
        const ms = (await timed(() => sql`select jsonb_array_length(${body}::text::jsonb)`)).ms;
        runs.floor.push(ms);
        return ms;
      };
      const measured = async (body: string, times: number[], ratios: number[], fn: number[]) => {
        const before = await floor(body);
        const run = await timed(() => sync(sql, body));
        const after = await floor(body);
        times.push(run.ms);
        ratios.push(run.ms / ((before + after) / 2));
        fn.push(Number(run.value.result.duration_ms));
        return run.value;
      };
      let noChangeRowsWritten = 0;
      let changedResult: Record<string, unknown> = {};
      for (let round = 0; round < rounds; round++) {
        await emptyCatalog(sql);
        const ours = async () => {
          await measured(payload, runs.cold, runs.coldRatio, runs.coldFunction);
          const noChange = await measured(
            payload,
            runs.noChange,
            runs.noChangeRatio,
            runs.noChangeFunction,
          );
          noChangeRowsWritten = Math.max(noChangeRowsWritten, noChange.written);
          const changed = await measured(
            next,
            runs.changed,
            runs.changedRatio,
            runs.changedFunction,
          );
          changedResult = changed.result;
        };
        const loop = async () => {
          await sql`truncate bench_baseline.model_access`;
          runs.loopCold.push(
            (await timed(() => sql`select bench_baseline.sync(${payload}::text::jsonb)`)).ms,
          );
          runs.loopNoChange.push(
            (await timed(() => sql`select bench_baseline.sync(${payload}::text::jsonb)`)).ms,
          );
        };
        if (!withLoop) await ours();
        else if (round % 2 === 0) await ours().then(loop);
        else await loop().then(ours);
      }
      // After the syncs: its temporary files would otherwise still be written back during them.
      // COPY's text format: backslashes are escapes, and JSON has no raw newlines or tabs.
      const lines = catalog.map((record) => `${JSON.stringify(record).replaceAll("\\", "\\\\")}\n`)
        .join("");
      const copyFloorMs = await medianTime(3, () => copyRecords(sql, lines));
      const row: SyncFigures = {
        models: size,
        rounds,
        payloadMb: payload.length / 1e6,
        floorMs: median(runs.floor),
        copyFloorMs,
        coldMs: median(runs.cold),
        noChangeMs: median(runs.noChange),
        noChangeRowsWritten,
        changedMs: median(runs.changed),
        coldRatio: median(runs.coldRatio),
        noChangeRatio: median(runs.noChangeRatio),
        changedRatio: median(runs.changedRatio),
        functionMs: {
          cold: median(runs.coldFunction),
          noChange: median(runs.noChangeFunction),
          changed: median(runs.changedFunction),
        },
        changedResult,
      };
      if (withLoop) {
        row.loopColdMs = median(runs.loopCold);
        row.loopNoChangeMs = median(runs.loopNoChange);
      }
      figures.push(row);
      console.error(`[bench] sync at ${size} models done`);
    }
    await emptyCatalog(sql);
  } finally {
    await sql.end();
  }
  return figures;
}

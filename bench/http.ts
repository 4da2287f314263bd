// Benchmark: GET /functions/v1/models under load (wrk, 50 connections), legacy and enhanced, as an
// enterprise user with 400 active models, through the local edge runtime (each function in workers
// of its own on Deno 2.1.4, the pool as configured), against the reference function
// (bench/functions/models-reference: the same round trip through the same pool, the same bytes)
// on the same runtime, in alternating rounds whose medians are reported. Meanwhile a watcher polls
// the runtime's workers and pg_stat_activity: each function's peak isolate memory (its worker
// process's VmHWM) and the connections its workers hold. For context, the bare ceiling:
// bench/ceiling.ts on the same Deno, with no gateway or database.
import { join } from "node:path";
import type postgres from "postgres";
import { repoRoot } from "../supabase/local/config.ts";
import { edgeDeno, edgeDenoEnv, freePort } from "../supabase/local/edge_runtime.ts";
import { adminDb } from "../tests/_helpers/stack.ts";
import { createUser, deleteUsers, type TestUser } from "../tests/_helpers/users.ts";
import { syntheticCatalog } from "./catalog.ts";

export interface LoadFigures {
  requestsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  /** Share of answers that were not 2xx: reported, not hidden, since a worker may crash. */
  errorShare: number;
}

export interface ModeFigures {
  bodyBytes: number;
  ours: LoadFigures;
  reference: LoadFigures;
  ceiling: LoadFigures;
}

export interface FunctionFigures {
  /** The most any of the function's isolates had allocated (heap and external), as the runtime polls it. */
  peakAllocatedMb: number;
  /** The highest VmHWM of any of the function's worker processes (the isolate and Deno itself). */
  peakMemoryMb: number;
  /** The most connections the function's workers held at one time. */
  peakConnections: number;
  /** Workers seen: one per start, so more than a few means retired or crashed ones replaced. */
  workers: number;
}

export interface HttpFigures {
  models: number;
  rounds: number;
  legacy: ModeFigures;
  enhanced: ModeFigures;
  byFunction: Record<string, FunctionFigures>;
  /** The most connections all workers held at one time. */
  peakConnections: number;
  budget: { functions: number; workersPerFunction: number; poolMax: number };
  maxConnections: number;
  retired: Record<string, number>;
}

const connections = 50;
const seconds = 10;
/** An unmeasured run first, for every server alike: JIT-compiled code and warm caches. */
const warmUpSeconds = 3;
const rounds = 3;
/** The local runtime runs one worker per function, and one more while a retired one drains. */
const workersPerFunction = 2;
/** DB_POOL_MAX as the runtime passes it on to the functions (2 unless set). */
const poolMax = Number(Deno.env.get("DB_POOL_MAX") || 2);
export const referenceFunction = "models-reference";

function latencyMs(text: string, percentile: string): number {
  const match = new RegExp(`^\\s+${percentile}%\\s+([\\d.]+)(us|ms|s)$`, "m").exec(text);
  if (!match) return NaN;
  const value = Number(match[1]);
  return match[2] === "us" ? value / 1000 : match[2] === "s" ? value * 1000 : value;
}

async function wrk(url: string, headers: Record<string, string>): Promise<LoadFigures> {
  const headerArgs = Object.entries(headers).flatMap(([k, v]) => ["-H", `${k}: ${v}`]);
  const load = (duration: number, ...extra: string[]) =>
    new Deno.Command("wrk", {
      args: ["-t2", `-c${connections}`, `-d${duration}s`, ...extra, ...headerArgs, url],
      stdout: "piped",
    }).output();
  await load(warmUpSeconds);
  const out = await load(seconds, "--latency");
  const text = new TextDecoder().decode(out.stdout);
  const rps = Number(/Requests\/sec:\s+([\d.]+)/.exec(text)?.[1]);
  const requests = Number(/(\d+) requests in/.exec(text)?.[1]);
  const non2xx = Number(/Non-2xx or 3xx responses: (\d+)/.exec(text)?.[1] ?? 0);
  if (!out.success || !rps || !requests) throw new Error(`wrk failed:\n${text}`);
  return {
    requestsPerSecond: rps,
    p50Ms: latencyMs(text, "50"),
    p99Ms: latencyMs(text, "99"),
    errorShare: non2xx / requests,
  };
}

export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

function medianLoad(runs: LoadFigures[]): LoadFigures {
  return {
    requestsPerSecond: median(runs.map((r) => r.requestsPerSecond)),
    p50Ms: median(runs.map((r) => r.p50Ms)),
    p99Ms: median(runs.map((r) => r.p99Ms)),
    errorShare: median(runs.map((r) => r.errorShare)),
  };
}

/** Runs `fn` against bench/ceiling.ts serving `body`, on the edge runtime's Deno. */
async function withCeiling<T>(
  body: Uint8Array,
  fn: (url: string) => Promise<T>,
): Promise<T> {
  const file = await Deno.makeTempFile({ suffix: ".json" });
  await Deno.writeFile(file, body);
  const port = freePort();
  const child = new Deno.Command(edgeDeno, {
    args: ["run", "--no-lock", "-A", join(repoRoot, "bench/ceiling.ts"), file, String(port)],
    cwd: repoRoot,
    env: edgeDenoEnv(),
    stdout: "piped",
  }).spawn();
  const reader = child.stdout.getReader();
  try {
    if ((await reader.read()).done) throw new Error("bench/ceiling.ts did not start (see above)");
    return await fn(`http://127.0.0.1:${port}/`);
  } finally {
    reader.releaseLock();
    try {
      child.kill();
    } catch {
      // it had exited
    }
    await child.status;
    await Deno.remove(file);
  }
}

interface RuntimeStatus {
  functions: string[];
  retired: Record<string, number>;
  workers: { fn: string; pid: number; allocated_bytes: number | null }[];
}

export async function runtimeStatus(supabaseUrl: string): Promise<RuntimeStatus> {
  return await (await fetch(`${supabaseUrl}/health`)).json();
}

export async function vmHwmMb(pid: number): Promise<number | undefined> {
  try {
    const status = await Deno.readTextFile(`/proc/${pid}/status`);
    const kb = /VmHWM:\s+(\d+) kB/.exec(status)?.[1];
    // A process that has exited but is not reaped yet lists no memory.
    return kb === undefined ? undefined : Number(kb) / 1024;
  } catch {
    return undefined; // exited since the runtime listed it
  }
}

/** The function of a worker's application_name, `edge-worker <fn>-<runtime id>-<n>`. */
const workerName = /^edge-worker (.+)-[0-9a-f]{8}-\d+$/;

/** Polls the workers and their connections until `stop`, keeping the peaks per function. */
function watchRuntime(supabaseUrl: string, sql: postgres.Sql) {
  const byFunction: Record<string, FunctionFigures> = {};
  const workerIds = new Map<string, Set<number>>();
  let peakConnections = 0;
  let watching = true;
  const figures = (fn: string) =>
    byFunction[fn] ??= { peakAllocatedMb: 0, peakMemoryMb: 0, peakConnections: 0, workers: 0 };
  const loop = (async () => {
    while (watching) {
      for (const worker of (await runtimeStatus(supabaseUrl)).workers) {
        const pids = workerIds.get(worker.fn) ?? new Set();
        workerIds.set(worker.fn, pids.add(worker.pid));
        const mb = await vmHwmMb(worker.pid);
        const f = figures(worker.fn);
        f.workers = pids.size;
        if (mb !== undefined) f.peakMemoryMb = Math.max(f.peakMemoryMb, mb);
        const allocatedMb = (worker.allocated_bytes ?? 0) / 2 ** 20;
        f.peakAllocatedMb = Math.max(f.peakAllocatedMb, allocatedMb);
      }
      const rows = await sql<{ name: string; n: number }[]>`
        select application_name as name, count(*)::int as n
          from pg_stat_activity
         where application_name like 'edge-worker %'
         group by application_name`;
      const held: Record<string, number> = {};
      let total = 0;
      for (const { name, n } of rows) {
        const fn = workerName.exec(name)?.[1] ?? name;
        held[fn] = (held[fn] ?? 0) + n;
        total += n;
      }
      for (const [fn, n] of Object.entries(held)) {
        figures(fn).peakConnections = Math.max(figures(fn).peakConnections, n);
      }
      peakConnections = Math.max(peakConnections, total);
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  })();
  return async () => {
    watching = false;
    await loop;
    return { byFunction, peakConnections };
  };
}

/**
 * Runs `fn` with an enterprise user and a catalog of `modelCount` active models (synthetic, from
 * the fixtures' records), all enterprise models; the user is deleted after.
 */
export async function withBenchCatalog<T>(
  modelCount: number,
  fn: (user: TestUser) => Promise<T>,
): Promise<T> {
  const sql = await adminDb();
  const catalog = await syntheticCatalog(modelCount);
  await sql`truncate public.model_access cascade`;
  await sql.begin(async (tx) => {
    await tx`select set_config('role', 'service_role', true)`;
    await tx`select public.sync_openrouter_models(${
      JSON.stringify(catalog)
    }::text::jsonb, 'manual', true)`;
  });
  await sql`update public.model_access set status = 'active', is_enterprise = true`;
  const user = await createUser({ tier: "enterprise", label: "bench" });
  try {
    return await fn(user);
  } finally {
    await deleteUsers(user);
  }
}

const perRequestHeaders = ["date", "content-length", "x-request-id", "x-response-time"];

/** What models answers: its body, and its headers but those that differ per request. */
async function answerOf(url: string, headers: Record<string, string>) {
  const response = await fetch(url, { headers });
  const body = new Uint8Array(await response.arrayBuffer());
  if (response.status !== 200) throw new Error(`${url}: ${response.status}`);
  const sent = [...response.headers].filter(([name]) => !perRequestHeaders.includes(name));
  return { body, headers: Object.fromEntries(sent) };
}

export async function benchHttp(
  env: Record<string, string>,
  referenceDir: string,
  modelCount: number,
): Promise<HttpFigures> {
  const sql = await adminDb();
  return await withBenchCatalog(modelCount, async (user) => {
    const modes = { legacy: "", enhanced: "?enhanced=true" } as const;
    const url = (fn: string, query: string) => `${env.FUNCTIONS_URL}/${fn}${query}`;
    // Both answers before the reference's first request: its worker reads them as it starts.
    await Deno.mkdir(referenceDir, { recursive: true });
    const bodies: Record<string, Uint8Array> = {};
    for (const [mode, query] of Object.entries(modes)) {
      const answer = await answerOf(url("models", query), user.headers);
      bodies[mode] = answer.body;
      await Deno.writeFile(join(referenceDir, `${mode}.json`), answer.body);
      await Deno.writeTextFile(
        join(referenceDir, `${mode}.headers.json`),
        JSON.stringify(answer.headers),
      );
    }
    for (const [mode, query] of Object.entries(modes)) {
      const reference = await fetch(url(referenceFunction, query), { headers: user.headers });
      const body = new Uint8Array(await reference.arrayBuffer());
      if (reference.status !== 200 || body.length !== bodies[mode].length) {
        throw new Error(`${referenceFunction} (${mode}) did not answer what models answered`);
      }
    }

    const retiredBefore = (await runtimeStatus(env.SUPABASE_URL)).retired;
    const stopWatching = watchRuntime(env.SUPABASE_URL, sql);
    const loads: Record<string, { ours: LoadFigures[]; reference: LoadFigures[] }> = {};
    let watched;
    try {
      for (const [mode, query] of Object.entries(modes)) {
        const runs = loads[mode] = { ours: [] as LoadFigures[], reference: [] as LoadFigures[] };
        // Alternating which goes first, so that neither always runs on a machine the other warmed.
        for (let round = 0; round < rounds; round++) {
          const pair = [
            async () => runs.ours.push(await wrk(url("models", query), user.headers)),
            async () => runs.reference.push(await wrk(url(referenceFunction, query), user.headers)),
          ];
          if (round % 2 === 1) pair.reverse();
          for (const run of pair) await run();
        }
      }
    } finally {
      watched = await stopWatching();
    }
    const status = await runtimeStatus(env.SUPABASE_URL);
    const retired = Object.fromEntries(
      Object.entries(status.retired).map((
        [reason, n],
      ) => [reason, n - (retiredBefore[reason] ?? 0)]),
    );
    const figures = async (mode: keyof typeof modes): Promise<ModeFigures> => ({
      bodyBytes: bodies[mode].length,
      ours: medianLoad(loads[mode].ours),
      reference: medianLoad(loads[mode].reference),
      ceiling: await withCeiling(bodies[mode], (ceilingUrl) => wrk(ceilingUrl, {})),
    });
    const [{ max_connections }] = await sql<{ max_connections: string }[]>`show max_connections`;
    return {
      models: modelCount,
      rounds,
      legacy: await figures("legacy"),
      enhanced: await figures("enhanced"),
      byFunction: watched.byFunction,
      peakConnections: watched.peakConnections,
      budget: {
        functions: status.functions.filter((fn) => !benchFunctions.includes(fn)).length,
        workersPerFunction,
        poolMax,
      },
      maxConnections: Number(max_connections),
      retired,
    };
  });
}

/** The functions of bench/functions, which the runtime serves beside ours for the benchmarks. */
export const benchFunctions = [referenceFunction, "bare"];

// `deno task bench [http] [cold] [e2e] [consume] [sync]`: the benchmarks named (all by default) on
// a fresh local stack of its own ("bench", or STACK_NAME with STACK_DB_PORT/STACK_API_PORT), then a
// table each. The stack's runtime also serves bench/functions (the reference and bare functions).
// Targets: sync at 10k within 1.5x of the parse floor and >= 2x faster than the per-row loop;
// no-change re-sync writes 0 rows within 1.2x of the floor; 100k under 10 s; models >= 70% of the
// reference function's requests/s with p99 <= 1.5x; a cold start within 2x of a bare function's;
// peak memory per function isolate < 128 MB; consume_model_quota at >= 1,300 durable calls/s.
import { join } from "node:path";
import { repoRoot, stackConfig } from "../supabase/local/config.ts";
import { startStack, stopStack } from "../supabase/local/stack.ts";
import { benchColdStart, type ColdStartFigures, type FirstAnswer } from "./cold_start.ts";
import { benchConsume, type ConsumeFigures } from "./consume.ts";
import { benchEndToEnd, type EndToEndFigures } from "./e2e.ts";
import { benchHttp, type HttpFigures, median, referenceFunction } from "./http.ts";
import { benchSync, type SyncFigures } from "./sync.ts";

const benchmarks = ["sync", "http", "cold", "e2e", "consume"] as const;
const unknown = Deno.args.filter((arg) => !(benchmarks as readonly string[]).includes(arg));
if (unknown.length > 0) {
  console.error(`Unknown benchmark ${unknown.join(", ")}: choose from ${benchmarks.join(", ")}.`);
  Deno.exit(2);
}
const selected = (name: typeof benchmarks[number]) =>
  Deno.args.length === 0 || Deno.args.includes(name);

const config = stackConfig(Deno.env.get("STACK_NAME") ?? "bench");
Deno.env.set("STACK_NAME", config.name);
Deno.env.set("OPENROUTER_MODELS_URL", `http://127.0.0.1:${config.apiPort + 69}/api/v1/models`);
const extraFunctionsDir = join(repoRoot, "bench/functions");
const referenceDir = join(config.dir, "reference");
Deno.env.set("EDGE_EXTRA_FUNCTIONS_DIR", extraFunctionsDir);
Deno.env.set("BENCH_REFERENCE_DIR", referenceDir);
// Default logging, as deployed (LOG_LEVEL unset: info).
const env = await startStack(config, { fresh: true });
const fmt = (n: number, digits = 0) => n.toFixed(digits);
const ratio = (a: number, b: number) => `${(a / b).toFixed(2)}x`;
const percent = (share: number) => `${(100 * share).toFixed(share > 0 && share < 0.01 ? 2 : 0)}%`;
try {
  // The load test first: the sync at 100k models leaves the machine busy for a while after it
  // (autovacuum, the kernel writing dirty pages back), which showed as latency outliers.
  if (selected("http")) printHttp(await benchHttp(env, referenceDir, 400));
  if (selected("cold")) printColdStart(await benchColdStart(config, extraFunctionsDir));
  if (selected("e2e")) printEndToEnd(await benchEndToEnd());
  if (selected("consume")) printConsume(await benchConsume(env.SUPABASE_DB_URL));
  if (selected("sync")) {
    printSync(
      await benchSync(env.SUPABASE_ADMIN_DB_URL, [1_000, 10_000, 100_000], [1_000, 10_000]),
    );
  }
} finally {
  await stopStack(config);
}

function printSync(sync: SyncFigures[]) {
  console.log(
    `\n## SQL sync (${
      new Date().toISOString().slice(0, 10)
    }, ${navigator.hardwareConcurrency} cores)\n`,
  );
  console.log(
    "| models | rounds | payload MB | parse floor ms | COPY floor ms | cold sync ms | no-change ms (rows written) | 5/2/2 change ms | function ms (cold / no change / 5/2/2) | per-row loop cold ms | loop no-change ms | no-change / floor | 5/2/2 / floor | cold / floor | loop / ours (cold) |",
  );
  console.log("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
  for (const r of sync) {
    console.log(
      `| ${r.models} | ${r.rounds} | ${fmt(r.payloadMb, 1)} | ${fmt(r.floorMs)} | ${
        fmt(r.copyFloorMs)
      } | ${fmt(r.coldMs)} | ${fmt(r.noChangeMs)} (${r.noChangeRowsWritten}) | ${
        fmt(r.changedMs)
      } | ${fmt(r.functionMs.cold)} / ${fmt(r.functionMs.noChange)} / ${
        fmt(r.functionMs.changed)
      } | ${r.loopColdMs ? fmt(r.loopColdMs) : "-"} | ${
        r.loopNoChangeMs ? fmt(r.loopNoChangeMs) : "-"
      } | ${fmt(r.noChangeRatio, 2)}x | ${fmt(r.changedRatio, 2)}x | ${fmt(r.coldRatio, 2)}x | ${
        r.loopColdMs ? ratio(r.loopColdMs, r.coldMs) : "-"
      } |`,
    );
  }
}

function printHttp(http: HttpFigures) {
  console.log(
    `\n## models endpoint (${http.models} active models, 50 connections, 10 s, wrk; median of ${http.rounds} rounds)\n`,
  );
  console.log(
    "| mode | body bytes | ours req/s | reference req/s | ours / reference | ours p50/p99 ms | reference p50/p99 ms | p99 ratio | ours / reference errors | bare ceiling req/s |",
  );
  console.log("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
  for (const [mode, f] of Object.entries({ legacy: http.legacy, enhanced: http.enhanced })) {
    const { ours, reference, ceiling } = f;
    console.log(
      `| ${mode} | ${f.bodyBytes} | ${fmt(ours.requestsPerSecond)} | ${
        fmt(reference.requestsPerSecond)
      } | ${fmt(100 * ours.requestsPerSecond / reference.requestsPerSecond)}% | ${
        fmt(ours.p50Ms, 1)
      }/${fmt(ours.p99Ms, 1)} | ${fmt(reference.p50Ms, 1)}/${fmt(reference.p99Ms, 1)} | ${
        ratio(ours.p99Ms, reference.p99Ms)
      } | ${percent(ours.errorShare)} / ${percent(reference.errorShare)} | ${
        fmt(ceiling.requestsPerSecond)
      } |`,
    );
  }
  console.log(
    "\n| function | workers | peak isolate heap + external MB | peak worker process VmHWM MB | peak connections |",
  );
  console.log("|---|---:|---:|---:|---:|");
  for (const [fn, f] of Object.entries(http.byFunction)) {
    console.log(
      `| ${fn}${fn === referenceFunction ? " (bench)" : ""} | ${f.workers} | ${
        fmt(f.peakAllocatedMb)
      } | ${fmt(f.peakMemoryMb)} | ${f.peakConnections} |`,
    );
  }
  const { functions, workersPerFunction, poolMax } = http.budget;
  const retired = Object.entries(http.retired).map(([reason, n]) => `${n} ${reason}`).join(", ");
  console.log(
    `\nConnections held by all workers at once: at most ${http.peakConnections}; budget ${functions} functions x ${workersPerFunction} workers x DB_POOL_MAX ${poolMax} = ${
      functions * workersPerFunction * poolMax
    }, of max_connections ${http.maxConnections}. Workers retired during the runs: ${
      retired || "none"
    }.`,
  );
}

function printColdStart(cold: ColdStartFigures) {
  console.log(`\n## cold start (a runtime of its own per run; median of ${cold.runs} runs)\n`);
  console.log(
    "| function | first answer ms | of which worker start ms | worker VmHWM after MB | runs ms |",
  );
  console.log("|---|---:|---:|---:|---|");
  const row = (name: string, runs: FirstAnswer[]) =>
    console.log(
      `| ${name} | ${fmt(median(runs.map((r) => r.ms)))} | ${
        fmt(median(runs.map((r) => r.bootMs)))
      } | ${fmt(median(runs.map((r) => r.vmHwmMb)))} | ${runs.map((r) => fmt(r.ms)).join(", ")} |`,
    );
  row("models (GET, 400 models)", cold.models);
  row("bare (bench)", cold.bare);
  const ms = (runs: FirstAnswer[]) => median(runs.map((r) => r.ms));
  console.log(`\nmodels / bare: ${ratio(ms(cold.models), ms(cold.bare))}`);
}

function printConsume(consume: ConsumeFigures[]) {
  console.log("\n## consume_model_quota (25 callers, 5 s each)\n");
  console.log("| commits | calls/s |");
  console.log("|---|---:|");
  for (const r of consume) {
    console.log(
      `| ${r.durable ? "durable (fsync on)" : "local stack (fsync off)"} | ${fmt(r.perSecond)} |`,
    );
  }
}

function printEndToEnd(e2e: EndToEndFigures) {
  console.log(`\n## sync-models end to end (fixture ${e2e.fixture}, ${e2e.models} models)\n`);
  console.log("| run | total ms | fetch ms | validate ms | database ms |");
  console.log("|---|---:|---:|---:|---:|");
  for (const [name, t] of Object.entries({ cold: e2e.cold, "no change": e2e.noChange })) {
    console.log(
      `| ${name} | ${fmt(t.totalMs)} | ${fmt(t.fetchMs)} | ${fmt(t.validateMs)} | ${
        fmt(t.databaseMs)
      } |`,
    );
  }
}

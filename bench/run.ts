// `deno task bench [http] [e2e] [consume] [sync]`: the benchmarks named (all by default) on a fresh
// local stack of its own ("bench", or STACK_NAME with STACK_DB_PORT/STACK_API_PORT), then a table
// each.
// Targets (issue "Performance"): sync at 10k within 1.5x of the parse floor and >= 2x faster than
// the per-row loop; no-change re-sync writes 0 rows within 1.2x of the floor; 100k under 10 s;
// models >= 50% of the bare-Deno ceiling's requests/s with p99 <= 2x, RSS < 150 MB.
import { stackConfig } from "../supabase/local/config.ts";
import { startStack, stopStack } from "../supabase/local/stack.ts";
import { benchConsume, type ConsumeFigures } from "./consume.ts";
import { benchEndToEnd, type EndToEndFigures } from "./e2e.ts";
import { benchHttp, type HttpFigures } from "./http.ts";
import { benchSync, type SyncFigures } from "./sync.ts";

const benchmarks = ["sync", "http", "e2e", "consume"] as const;
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
// Default logging, as deployed (LOG_LEVEL unset: info).
const env = await startStack(config, { fresh: true });
const fmt = (n: number, digits = 0) => n.toFixed(digits);
const ratio = (a: number, b: number) => `${(a / b).toFixed(2)}x`;
try {
  // The load test first: the sync at 100k models leaves the machine busy for a while after it
  // (autovacuum, the kernel writing dirty pages back), which showed as latency outliers.
  if (selected("http")) printHttp(await benchHttp(config, env.FUNCTIONS_URL, 400));
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
    "| models | payload MB | parse floor ms | COPY floor ms | cold sync ms | no-change ms (rows written) | 5/2/2 change ms | per-row loop cold ms | loop no-change ms | no-change / floor | cold / floor | loop / ours (cold) |",
  );
  console.log("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
  for (const r of sync) {
    console.log(
      `| ${r.models} | ${fmt(r.payloadMb, 1)} | ${fmt(r.floorMs)} | ${fmt(r.copyFloorMs)} | ${
        fmt(r.coldMs)
      } | ${fmt(r.noChangeMs)} (${r.noChangeRowsWritten}) | ${fmt(r.changedMs)} | ${
        r.loopColdMs ? fmt(r.loopColdMs) : "-"
      } | ${r.loopNoChangeMs ? fmt(r.loopNoChangeMs) : "-"} | ${ratio(r.noChangeMs, r.floorMs)} | ${
        ratio(r.coldMs, r.floorMs)
      } | ${r.loopColdMs ? ratio(r.loopColdMs, r.coldMs) : "-"} |`,
    );
  }
}

function printHttp(http: HttpFigures) {
  console.log(
    `\n## models endpoint (${http.models} active models, ${50} connections, 10 s, wrk)\n`,
  );
  console.log(
    "| mode | body bytes | ours req/s | ceiling req/s | share | ours p50/p99 ms | ceiling p50/p99 ms | p99 ratio | contract-only req/s | share of contract-only |",
  );
  console.log("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
  for (
    const [mode, { ours, ceiling, contract }] of Object.entries({
      legacy: http.legacy,
      enhanced: http.enhanced,
    })
  ) {
    const share = (of: number) => `${fmt(100 * ours.requestsPerSecond / of)}%`;
    console.log(
      `| ${mode} | ${ours.bodyBytes} | ${fmt(ours.requestsPerSecond)} | ${
        fmt(ceiling.requestsPerSecond)
      } | ${share(ceiling.requestsPerSecond)} | ${fmt(ours.p50Ms, 1)}/${fmt(ours.p99Ms, 1)} | ${
        fmt(ceiling.p50Ms, 1)
      }/${fmt(ceiling.p99Ms, 1)} | ${ratio(ours.p99Ms, ceiling.p99Ms)} | ${
        fmt(contract.requestsPerSecond)
      } | ${share(contract.requestsPerSecond)} |`,
    );
  }
  console.log(`\nFunctions process peak RSS: ${fmt(http.peakRssMb)} MB`);
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

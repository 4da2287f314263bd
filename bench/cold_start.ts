// Benchmark: cold start. The time from a request reaching a runtime with no worker of the function
// to its whole answer: GET /functions/v1/models as a real user (400 models, so the first request
// also reads and renders the list), against bench/functions/bare's "ok", on the same runtime.
// Each run starts a runtime of its own (supabase/local/gateway.ts on a spare port, with the stack's
// environment) and times from the request sent once it answers /health, so every request meets a
// fresh isolate: a new worker process on the edge runtime's Deno, its modules loaded, and for
// models its first database connection. The two functions alternate; medians are reported.
import { join } from "node:path";
import { readStackEnv, repoRoot, type StackConfig } from "../supabase/local/config.ts";
import type { TestUser } from "../tests/_helpers/users.ts";
import { runtimeStatus, withBenchCatalog } from "./http.ts";

export interface ColdStartFigures {
  runs: number;
  modelsMs: number[];
  bareMs: number[];
  modelsMedianMs: number;
  bareMedianMs: number;
}

const runs = 7;

async function firstAnswerMs(
  config: StackConfig,
  extraFunctionsDir: string,
  path: string,
  headers: Record<string, string>,
): Promise<number> {
  const port = freePort();
  const base = `http://127.0.0.1:${port}`;
  const logDir = await Deno.makeTempDir({ prefix: "cold-start-" });
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", join(repoRoot, "supabase/local/gateway.ts")],
    env: {
      ...await readStackEnv(config),
      EDGE_EXTRA_FUNCTIONS_DIR: extraFunctionsDir,
      STACK_API_PORT: String(port),
      EDGE_LOG_DIR: logDir,
    },
    stdout: "null",
    stderr: "inherit",
  }).spawn();
  let exited = false;
  child.status.then(() => exited = true);
  try {
    const deadline = Date.now() + 20_000;
    for (;;) {
      try {
        await runtimeStatus(base);
        break;
      } catch (error) {
        if (exited) throw new Error("the runtime exited as it started (see above)");
        if (Date.now() > deadline) throw error;
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    }
    const started = performance.now();
    const response = await fetch(`${base}/functions/v1/${path}`, { headers });
    await response.arrayBuffer();
    const ms = performance.now() - started;
    if (response.status !== 200) throw new Error(`${path}: ${response.status} on a cold start`);
    return ms;
  } finally {
    try {
      child.kill("SIGTERM");
    } catch {
      // it had exited: its status says how
    }
    await child.status;
    await Deno.remove(logDir, { recursive: true });
  }
}

/** A port nothing listens on now: other stacks on this machine use fixed ones. */
function freePort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const { port } = listener.addr as Deno.NetAddr;
  listener.close();
  return port;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

export async function benchColdStart(
  config: StackConfig,
  extraFunctionsDir: string,
): Promise<ColdStartFigures> {
  return await withBenchCatalog(400, async (user: TestUser) => {
    const models = () => firstAnswerMs(config, extraFunctionsDir, "models", user.headers);
    const bare = () => firstAnswerMs(config, extraFunctionsDir, "bare", {});
    // One unmeasured pair: the first start of each also warms the kernel's page cache.
    await models();
    await bare();
    const modelsMs: number[] = [];
    const bareMs: number[] = [];
    for (let run = 0; run < runs; run++) {
      modelsMs.push(await models());
      bareMs.push(await bare());
    }
    return {
      runs,
      modelsMs,
      bareMs,
      modelsMedianMs: median(modelsMs),
      bareMedianMs: median(bareMs),
    };
  });
}

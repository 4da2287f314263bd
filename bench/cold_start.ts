// Benchmark: cold start. The time from a request reaching a runtime with no worker of the function
// to its whole answer: GET /functions/v1/models as a real user (400 models, so the first request
// also reads and renders the list), against bench/functions/bare's "ok" to the same request (the
// same user token), on the same runtime and gateway path.
// Each run starts a runtime of its own (supabase/local/gateway.ts on a spare port, with the stack's
// environment) and times from the request sent once it answers /health, so every request meets a
// fresh isolate: a new worker process on the edge runtime's Deno, its modules loaded, and for
// models its first database connection. The two functions alternate; medians are reported.
import { join } from "node:path";
import { readStackEnv, repoRoot, type StackConfig } from "../supabase/local/config.ts";
import type { TestUser } from "../tests/_helpers/users.ts";
import { runtimeStatus, vmHwmMb, withBenchCatalog } from "./http.ts";
import { freePort } from "../supabase/local/edge_runtime.ts";

export interface FirstAnswer {
  /** From the request sent to its whole answer. */
  ms: number;
  /** Of that, the worker's start: from its spawn until it listens (the runtime's boot_ms). */
  bootMs: number;
  /** The worker process's VmHWM right after: what Deno and the function take before any load. */
  vmHwmMb: number;
}

export interface ColdStartFigures {
  runs: number;
  models: FirstAnswer[];
  bare: FirstAnswer[];
}

const runs = 7;

async function firstAnswerMs(
  config: StackConfig,
  extraFunctionsDir: string,
  path: string,
  headers: Record<string, string>,
): Promise<FirstAnswer> {
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
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
  let output = "";
  const reading = child.stdout.pipeThrough(new TextDecoderStream()).pipeTo(
    new WritableStream({ write: (text) => void (output += text) }),
  );
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
    const [worker] = (await runtimeStatus(base)).workers;
    const vmHwm = await vmHwmMb(worker.pid);
    const bootMs = Number(/"msg":"worker started".*?"boot_ms":(\d+)/.exec(output)?.[1]);
    if (vmHwm === undefined || !(bootMs >= 0)) throw new Error(`${path}: no worker figures`);
    return { ms, bootMs, vmHwmMb: vmHwm };
  } finally {
    try {
      child.kill("SIGTERM");
    } catch {
      // it had exited: its status says how
    }
    await child.status;
    await reading;
    await Deno.remove(logDir, { recursive: true });
  }
}

export async function benchColdStart(
  config: StackConfig,
  extraFunctionsDir: string,
): Promise<ColdStartFigures> {
  return await withBenchCatalog(400, async (user: TestUser) => {
    const models = () => firstAnswerMs(config, extraFunctionsDir, "models", user.headers);
    // The same request for both, token included: only what the function does with it differs.
    const bare = () => firstAnswerMs(config, extraFunctionsDir, "bare", user.headers);
    // One unmeasured pair: the first start of each also warms the kernel's page cache.
    await models();
    await bare();
    const figures: ColdStartFigures = { runs, models: [], bare: [] };
    for (let run = 0; run < runs; run++) {
      figures.models.push(await models());
      figures.bare.push(await bare());
    }
    return figures;
  });
}

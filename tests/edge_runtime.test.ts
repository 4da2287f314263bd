// The local edge runtime (supabase/local/edge_runtime.ts) under short limits, in a second runtime
// beside the stack's: all three functions under concurrent load while their workers are retired
// (by wall clock, or by memory) and replaced. No request fails, every consume is counted, and the
// functions' connections (pg_stat_activity, by the application_name the runtime gives each
// worker's pool) never exceed DB_POOL_MAX per worker and are gone soon after their worker.
// EDGE_EXTRA_FUNCTIONS_DIR adds a folder of functions (the benchmarks'), and may not shadow ours.
// A worker is ready only when its own id answers on its port, never another worker's.
import assert from "node:assert/strict";
import { join } from "node:path";
import { readStackEnv, repoRoot, stackConfig } from "../supabase/local/config.ts";
import { edgeDenoEnv, EdgeRuntime, freePort } from "../supabase/local/edge_runtime.ts";
import { type CatalogRow, catalogRows, syncFixture } from "./_helpers/catalog.ts";
import { stackTest } from "./_helpers/harness.ts";
import { adminDb } from "./_helpers/stack.ts";
import { createUser, deleteUsers, type TestUser } from "./_helpers/users.ts";

/** postgres.js connections per isolate: DB_POOL_MAX's default. */
const poolMax = 2;
/** How long a retired worker's connections may outlive it (its process exits once drained). */
const connectionGraceMs = 2_000;
const loadMs = 7_000;

interface RuntimeStatus {
  runtime: string;
  retired: Record<string, number>;
  workers: {
    id: string;
    fn: string;
    pid: number;
    state: string;
    application_name: string;
    allocated_bytes: number | null;
  }[];
}

async function startRuntime(port: number, limits: Record<string, string>) {
  const logDir = await Deno.makeTempDir({ prefix: "edge-runtime-test-" });
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", join(repoRoot, "supabase/local/gateway.ts")],
    env: {
      ...await readStackEnv(stackConfig()),
      ...limits,
      STACK_API_PORT: String(port),
      EDGE_LOG_DIR: logDir,
    },
    stdout: "null",
    stderr: "inherit",
  }).spawn();
  const base = `http://127.0.0.1:${port}`;
  const status = async (): Promise<RuntimeStatus> => await (await fetch(`${base}/health`)).json();
  const deadline = Date.now() + 20_000;
  for (;;) {
    try {
      await status();
      break;
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
  return {
    base,
    logDir,
    status,
    async stop() {
      child.kill("SIGTERM");
      await child.status;
      await Deno.remove(logDir, { recursive: true });
    },
  };
}

/** One model made free, active and limited far above what the load consumes. */
async function withConsumableModel(
  fn: (modelId: string, user: TestUser, admin: TestUser) => Promise<void>,
) {
  const admin = await createUser({ isAdmin: true, label: "edge-admin" });
  const user = await createUser({ label: "edge-user" });
  const sql = await adminDb();
  let saved: CatalogRow | undefined;
  try {
    await syncFixture(admin, "2025-12-02");
    saved = (await catalogRows()).find((row) => row.upstream_removed_at === null)!;
    await sql`
      update public.model_access
         set status = 'active', is_free = true, daily_limit = 1000000, monthly_limit = null
       where model_id = ${saved.model_id}`;
    await fn(saved.model_id, user, admin);
  } finally {
    if (saved) {
      await sql`
        update public.model_access
           set status = ${saved.status}, is_free = ${saved.is_free},
               daily_limit = ${saved.daily_limit ?? null}, monthly_limit = ${
        saved.monthly_limit ?? null
      }
         where model_id = ${saved.model_id}`;
    }
    await deleteUsers(admin, user);
  }
}

/** This runtime's workers' connections, by application_name. */
async function connections(runtime: string): Promise<Map<string, number>> {
  const sql = await adminDb();
  const rows = await sql<{ name: string; n: number }[]>`
    select application_name as name, count(*)::int as n
      from pg_stat_activity
     where application_name like ${`edge-worker %-${runtime}-%`}
     group by application_name`;
  return new Map(rows.map((row) => [row.name, row.n]));
}

async function loadAcrossRecycles(
  limits: Record<string, string>,
  port: number,
  reason: "wall_clock" | "memory",
) {
  const runtime = await startRuntime(port, limits);
  try {
    await withConsumableModel(async (modelId, user, admin) => {
      const url = (path: string) => `${runtime.base}/functions/v1/${path}`;
      const runId = (await runtime.status()).runtime;
      const failures: string[] = [];
      let consumed = 0;
      let stopAt = 0;
      const request = async (path: string, init: RequestInit, expected = 200) => {
        const response = await fetch(url(path), init);
        const text = await response.text();
        if (response.status !== expected) failures.push(`${path}: ${response.status} ${text}`);
        return response.status;
      };
      const loop = async (step: () => Promise<void>) => {
        while (Date.now() < stopAt) await step();
      };
      const consume = async () => {
        const init = {
          method: "POST",
          headers: { ...user.headers, "content-type": "application/json" },
          body: JSON.stringify({ model_id: modelId }),
        };
        if (await request("models/consume", init) === 200) consumed++;
      };

      // When each worker was last seen alive; a connection may outlive that by the grace only.
      const lastAlive = new Map<string, number>();
      const violations: string[] = [];
      let peakPerWorker = 0;
      let peakTotal = 0;
      let watching = true;
      const watch = async () => {
        while (watching) {
          const status = await runtime.status();
          const now = Date.now();
          for (const worker of status.workers) lastAlive.set(worker.application_name, now);
          let total = 0;
          for (const [name, n] of await connections(runId)) {
            total += n;
            peakPerWorker = Math.max(peakPerWorker, n);
            const seen = lastAlive.get(name);
            if (seen === undefined || now - seen > connectionGraceMs) {
              violations.push(`${name} holds ${n} connection(s) after its worker is gone`);
            }
          }
          peakTotal = Math.max(peakTotal, total);
          await new Promise((resolve) => setTimeout(resolve, 50));
        }
      };

      stopAt = Date.now() + loadMs;
      const watcher = watch();
      try {
        await Promise.all([
          ...Array.from({ length: 4 }, () => loop(consume)),
          loop(async () => void await request("models", { headers: user.headers })),
          loop(async () => void await request("admin-models/health", { headers: admin.headers })),
          loop(async () =>
            void await request("sync-models", {
              method: "OPTIONS",
              headers: { origin: "https://app.example" },
            }, 204)
          ),
        ]);
        assert.deepEqual(failures.slice(0, 5), [], "no request failed across the recycles");

        const final = await fetch(url("models/consume"), {
          method: "POST",
          headers: { ...user.headers, "content-type": "application/json" },
          body: JSON.stringify({ model_id: modelId }),
        }).then((r) => r.json());
        assert.equal(final.daily.used, consumed + 1, "every consume was recorded once");

        const retired = (await runtime.status()).retired[reason] ?? 0;
        assert.ok(retired >= 2, `workers were retired (${reason}) and replaced: ${retired}`);

        await new Promise((resolve) => setTimeout(resolve, connectionGraceMs + 500));
        watching = false;
        await watcher;
        assert.deepEqual(violations.slice(0, 5), []);
        assert.ok(peakPerWorker >= 1, "the watch saw the workers' connections");
        assert.ok(peakPerWorker <= poolMax, `at most ${poolMax} per worker (${peakPerWorker})`);
        assert.ok(peakTotal <= 3 * 2 * poolMax, `at most 2 workers per function (${peakTotal})`);
      } finally {
        watching = false;
        await watcher;
      }
    });
  } finally {
    await runtime.stop();
  }
}

// Beside the stack's own ports (+7: models_cache's second gateway; +69, +79: fake OpenRouter, bench).
const port = stackConfig().apiPort + 8;

stackTest(
  "requests keep succeeding while workers are retired at half a 3 s wall clock",
  async () => {
    await loadAcrossRecycles({ EDGE_WALL_CLOCK_SECONDS: "3" }, port, "wall_clock");
  },
);

stackTest("requests keep succeeding while workers are retired for memory", async () => {
  // Half of 40 MB is about what a function's isolate has allocated once it has served a little.
  await loadAcrossRecycles({ EDGE_MEMORY_MB: "40" }, port + 1, "memory");
});

stackTest("a stopped runtime's workers leave no connection behind", async () => {
  const runtime = await startRuntime(port + 2, {});
  const runId = (await runtime.status()).runtime;
  const user = await createUser({ label: "edge-stop" });
  try {
    const response = await fetch(`${runtime.base}/functions/v1/models`, { headers: user.headers });
    assert.equal(response.status, 200, await response.text());
    assert.ok((await connections(runId)).size > 0, "the worker's pool is connected");
  } finally {
    await runtime.stop();
    await deleteUsers(user);
  }
  const deadline = Date.now() + connectionGraceMs;
  while ((await connections(runId)).size > 0 && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  assert.deepEqual([...await connections(runId)], []);
});

/** A folder with one function, `name`, that answers the path it was handed. */
async function functionsDir(name: string): Promise<string> {
  const dir = await Deno.makeTempDir({ prefix: "edge-extra-functions-" });
  await Deno.mkdir(join(dir, name));
  await Deno.writeTextFile(
    join(dir, name, "index.ts"),
    "Deno.serve((request) => new Response(new URL(request.url).pathname));\n",
  );
  return dir;
}

stackTest("EDGE_EXTRA_FUNCTIONS_DIR serves that folder's functions beside ours", async () => {
  const dir = await functionsDir("extra-hello");
  const user = await createUser({ label: "edge-extra" });
  try {
    const plain = await startRuntime(port + 3, {});
    try {
      const response = await fetch(`${plain.base}/functions/v1/extra-hello/x`);
      assert.equal(response.status, 404, await response.text());
    } finally {
      await plain.stop();
    }
    const extended = await startRuntime(port + 3, { EDGE_EXTRA_FUNCTIONS_DIR: dir });
    try {
      const response = await fetch(`${extended.base}/functions/v1/extra-hello/x`);
      assert.equal(response.status, 200);
      assert.equal(await response.text(), "/extra-hello/x");
      const models = await fetch(`${extended.base}/functions/v1/models`, { headers: user.headers });
      assert.equal(models.status, 200, await models.text());
    } finally {
      await extended.stop();
    }
  } finally {
    await deleteUsers(user);
    await Deno.remove(dir, { recursive: true });
  }
});

stackTest("a function of EDGE_EXTRA_FUNCTIONS_DIR named like ours stops the gateway", async () => {
  const dir = await functionsDir("models");
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", join(repoRoot, "supabase/local/gateway.ts")],
    env: {
      ...await readStackEnv(stackConfig()),
      STACK_API_PORT: String(port + 3),
      EDGE_EXTRA_FUNCTIONS_DIR: dir,
    },
    stdout: "null",
    stderr: "piped",
  }).spawn();
  // A gateway that starts serves until stopped: give it the time to start, then stop it.
  const timer = setTimeout(() => child.kill("SIGTERM"), 10_000);
  try {
    const out = await child.output();
    assert.equal(out.success, false, "the gateway exited by itself");
    assert.match(new TextDecoder().decode(out.stderr), /function models of .* would hide ours/);
  } finally {
    clearTimeout(timer);
    await Deno.remove(dir, { recursive: true });
  }
});

stackTest("/health shows what each worker's isolate had allocated at the last poll", async () => {
  const runtime = await startRuntime(port + 4, {});
  const user = await createUser({ label: "edge-memory" });
  try {
    const response = await fetch(`${runtime.base}/functions/v1/models`, { headers: user.headers });
    assert.equal(response.status, 200, await response.text());
    // The runtime polls each isolate's memory every 500 ms.
    await new Promise((resolve) => setTimeout(resolve, 1_200));
    const [worker] = (await runtime.status()).workers;
    assert.ok(worker.allocated_bytes! > 1_000_000, `${worker.allocated_bytes} bytes`);
  } finally {
    await runtime.stop();
    await deleteUsers(user);
  }
});

stackTest(
  "workers load their npm packages by the lockfile the gateway wrote as it started",
  async () => {
    const runtime = await startRuntime(port + 5, {});
    try {
      const lockFile = join(runtime.logDir, "edge-deno.lock");
      const lock = JSON.parse(await Deno.readTextFile(lockFile));
      // The format the edge runtime's Deno reads, naming every package our functions import.
      assert.equal(lock.version, "4");
      const packages = Object.keys(lock.specifiers).map((s) => s.replace(/@[^@]*$/, ""));
      for (const name of ["npm:hono", "npm:jose", "npm:postgres", "npm:zod"]) {
        assert.ok(packages.includes(name), `${name} in ${packages}`);
      }
      const response = await fetch(`${runtime.base}/functions/v1/models`, { method: "OPTIONS" });
      await response.body?.cancel();
      assert.equal(response.status, 204);
      const [worker] = (await runtime.status()).workers;
      const args = (await Deno.readTextFile(`/proc/${worker.pid}/cmdline`)).split("\0");
      assert.ok(args.includes(`--lock=${lockFile}`), args.join(" "));
    } finally {
      await runtime.stop();
    }
  },
);

Deno.test("a worker is not handed requests on a port another worker holds: it starts on another", async () => {
  const logDir = await Deno.makeTempDir({ prefix: "edge-runtime-port-test-" });
  // Another function's worker, as the runtime sees one: it answers its status on the port.
  const squatter = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen: () => {} },
    (request) =>
      new URL(request.url).pathname === "/_edge/status"
        ? Response.json({ worker: "other-function-1", allocated_bytes: 0 })
        : new Response("the other function", { status: 404 }),
  );
  const taken = squatter.addr.port;
  const offered: number[] = [];
  const runtime = new EdgeRuntime(
    new Map([["bare", join(repoRoot, "bench/functions/bare/index.ts")]]),
    {
      logDir,
      limits: { wallClockMs: 60_000, idleTimeoutMs: 10_000, memoryMb: 256 },
      env: edgeDenoEnv(),
      // The first port offered is the one just taken, as when another worker binds it first.
      freePort: () => {
        const port = offered.length === 0 ? taken : freePort();
        offered.push(port);
        return port;
      },
    },
  );
  try {
    const response = await runtime.handle("bare", new Request("http://local/bare"), "/bare");
    assert.equal(await response.text(), "ok", "answered by its own function");
    assert.deepEqual(offered.length, 2, "its first port was taken, so it started on another");
  } finally {
    await runtime.shutdown();
    await squatter.shutdown();
    await Deno.remove(logDir, { recursive: true });
  }
});

// The local stand-in for Supabase's edge runtime: each function runs in workers of its own, one
// process each (edge_worker.ts on the Deno release the hosted runtime runs), with its own module
// state, started cold on the first request that needs one, under the hosted limits:
// - a worker is retired at half its wall-clock limit, or once its isolate has allocated half of its
//   memory limit; it takes no new requests, finishes those in flight, and exits; the next request
//   starts a fresh one. At the full wall-clock limit it is stopped whatever it is doing;
// - a request without a response within the idle timeout is answered 504.
// Each worker's output goes to `<logDir>/functions-<fn>.log`. Each worker's pool connects with an
// application_name naming the worker (`edge-worker <id>`), as pg_stat_activity shows it.
import { join } from "node:path";
import { repoRoot } from "./config.ts";

/** The edge runtime's Deno (its binary: npm's `.bin` shim would not pass signals on). */
export const edgeDeno = join(repoRoot, "tools/node_modules/deno-edge/deno");

/** What the edge runtime's Deno needs besides the environment: Deno 2.1 reads CAs from DENO_CERT. */
export function edgeDenoEnv(): Record<string, string> {
  const caBundle = Deno.env.get("SSL_CERT_FILE");
  return caBundle && !Deno.env.get("DENO_CERT") ? { DENO_CERT: caBundle } : {};
}

export interface EdgeLimits {
  wallClockMs: number;
  idleTimeoutMs: number;
  memoryMb: number;
}

function seconds(name: string, fallback: number): number {
  const raw = Deno.env.get(name);
  if (raw === undefined || raw === "") return fallback * 1000;
  const value = Number(raw);
  if (!(value > 0)) throw new Error(`${name} must be a number of seconds above 0, got "${raw}"`);
  return value * 1000;
}

/** The free plan's limits, overridden by EDGE_WALL_CLOCK_SECONDS, EDGE_REQUEST_IDLE_TIMEOUT_SECONDS and EDGE_MEMORY_MB. */
export function limitsFromEnv(): EdgeLimits {
  const memory = Number(Deno.env.get("EDGE_MEMORY_MB") || 256);
  if (!Number.isInteger(memory) || memory < 16) {
    throw new Error(`EDGE_MEMORY_MB must be a whole number of megabytes, 16 or more`);
  }
  return {
    wallClockMs: seconds("EDGE_WALL_CLOCK_SECONDS", 150),
    idleTimeoutMs: seconds("EDGE_REQUEST_IDLE_TIMEOUT_SECONDS", 150),
    memoryMb: memory,
  };
}

const workerEntry = join(repoRoot, "supabase/local/edge_worker.ts");
const memoryPollMs = 500;
/** Short: the hosted runtime hands a request over as the worker listens, without polling. */
const readyPollMs = 10;
const startTimeoutMs = 30_000;

type State = "starting" | "serving" | "retiring" | "stopped";

interface Worker {
  id: string;
  fn: string;
  port: number;
  child: Deno.ChildProcess;
  startedAt: number;
  state: State;
  inFlight: number;
  served: number;
  /** What the isolate had allocated (heap and external) at the last memory poll. */
  allocatedBytes?: number;
  timers: ReturnType<typeof setTimeout>[];
}

function log(level: "info" | "warn" | "error", msg: string, fields: Record<string, unknown>) {
  console.log(JSON.stringify({ level, msg, ...fields, time: new Date().toISOString() }));
}

/** A port nothing listens on now (the system's pick; it may be taken before it is bound). */
export function freePort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const { port } = listener.addr as Deno.NetAddr;
  listener.close();
  return port;
}

/** The id of the worker listening on `port`, or null while none answers there. */
async function listenerOf(port: number): Promise<string | null> {
  try {
    const response = await fetch(`http://127.0.0.1:${port}/_edge/status`);
    if (!response.ok) {
      await response.body?.cancel();
      return null;
    }
    const { worker } = await response.json();
    return typeof worker === "string" ? worker : null;
  } catch {
    return null;
  }
}

function shellQuote(text: string): string {
  return `'${text.replaceAll("'", "'\\''")}'`;
}

function withApplicationName(url: string, name: string): string {
  const parsed = new URL(url);
  if (!parsed.searchParams.has("application_name")) {
    parsed.searchParams.set("application_name", name);
  }
  return parsed.href;
}

function errorResponse(status: number, code: string, message: string): Response {
  return Response.json({ code, message }, { status });
}

export class EdgeRuntime {
  readonly #runId = crypto.randomUUID().slice(0, 8);
  #sequence = 0;
  readonly #workers = new Set<Worker>();
  readonly #current = new Map<string, Worker>();
  readonly #starting = new Map<string, Promise<Worker>>();
  readonly #retired: Record<string, number> = {};

  /** How workers find their npm packages: by a lockfile once `lockModules` has written one. */
  #lockArgs = ["--no-lock"];

  constructor(
    /** Each function's index.ts, by name. */
    readonly functions: Map<string, string>,
    private readonly options: {
      logDir: string;
      limits: EdgeLimits;
      env: Record<string, string>;
      /** Where a new worker is to listen: a port free now (the system's pick, by default). */
      freePort?: () => number;
    },
  ) {}

  /**
   * Resolves the functions' npm packages once, into a lockfile of the edge runtime's Deno (ours
   * is a newer format it cannot read): without one, every worker would resolve them again as it
   * starts, where the hosted runtime loads a bundle resolved at deploy. When that fails (e.g. a
   * function that does not parse), workers resolve as they start and report what is wrong.
   */
  async lockModules(): Promise<void> {
    const lockFile = join(this.options.logDir, "edge-deno.lock");
    await Deno.remove(lockFile).catch(() => {});
    const { code, stderr } = await new Deno.Command(edgeDeno, {
      args: ["cache", `--lock=${lockFile}`, workerEntry, ...this.functions.values()],
      cwd: repoRoot,
      env: edgeDenoEnv(),
      stdout: "null",
      stderr: "piped",
    }).output();
    if (code === 0) {
      this.#lockArgs = [`--lock=${lockFile}`];
    } else {
      log("warn", "could not lock the functions' modules", {
        error: new TextDecoder().decode(stderr).trim(),
      });
    }
  }

  /** Hands `request` to a worker of `fn` at `path`: `/<fn>/...` is where the hosted runtime does. */
  async handle(fn: string, request: Request, path: string): Promise<Response> {
    // Buffered, as Supabase's gateway buffers request bodies: a function that answers before
    // reading an upload (413) would otherwise break the forwarding fetch mid-send.
    const body = request.body === null ? null : await request.arrayBuffer();
    let worker: Worker;
    try {
      worker = await this.#acquire(fn);
    } catch (error) {
      log("error", "worker did not start", { fn, error: String(error) });
      return errorResponse(503, "BOOT_ERROR", "Function failed to start (please check logs)");
    }
    // The gateway compresses for the client; from the worker it takes the body as is (fetch would
    // otherwise ask for gzip and unpack it, leaving the worker's Content-Encoding on).
    const headers = new Headers(request.headers);
    headers.set("accept-encoding", "identity");
    const idle = new AbortController();
    const idleTimer = setTimeout(() => idle.abort(), this.options.limits.idleTimeoutMs);
    let upstream: Response;
    try {
      upstream = await fetch(`http://127.0.0.1:${worker.port}${path}`, {
        method: request.method,
        headers,
        body,
        redirect: "manual",
        signal: idle.signal,
      });
    } catch (error) {
      this.#finished(worker);
      if (idle.signal.aborted) {
        return errorResponse(504, "IDLE_TIMEOUT", "The function did not respond in time");
      }
      log("error", "worker failed a request", { fn, worker: worker.id, error: String(error) });
      return errorResponse(502, "WORKER_ERROR", "Function exited before responding");
    } finally {
      clearTimeout(idleTimer);
    }
    const init = { status: upstream.status, statusText: upstream.statusText };
    if (upstream.body === null) {
      this.#finished(worker);
      return new Response(null, { ...init, headers: upstream.headers });
    }
    // In flight until its body is sent: only then may a retired worker exit.
    const reader = upstream.body.getReader();
    let done = false;
    const finish = () => {
      if (done) return;
      done = true;
      this.#finished(worker);
    };
    const stream = new ReadableStream<Uint8Array>({
      async pull(controller) {
        try {
          const chunk = await reader.read();
          if (chunk.done) {
            controller.close();
            finish();
          } else {
            controller.enqueue(chunk.value);
          }
        } catch (error) {
          controller.error(error);
          finish();
        }
      },
      cancel(reason) {
        finish();
        return reader.cancel(reason);
      },
    });
    return new Response(stream, { ...init, headers: upstream.headers });
  }

  /** The workers alive now, and how many were retired so far, by reason. */
  status() {
    return {
      runtime: this.#runId,
      retired: { ...this.#retired },
      workers: [...this.#workers].map((w) => ({
        id: w.id,
        fn: w.fn,
        pid: w.child.pid,
        state: w.state,
        in_flight: w.inFlight,
        served: w.served,
        allocated_bytes: w.allocatedBytes ?? null,
        application_name: this.#applicationName(w.id),
      })),
    };
  }

  /** Stops every worker (at once: the stack is going down). */
  async shutdown(): Promise<void> {
    const exits = [...this.#workers].map((worker) => {
      this.#stop(worker);
      return worker.child.status;
    });
    await Promise.allSettled(exits);
  }

  async #acquire(fn: string): Promise<Worker> {
    for (;;) {
      const worker = this.#current.get(fn) ?? await this.#startOnce(fn);
      if (worker.state === "serving") {
        worker.inFlight++;
        worker.served++;
        return worker;
      }
    }
  }

  /** One cold start at a time per function: requests arriving meanwhile wait for it. */
  #startOnce(fn: string): Promise<Worker> {
    let starting = this.#starting.get(fn);
    if (!starting) {
      starting = this.#start(fn).finally(() => this.#starting.delete(fn));
      this.#starting.set(fn, starting);
    }
    return starting;
  }

  #applicationName(id: string): string {
    return `edge-worker ${id}`;
  }

  async #start(fn: string): Promise<Worker> {
    // A port found free may be taken before the worker binds it: then another one.
    for (let attempt = 1;; attempt++) {
      const worker = this.#spawn(fn);
      try {
        await this.#ready(worker);
      } catch (error) {
        this.#stop(worker);
        if (attempt < 3) continue;
        throw error;
      }
      worker.state = "serving";
      this.#current.set(fn, worker);
      const { wallClockMs } = this.options.limits;
      const sinceStart = performance.now() - worker.startedAt;
      worker.timers.push(
        setTimeout(() => this.#retire(worker, "wall_clock"), wallClockMs / 2 - sinceStart),
        setTimeout(() => this.#stop(worker, "wall_clock_limit"), wallClockMs - sinceStart),
        this.#watchMemory(worker),
      );
      log("info", "worker started", {
        fn,
        worker: worker.id,
        pid: worker.child.pid,
        boot_ms: Math.round(sinceStart),
      });
      return worker;
    }
  }

  #spawn(fn: string): Worker {
    const id = `${fn}-${this.#runId}-${++this.#sequence}`;
    const port = (this.options.freePort ?? freePort)();
    const { env, logDir, limits } = this.options;
    const logFile = join(logDir, `functions-${fn}.log`);
    const poolUrl = env.DB_POOL_URL || env.SUPABASE_DB_URL;
    const child = new Deno.Command("sh", {
      args: [
        "-c",
        `exec "$0" "$@" >> ${shellQuote(logFile)} 2>&1`,
        edgeDeno,
        "run",
        ...this.#lockArgs,
        "-A",
        // V8 sizes an isolate's heap from its limit (young generation included), as there.
        `--v8-flags=--max-old-space-size=${limits.memoryMb},--max-semi-space-size=2`,
        workerEntry,
        this.functions.get(fn)!,
      ],
      cwd: repoRoot,
      clearEnv: true,
      env: {
        ...env,
        ...(poolUrl
          ? { DB_POOL_URL: withApplicationName(poolUrl, this.#applicationName(id)) }
          : {}),
        EDGE_WORKER_PORT: String(port),
        EDGE_WORKER_ID: id,
      },
      stdin: "null",
      stdout: "null",
      stderr: "null",
    }).spawn();
    const worker: Worker = {
      id,
      fn,
      port,
      child,
      startedAt: performance.now(),
      state: "starting",
      inFlight: 0,
      served: 0,
      timers: [],
    };
    this.#workers.add(worker);
    child.status.then((status) => this.#exited(worker, status.code));
    return worker;
  }

  async #ready(worker: Worker): Promise<void> {
    const deadline = performance.now() + startTimeoutMs;
    while (performance.now() < deadline && worker.state === "starting") {
      const listening = await listenerOf(worker.port);
      if (listening === worker.id) return;
      // Another worker may hold the port this one was given (found free, then taken before it
      // bound it): this one cannot listen there, and its requests would reach the other function.
      if (listening !== null) throw new Error(`port ${worker.port} is taken by ${listening}`);
      await new Promise((resolve) => setTimeout(resolve, readyPollMs));
    }
    throw new Error(`worker ${worker.id} did not come up (see functions-${worker.fn}.log)`);
  }

  #watchMemory(worker: Worker): ReturnType<typeof setInterval> {
    const retireAt = (this.options.limits.memoryMb * 1024 * 1024) / 2;
    let polling = false;
    return setInterval(async () => {
      if (polling || worker.state !== "serving") return;
      polling = true;
      try {
        const response = await fetch(`http://127.0.0.1:${worker.port}/_edge/status`);
        const { allocated_bytes } = await response.json();
        worker.allocatedBytes = allocated_bytes;
        if (allocated_bytes > retireAt) {
          this.#retire(worker, "memory", { allocated_mb: Math.round(allocated_bytes / 2 ** 20) });
        }
      } catch {
        // exiting: #exited takes care of it
      } finally {
        polling = false;
      }
    }, memoryPollMs);
  }

  #retire(worker: Worker, reason: string, fields: Record<string, unknown> = {}) {
    if (worker.state !== "serving") return;
    worker.state = "retiring";
    this.#retired[reason] = (this.#retired[reason] ?? 0) + 1;
    if (this.#current.get(worker.fn) === worker) this.#current.delete(worker.fn);
    log("info", "worker retired", {
      fn: worker.fn,
      worker: worker.id,
      reason,
      in_flight: worker.inFlight,
      ...fields,
    });
    if (worker.inFlight === 0) this.#stop(worker);
  }

  #finished(worker: Worker) {
    worker.inFlight--;
    if (worker.state === "retiring" && worker.inFlight === 0) this.#stop(worker);
  }

  #stop(worker: Worker, reason?: string) {
    if (worker.state === "stopped") return;
    if (reason) {
      log("warn", "worker stopped", { fn: worker.fn, worker: worker.id, reason });
    }
    worker.state = "stopped";
    for (const timer of worker.timers) clearTimeout(timer);
    if (this.#current.get(worker.fn) === worker) this.#current.delete(worker.fn);
    try {
      worker.child.kill("SIGTERM");
    } catch {
      // already gone
    }
  }

  #exited(worker: Worker, code: number) {
    if (worker.state !== "stopped") {
      log("error", "worker exited", { fn: worker.fn, worker: worker.id, code });
      this.#stop(worker);
    }
    this.#workers.delete(worker);
  }
}

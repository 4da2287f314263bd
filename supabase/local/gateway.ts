// Local stand-in for Supabase's API gateway in front of its edge runtime (edge_runtime.ts), for
// the parts we use: hands `/functions/v1/<name>/...` to a worker of function <name> as the hosted
// runtime does, at `/<name>/...`, and publishes the JWKS at the project's well-known URL.
// GET /health lists the functions and their workers. EDGE_EXTRA_FUNCTIONS_DIR serves the functions
// of one more folder beside ours: the benchmarks' reference functions, which are never deployed.
import { join, resolve } from "node:path";
import { repoRoot, stackConfig } from "./config.ts";
import { edgeDenoEnv, EdgeRuntime, limitsFromEnv } from "./edge_runtime.ts";

/** Each function's index.ts by name, sorted by name. */
async function functionEntries(): Promise<Map<string, string>> {
  const dirs = [join(repoRoot, "supabase/functions")];
  const extra = Deno.env.get("EDGE_EXTRA_FUNCTIONS_DIR");
  if (extra) dirs.push(resolve(repoRoot, extra));
  const entries = new Map<string, string>();
  for (const dir of dirs) {
    for await (const entry of Deno.readDir(dir)) {
      if (!entry.isDirectory || entry.name.startsWith("_")) continue;
      if (entries.has(entry.name)) {
        throw new Error(`function ${entry.name} of ${dir} would hide ours of the same name`);
      }
      entries.set(entry.name, join(dir, entry.name, "index.ts"));
    }
  }
  return new Map([...entries].sort(([a], [b]) => a.localeCompare(b)));
}

function json(status: number, body: unknown): Response {
  return Response.json(body, { status });
}

/** The environment a function gets: the stack's, without the runtime's own settings. */
function functionEnv(): Record<string, string> {
  const env = { ...Deno.env.toObject(), ...edgeDenoEnv() };
  for (const name of Object.keys(env)) if (name.startsWith("EDGE_")) delete env[name];
  return env;
}

const entries = await functionEntries();
const functions = [...entries.keys()];
const runtime = new EdgeRuntime(entries, {
  logDir: Deno.env.get("EDGE_LOG_DIR") ?? stackConfig().dir,
  limits: limitsFromEnv(),
  env: functionEnv(),
});
await runtime.lockModules();
const jwks = Deno.env.get("SUPABASE_JWKS") ?? '{"keys":[]}';
const port = Number(Deno.env.get("STACK_API_PORT") ?? 54321);

/** The path and query of a request URL (`http://host:port/path?query`), without parsing it all. */
function pathAndQuery(url: string): string {
  const start = url.indexOf("/", url.indexOf("//") + 2);
  return start < 0 ? "/" : url.slice(start);
}

const functionPath = /^\/functions\/v1\/([^/?]+)([/?].*)?$/;

Deno.serve({ hostname: "127.0.0.1", port, onListen: () => {} }, (request) => {
  const target = pathAndQuery(request.url);
  const path = target.split("?", 1)[0];
  if (path === "/health") return json(200, { ok: true, functions, ...runtime.status() });
  if (path === "/auth/v1/.well-known/jwks.json") {
    return new Response(jwks, { headers: { "content-type": "application/json" } });
  }
  const match = functionPath.exec(target);
  if (!match || !functions.includes(match[1])) {
    return json(404, { code: "NOT_FOUND", message: "Requested function was not found" });
  }
  return runtime.handle(match[1], request, `/${match[1]}${match[2] ?? ""}`);
});

for (const signal of ["SIGTERM", "SIGINT"] as const) {
  Deno.addSignalListener(signal, async () => {
    await runtime.shutdown();
    Deno.exit(0);
  });
}
console.log(JSON.stringify({ level: "info", msg: "gateway listening", port, functions }));

// Local stand-in for Supabase's API gateway and edge runtime, for the parts we use: serves every
// function in supabase/functions at /functions/v1/<name>/..., handing it the request as it came
// (createApp routes /functions/v1/<name>/... like the edge runtime's /<name>/...), and publishes
// the JWKS at the project's well-known URL. Each function's app is built as its index.ts builds
// it, from this process's environment; the apps share one set of deps (one pool, as one isolate).
import { join } from "node:path";
import { platformDeps } from "../functions/_shared/deps.ts";
import { repoRoot } from "./config.ts";
import { createFunctionApp } from "./function_apps.ts";

type Handler = (request: Request) => Response | Promise<Response>;

async function loadFunctions(): Promise<Map<string, Handler>> {
  const handlers = new Map<string, Handler>();
  const dir = join(repoRoot, "supabase/functions");
  const deps = platformDeps(Deno.env.toObject());
  for await (const entry of Deno.readDir(dir)) {
    if (!entry.isDirectory || entry.name.startsWith("_")) continue;
    const app = await createFunctionApp(entry.name, deps);
    handlers.set(entry.name, (request) => app.fetch(request));
  }
  return handlers;
}

function json(status: number, body: unknown): Response {
  return Response.json(body, { status });
}

const handlers = await loadFunctions();
const jwks = Deno.env.get("SUPABASE_JWKS") ?? '{"keys":[]}';
const port = Number(Deno.env.get("STACK_API_PORT") ?? 54321);

/** The path of a request URL (`http://host:port/path?query`), without parsing all of it. */
function pathOf(url: string): string {
  const start = url.indexOf("/", url.indexOf("//") + 2);
  const end = url.indexOf("?", start);
  return start < 0 ? "/" : url.slice(start, end < 0 ? undefined : end);
}

Deno.serve({ hostname: "127.0.0.1", port, onListen: () => {} }, (request) => {
  const path = pathOf(request.url);
  if (path === "/health") return json(200, { ok: true, functions: [...handlers.keys()] });
  if (path === "/auth/v1/.well-known/jwks.json") {
    return new Response(jwks, { headers: { "content-type": "application/json" } });
  }
  const match = /^\/functions\/v1\/([^/]+)(\/.*)?$/.exec(path);
  const handler = match && handlers.get(match[1]);
  if (!handler) {
    return json(404, { code: "NOT_FOUND", message: "Requested function was not found" });
  }
  // Passed on as it came (the apps drop the /functions/v1 prefix): copying it costs throughput.
  return handler(request);
});
console.log(
  JSON.stringify({
    level: "info",
    msg: "gateway listening",
    port,
    functions: [...handlers.keys()],
  }),
);

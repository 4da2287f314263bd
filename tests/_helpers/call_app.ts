// Calls one function's app in this process, built as its index.ts builds it from whatever
// environment this process was given, and prints `{"result": {status, body}}` as the last stdout
// line. For tests of misconfiguration, which need an environment the running stack does not have.
// Usage: deno run -A tests/_helpers/call_app.ts <function> <method> <path> [authorization]
import type { Hono } from "hono";
import { type AppDeps, platformDeps } from "../../supabase/functions/_shared/deps.ts";
import type { AppEnv } from "../../supabase/functions/_shared/http.ts";

const [fn, method, path, authorization] = Deno.args;
// Each app.ts exports `create<Fn>App(deps)`, e.g. createAdminModelsApp for admin-models.
const factory = `create${fn.split("-").map((w) => w[0].toUpperCase() + w.slice(1)).join("")}App`;
const module = await import(`../../supabase/functions/${fn}/app.ts`);
const createApp: (deps: AppDeps) => Hono<AppEnv> = module[factory];
const app = createApp(platformDeps(Deno.env.toObject()));
const headers: Record<string, string> = authorization ? { authorization } : {};
const response: Response = await app.fetch(
  new Request(`http://localhost/${fn}${path}`, { method, headers }),
);
const text = await response.text();
console.log(
  JSON.stringify({ result: { status: response.status, body: text ? JSON.parse(text) : null } }),
);
// The app may hold connections open (its pool): end here.
Deno.exit(0);

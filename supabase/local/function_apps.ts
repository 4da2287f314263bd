// Builds a function's app as its index.ts does, for what runs the apps in one process (the
// gateway, tests' subprocesses): supabase/functions/<name>/app.ts exports `create<Name>App(deps)`,
// e.g. createAdminModelsApp for admin-models.
import type { Hono } from "hono";
import type { AppDeps } from "../functions/_shared/deps.ts";
import type { AppEnv } from "../functions/_shared/http.ts";

type AppFactory = (deps: AppDeps) => Hono<AppEnv>;

function factoryName(fn: string): string {
  const words = fn.split("-").map((word) => word[0].toUpperCase() + word.slice(1));
  return `create${words.join("")}App`;
}

export async function createFunctionApp(fn: string, deps: AppDeps): Promise<Hono<AppEnv>> {
  const module = await import(new URL(`../functions/${fn}/app.ts`, import.meta.url).href);
  const create: AppFactory | undefined = module[factoryName(fn)];
  if (typeof create !== "function") {
    throw new Error(`supabase/functions/${fn}/app.ts exports no ${factoryName(fn)}(deps)`);
  }
  return create(deps);
}

// What a function's app depends on, handed to its factory (createModelsApp(deps), ...) instead of
// being reached through globals: the validated environment, the database pool and the clock.
// index.ts wires the platform's once per isolate; tests build apps with their own (a local key
// pair as SUPABASE_JWKS, a fixed clock) and call them in process with app.request(...).
import { connect, type Sql } from "./db.ts";
import { type Env, loadEnv, misconfigured } from "./env.ts";
import { HttpError } from "./errors.ts";

export interface Deps {
  env: Env;
  /** The pool, as the service's own login role. */
  sql: Sql;
  /** Milliseconds since the epoch: token expiry and Retry-After are judged by this clock. */
  now: () => number;
}

/**
 * What an app is built from: its deps or, when the environment is not valid, the error every
 * request that needs them answers with (preflights, 404, 405 and missing tokens answer as usual).
 */
export type AppDeps = Deps | HttpError;

/** A deployed function's deps: its environment variables, a pool, the system clock. */
export function platformDeps(vars: Record<string, string | undefined>): AppDeps {
  const env = loadEnv(vars);
  if (env instanceof HttpError) return env;
  let sql: Sql;
  try {
    sql = connect(env);
  } catch {
    // postgres.js parses the pool's URL at once: a malformed one must not crash the isolate at boot.
    const variable = env.DB_POOL_URL === undefined ? "SUPABASE_DB_URL" : "DB_POOL_URL";
    return misconfigured([`${variable}: is not a valid connection string`]);
  }
  return { env, sql, now: Date.now };
}

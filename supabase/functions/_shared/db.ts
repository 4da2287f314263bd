// Postgres access with postgres.js over DB_POOL_URL (SUPABASE_DB_URL by default): one small pool
// per isolate (index.ts creates it; it connects on first use), `prepare: false` so it works behind
// Supabase's transaction pooler, its connections closed when idle (an isolate waiting to be retired
// holds none). The helpers take the pool they run on. Work runs in a transaction with the role and
// `request.jwt.claims` set locally, exactly as PostgREST does, so RLS, grants and auth.uid() apply
// to it as to any Data API call.
import postgres from "postgres";
import type { UserClaims } from "./auth.ts";
import type { Env } from "./env.ts";

export type Sql = postgres.Sql;
export type Tx = postgres.TransactionSql;

/** Seconds an unused connection stays open: a burst's connections are not kept for the next. */
const idleTimeoutSeconds = 15;
/** A connection is replaced after this many seconds, even when busy, so none lives for long. */
const maxLifetimeSeconds = 5 * 60;

/** The isolate's pool, as the service's own login role. */
export function connect(env: Env): Sql {
  return postgres(env.DB_POOL_URL ?? env.SUPABASE_DB_URL, {
    prepare: false,
    max: env.DB_POOL_MAX,
    idle_timeout: idleTimeoutSeconds,
    max_lifetime: maxLifetimeSeconds,
    connect_timeout: 10,
    onnotice: () => {},
    connection: { application_name: "model-access-functions" },
  });
}

/**
 * At most `max` of a pool's operations at once, so that each has a connection to itself. Beyond
 * that, postgres.js pipelines queries on busy connections, batching a connection's small writes
 * behind setImmediate and cancelling it when the next write flushes; on the edge runtime's Deno the
 * cancelled callback can still run and throws, uncaught ("May not write null values to stream"), and
 * the isolate dies: under concurrent load, every second or so. The rest wait here, in order.
 */
class ConnectionSlots {
  #running = 0;
  readonly #waiting: (() => void)[] = [];

  constructor(private readonly max: number) {}

  async run<T>(work: () => Promise<T>): Promise<T> {
    if (this.#running < this.max) this.#running++;
    else await new Promise<void>((resolve) => this.#waiting.push(resolve));
    try {
      return await work();
    } finally {
      // The slot passes straight to the next in line, if any.
      const next = this.#waiting.shift();
      if (next) next();
      else this.#running--;
    }
  }
}

const slotsByPool = new WeakMap<Sql, ConnectionSlots>();

/** Runs `work` on `sql` once one of its connections is free for it alone. */
function withConnection<T>(sql: Sql, work: () => Promise<T>): Promise<T> {
  let slots = slotsByPool.get(sql);
  if (!slots) slotsByPool.set(sql, slots = new ConnectionSlots(sql.options.max));
  return slots.run(work);
}

type Role = "authenticated" | "service_role";

/**
 * statement_timeout of a user's statements: what Supabase gives `authenticated` on the Data API
 * (PostgREST applies the role's settings; SET ROLE alone would not). A statement stuck behind a
 * lock then frees its connection slot instead of queueing the isolate's requests behind it.
 */
export const userStatementTimeout = "8s";

export interface TransactionSettings {
  /**
   * statement_timeout for the statements of `fn` (e.g. "8s"). Postgres arms it when a statement
   * starts, so a function cannot limit itself: it is set with the role, before `fn` runs.
   */
  statementTimeout?: string;
}

function inRole<T>(
  sql: Sql,
  role: Role,
  claims: Record<string, unknown>,
  fn: (tx: Tx) => Promise<T>,
  settings: TransactionSettings = {},
) {
  return withConnection(sql, () =>
    sql.begin(async (tx) => {
      const timeout = settings.statementTimeout ??
        (role === "authenticated" ? userStatementTimeout : undefined);
      await tx`
        select set_config('role', ${role}, true),
               set_config('request.jwt.claims', ${JSON.stringify(claims)}, true)
               ${timeout ? tx`, set_config('statement_timeout', ${timeout}, true)` : tx``}`;
      return await fn(tx);
    }) as Promise<T>);
}

/** Runs `fn` in a transaction as the verified user (role `authenticated`, RLS applies). */
export function asUser<T>(
  sql: Sql,
  claims: UserClaims,
  fn: (tx: Tx) => Promise<T>,
  settings?: TransactionSettings,
): Promise<T> {
  return inRole(sql, "authenticated", claims, fn, settings);
}

/** Runs `fn` in a transaction as `service_role`, for the scheduler's sync. */
export function asServiceRole<T>(
  sql: Sql,
  fn: (tx: Tx) => Promise<T>,
  settings?: TransactionSettings,
): Promise<T> {
  return inRole(sql, "service_role", { role: "service_role" }, fn, settings);
}

/**
 * Runs constant SQL `statements` as the verified user in ONE round trip, for hot paths. It is one
 * simple-protocol query, whose statements form one implicit transaction: the role and claims set
 * locally by its first statement apply to the rest and vanish at its end (an error rolls it all
 * back; nothing leaks to the pooled connection, also behind Supabase's transaction pooler).
 * The simple protocol has no parameters, so the claims travel as a dollar-quoted literal whose tag
 * is random and absent from the claims: no claim value can end the literal. `statements` must be
 * constant text, never built from input. Returns one row array per statement after the first.
 */
export async function queryAsUser<Results extends unknown[][]>(
  sql: Sql,
  claims: UserClaims,
  statements: string,
): Promise<Results> {
  const json = JSON.stringify(claims);
  let tag: string;
  do {
    tag = `c${crypto.randomUUID().replaceAll("-", "")}`;
  } while (json.includes(tag));
  const results = await withConnection(sql, () =>
    sql.unsafe(
      `select set_config('role', 'authenticated', true),
              set_config('request.jwt.claims', $${tag}$${json}$${tag}$, true),
              set_config('statement_timeout', '${userStatementTimeout}', true);
       ${statements}`,
    ).simple()) as unknown as unknown[][];
  return results.slice(1) as Results;
}

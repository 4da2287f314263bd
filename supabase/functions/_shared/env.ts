// All environment variables the functions read, validated in one place. index.ts validates them
// once per isolate and hands the result to its app; an invalid one never crashes at boot: the app
// answers 500 server_misconfigured with a log line naming the variable, instead of an opaque relay
// error.
import { z } from "zod";
import { HttpError } from "./errors.ts";
import { catalogScopeSchema } from "./modality.ts";

/** Unset and empty mean the same: the default. */
const optional = <T extends z.ZodType>(schema: T) =>
  z.preprocess((v) => (v === "" ? undefined : v), schema.optional());

const int = (min: number, max: number, fallback: number) =>
  z.preprocess(
    (v) => (v === undefined || v === "" ? fallback : v),
    z.coerce.number().int().min(min).max(max),
  );

const jwksSchema = z.object({ keys: z.array(z.looseObject({ kty: z.string() })) });

const envSchema = z.object({
  /** postgres.js connection string; on hosted Supabase the pooler URL works (prepare: false). */
  SUPABASE_DB_URL: z.string().regex(/^postgres(ql)?:\/\//, "must be a postgres:// URL"),
  /**
   * The project URL: user tokens must be issued by its /auth/v1, and its
   * /auth/v1/.well-known/jwks.json is used when SUPABASE_JWKS is unset.
   */
  SUPABASE_URL: z.url({ protocol: /^https?$/ }),
  /**
   * The `iss` user tokens must carry, when not `<SUPABASE_URL>/auth/v1`: under `supabase functions
   * serve` SUPABASE_URL is the gateway's Docker name, and Auth issues tokens with the public URL.
   */
  JWT_ISSUER: optional(z.url({ protocol: /^https?$/ })),
  /** The project's public signing keys as JSON `{ "keys": [...] }`. */
  SUPABASE_JWKS: optional(
    z.string().transform((text, ctx) => {
      try {
        return jwksSchema.parse(JSON.parse(text));
      } catch {
        ctx.addIssue({ code: "custom", message: 'must be JSON like {"keys":[...]}' });
        return z.NEVER;
      }
    }),
  ),
  /** The legacy HS256 JWT secret (Supabase's "JWT secret"); our own name, see docs/FUNCTIONS.md. */
  JWT_SECRET: optional(z.string().min(32, "must be at least 32 characters")),
  /** Shared secret pg_cron sends to sync-models as a bearer token. */
  CRON_SECRET: optional(z.string().min(16, "must be at least 16 characters")),
  /**
   * https:, or for local development a file: URL or http: on a loopback host. It carries no
   * `output_modalities`: OPENROUTER_OUTPUT_MODALITIES is the one place for the scope.
   */
  OPENROUTER_MODELS_URL: optional(z.url({ protocol: /^(https?|file)$/ }))
    .transform((v) => v ?? "https://openrouter.ai/api/v1/models")
    .refine(
      isAllowedCatalogUrl,
      "must be https:, file:, or http: on a loopback host (127.0.0.0/8, localhost, [::1])",
    )
    .refine(
      (url) => !new URL(url).searchParams.has("output_modalities"),
      "must not carry output_modalities; set OPENROUTER_OUTPUT_MODALITIES",
    ),
  /**
   * The catalog the sync asks for (`output_modalities`): `text` is upstream's own default, kept
   * explicit so that a change of that default cannot remove models; `all` is the whole catalog.
   */
  OPENROUTER_OUTPUT_MODALITIES: optional(catalogScopeSchema).transform((v) => v ?? "text"),
  /** Largest catalog page accepted, in bytes after decompression; larger fails the sync. */
  OPENROUTER_MAX_BODY_BYTES: int(1024, 1_000_000_000, 20_000_000),
  OPENROUTER_API_KEY: optional(z.string()),
  /** Per-attempt time limit for one upstream request (connect, headers and body). */
  OPENROUTER_TIMEOUT_MS: int(100, 120_000, 20_000),
  /** Retries after the first attempt, on network errors, timeouts, 429 and 5xx. */
  OPENROUTER_MAX_RETRIES: int(0, 10, 2),
  /**
   * The whole catalog fetch's time limit (every page, attempt and wait): no attempt starts after
   * it and a running one is cut at it. A hosted function is killed at 150 s of wall clock (free
   * plan); the default leaves the rest for the database and recording the run's outcome.
   */
  OPENROUTER_TOTAL_BUDGET_MS: int(1000, 120_000, 60_000),
  /** First backoff delay; doubled per retry, with jitter. */
  OPENROUTER_RETRY_BASE_MS: int(0, 60_000, 500),
  /** Longest Retry-After we honour; longer ones are cut to this. */
  OPENROUTER_MAX_RETRY_AFTER_SECONDS: int(0, 600, 30),
  /** Minimum time between two manual (admin) syncs unless ?force=true (public.begin_sync_run). */
  ADMIN_SYNC_COOLDOWN_SECONDS: int(0, 86_400, 300),
  /**
   * Where each isolate's pool connects: SUPABASE_DB_URL when unset. Point it at Supavisor's
   * transaction pooler (port 6543) to share few database connections among many isolates.
   */
  DB_POOL_URL: optional(z.string().regex(/^postgres(ql)?:\/\//, "must be a postgres:// URL")),
  /** postgres.js pool size per isolate; see "Connection budget" in docs/FUNCTIONS.md. */
  DB_POOL_MAX: int(1, 50, 2),
});

export type Env = z.infer<typeof envSchema>;

/** The Supabase CLI's local JWT secret: it is public, so anyone could sign tokens with it. */
export const localJwtSecret = "super-secret-jwt-token-with-at-least-32-characters-long";

/** This machine: localhost, [::1] or 127.0.0.0/8 (the URL parser has normalised IPv4 forms such
 * as 127.1 or 0x7f.0.0.1 to dotted decimal, so a name like 127.0.0.1.example.com is not one). */
function isLoopbackHost(hostname: string): boolean {
  return hostname === "localhost" || hostname === "[::1]" ||
    /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(hostname);
}

/** Plain http: only to this machine, where no one on the way can change the catalog. */
function isAllowedCatalogUrl(url: string): boolean {
  const { protocol, hostname } = new URL(url);
  return protocol !== "http:" || isLoopbackHost(hostname);
}

/** A local stack's URL: a loopback host, or `kong` (the gateway on the Supabase CLI's network). */
function isLocalStack(url: string): boolean {
  const host = new URL(url).hostname;
  return host === "kong" || isLoopbackHost(host);
}

/** The environment parsed from `vars` (e.g. `Deno.env.toObject()`), or why it is not valid. */
export function loadEnv(vars: Record<string, string | undefined>): Env | HttpError {
  const result = envSchema.safeParse(vars);
  if (result.success) {
    const env = result.data;
    if (env.JWT_SECRET === localJwtSecret && !isLocalStack(env.SUPABASE_URL)) {
      return misconfigured([
        "JWT_SECRET: is the Supabase CLI's public local secret, accepted only on a local stack",
      ]);
    }
    return env;
  }
  const problems = result.error.issues.map((issue) =>
    `${issue.path.join(".")}: ${issue.code === "invalid_type" ? "missing" : issue.message}`
  );
  return misconfigured(problems);
}

/**
 * The error every request gets while the environment is invalid. What is wrong goes to the log
 * (by the error handler, with the request id), naming the variables and never their values.
 */
export function misconfigured(problems: string[]): HttpError {
  return new HttpError(
    500,
    "server_misconfigured",
    "The function is misconfigured; see the function log.",
    { cause: new Error(`environment is misconfigured: ${problems.join("; ")}`) },
  );
}

/** The cron secret, which only sync-models needs. */
export function requireCronSecret(env: Env): string {
  if (env.CRON_SECRET === undefined) throw misconfigured(["CRON_SECRET: missing"]);
  return env.CRON_SECRET;
}

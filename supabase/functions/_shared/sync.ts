// One sync code path for the scheduler (sync-models, as service_role) and admins (admin-models,
// as the admin user): fetch the catalog from OpenRouter, then hand it to the database in one call
// to public.sync_openrouter_models, which decides what changes and logs the run.
import type { Env } from "./env.ts";
import { HttpError } from "./errors.ts";
import type { Logger } from "./log.ts";
import { type Catalog, fetchCatalog, UpstreamError } from "./openrouter.ts";
import type { Tx } from "./db.ts";

/** Parsed JSON; zod types the unknown fields it keeps as `unknown`. */
type JSONValue = Parameters<Tx["json"]>[0];

/** Runs database work as whoever triggered the sync (asServiceRole or asUser(claims)). */
export type Runner = <T>(fn: (tx: Tx) => Promise<T>) => Promise<T>;

export interface SyncOptions {
  env: Env;
  triggeredBy: string;
  force: boolean;
  dryRun: boolean;
  run: Runner;
  log: Logger;
  /** The upstream fetch (fetchCatalog unless a caller brings its own, e.g. a test). */
  fetch?: typeof fetchCatalog;
  /** Refuse the run (429) while the last run by the same trigger is younger than this. */
  cooldownSeconds?: number;
}

export type SyncResult = Record<string, unknown> & { success: boolean };

/**
 * statement_timeout of the sync's statements, for callers' runners: long enough for a 100k-model
 * catalog, short enough that the run ends `failed` (and its locks go) well inside the free plan's
 * 150 s wall clock, with the upstream budget before it.
 */
export const syncStatementTimeout = "80s";

/** What the upstream fetch saw, returned beside the database's numbers. */
function upstreamSummary(catalog: Catalog) {
  return {
    pages: catalog.pages,
    received: catalog.received,
    sent: catalog.models.length,
    sanitized: catalog.sanitized,
    not_sent: catalog.skipped.slice(0, 20),
  };
}

/**
 * begin_sync_run's refusal within the cool-down (SQLSTATE PT429, its DETAIL a JSON object) as the
 * client's 429; anything else as it is.
 */
function coolDownRefusal(error: unknown, triggeredBy: string): unknown {
  const { code, detail } = (error ?? {}) as { code?: unknown; detail?: unknown };
  if (code !== "PT429" || typeof detail !== "string") return error;
  const wait = JSON.parse(detail) as { retry_after_seconds: number; last_run_seconds_ago: number };
  return new HttpError(
    429,
    "rate_limited",
    `The last ${triggeredBy} sync started ${wait.last_run_seconds_ago} s ago; wait ${wait.retry_after_seconds} s, or force it.`,
    {
      headers: { "Retry-After": String(wait.retry_after_seconds) },
      details: { retry_after_seconds: wait.retry_after_seconds },
      cause: error,
    },
  );
}

export async function syncCatalog(options: SyncOptions): Promise<SyncResult> {
  const { env, log } = options;
  // A real run is logged as `running` before the fetch, in its own transaction, so that a run
  // that dies on the way (wall-clock limit, lost connection) still leaves a row, which the next
  // run marks failed as stale; begin_sync_run also keeps the cool-down. A dry run leaves no trace.
  const syncLogId = options.dryRun ? null : (await options.run((tx) =>
    tx<{ id: string }[]>`
        select public.begin_sync_run(
          ${options.triggeredBy}, cooldown_seconds => ${options.cooldownSeconds ?? 0}
        ) as id`
  ).catch((error) => {
    throw coolDownRefusal(error, options.triggeredBy);
  }))[0].id;
  /** Ends the run `failed` with its cause: a run that began never stays `running`. */
  const markFailed = async (message: string, details: JSONValue) => {
    if (syncLogId === null) return;
    await options.run((tx) =>
      tx`select public.log_sync_failure(${options.triggeredBy}, ${message}, ${
        tx.json(details)
      }, ${syncLogId})`
    ).catch((logError) =>
      log.error("could not mark the sync run failed", { error: String(logError) })
    );
  };
  let catalog: Catalog;
  try {
    catalog = await (options.fetch ?? fetchCatalog)({
      url: env.OPENROUTER_MODELS_URL,
      outputModalities: env.OPENROUTER_OUTPUT_MODALITIES,
      apiKey: env.OPENROUTER_API_KEY,
      maxBodyBytes: env.OPENROUTER_MAX_BODY_BYTES,
      timeoutMs: env.OPENROUTER_TIMEOUT_MS,
      maxRetries: env.OPENROUTER_MAX_RETRIES,
      retryBaseMs: env.OPENROUTER_RETRY_BASE_MS,
      maxRetryAfterMs: env.OPENROUTER_MAX_RETRY_AFTER_SECONDS * 1000,
      budgetMs: env.OPENROUTER_TOTAL_BUDGET_MS,
      onRetry: (info) => log.warn("retrying the OpenRouter request", info),
    });
  } catch (error) {
    if (!(error instanceof UpstreamError)) {
      await markFailed(`fetching the catalog failed: ${String(error)}`, { error: "fetch_failed" });
      throw error;
    }
    log.error("OpenRouter catalog fetch failed", { error: error.message, ...error.details });
    await markFailed(error.message, error.details as unknown as JSONValue);
    const { attempts, status } = error.details;
    throw new HttpError(502, "upstream_unavailable", `OpenRouter catalog: ${error.message}`, {
      details: { attempts, status },
    });
  }
  const databaseStart = performance.now();
  // The database judges every record (private.parse_catalog_records); it is told which records
  // could not be sent and how many were cleaned, so that its counts cover them.
  const envelope = { data: catalog.models, skipped: catalog.skipped, sanitized: catalog.sanitized };
  let result: SyncResult;
  try {
    [{ result }] = await options.run((tx) =>
      tx<{ result: SyncResult }[]>`
        select public.sync_openrouter_models(
          ${tx.json(envelope as unknown as JSONValue)},
          ${options.triggeredBy},
          ${options.force},
          ${options.dryRun},
          sync_log_id => ${syncLogId}
        ) as result`
    );
  } catch (error) {
    // The call itself failed (connection lost, the database refused the payload). A no-op if the
    // database already ended the run.
    await markFailed((error as Error).message, { error: "sync_failed" });
    throw error;
  }
  if (Number(result.skipped_invalid) > 0 || catalog.sanitized > 0) {
    log.warn("skipped or cleaned catalog records", {
      skipped: result.skipped_invalid,
      reasons: result.skipped_reasons,
      sanitized: catalog.sanitized,
    });
  }
  const round = (ms: number) => Math.round(ms * 10) / 10;
  const summary = {
    ...result,
    upstream: upstreamSummary(catalog),
    // Where the request's time went: the benchmark reads these, operators see them in the log.
    timings_ms: {
      fetch: round(catalog.fetchMs),
      validate: round(catalog.validateMs),
      database: round(performance.now() - databaseStart),
    },
  };
  if (result.success) {
    log.info("catalog synced", {
      triggered_by: options.triggeredBy,
      dry_run: options.dryRun,
      ...result,
      timings_ms: summary.timings_ms,
    });
    return summary;
  }
  if (result.error === "integrity_gate" || result.error === "empty_catalog") {
    // Refused by the database's integrity gate; its message carries the numbers.
    throw new HttpError(409, "integrity_gate", String(result.message), { details: summary });
  }
  log.error("the database sync failed", { result });
  throw new HttpError(500, "internal_error", "The sync failed; see the sync log.", {
    details: { sync_log_id: result.sync_log_id, error: result.error },
  });
}

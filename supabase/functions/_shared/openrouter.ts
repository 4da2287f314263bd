// Fetches OpenRouter's model catalog: a time limit per attempt, bounded retries with exponential
// backoff (jittered) on network errors, timeouts, 429 and 5xx, honouring Retry-After, all within
// one time budget for the whole fetch; follows `links.next` pagination on the same origin only;
// reads file:// URLs from disk so a local stack can sync offline.
// It never goes where it was not pointed: redirects are refused rather than followed (a moved
// catalog is an operator's decision, and a redirect could lead to an internal address), and each
// body is read against a size cap while it streams, whatever Content-Length says.
// It asks for its scope explicitly (`output_modalities`): upstream's default is text-output
// models, and a change of that default must not look like a mass removal.
// Records are not judged here: the database's one parser (private.parse_catalog_records) decides
// what a valid record is. This side only makes each record something Postgres can hold: text
// cannot hold \u0000 (removed) nor lone surrogates (replaced by U+FFFD), and a record nested
// deeper than MAX_RECORD_DEPTH is passed on as skipped rather than sent (jsonb input recurses).
import { fileURLToPath } from "node:url";
import { z } from "zod";

/** Deeper than any real record (about 4); far below what the database's input would refuse. */
export const MAX_RECORD_DEPTH = 32;

const pageSchema = z.looseObject({
  data: z.array(z.unknown()),
  links: z.looseObject({ next: z.string().nullish() }).nullish(),
});

export interface FetchOptions {
  url: string;
  /** Sent as `output_modalities` on every page of an http(s) URL: `all` or a comma list. */
  outputModalities: string;
  apiKey?: string;
  /** Largest body accepted per page, in bytes (after decompression). */
  maxBodyBytes: number;
  timeoutMs: number;
  maxRetries: number;
  retryBaseMs: number;
  maxRetryAfterMs: number;
  /**
   * The whole fetch's time limit, every page, attempt and wait included: no attempt starts after
   * it, a running one is cut at it, and a wait that would outlast it ends the fetch at once.
   */
  budgetMs: number;
  /** Guard against a pagination loop. */
  maxPages?: number;
  onRetry?: (info: { url: string; attempt: number; delayMs: number; reason: string }) => void;
}

export interface SkippedRecord {
  index: number;
  id?: string;
  problem: string;
}

export interface Catalog {
  /** The records to hand to the database, as received except for what Postgres cannot hold. */
  models: unknown[];
  pages: number;
  /** Records received. */
  received: number;
  /** Records that cannot be sent (too deeply nested), all of them, for the database to count. */
  skipped: SkippedRecord[];
  /** Records sent after removing \u0000 or replacing lone surrogates. */
  sanitized: number;
  /** Wall-clock time spent fetching (network and JSON parsing) and preparing records. */
  fetchMs: number;
  validateMs: number;
}

/** \u0000, or a surrogate that is not half of a pair. */
const unholdableSource =
  "\\u0000|[\\uD800-\\uDBFF](?![\\uDC00-\\uDFFF])|(?<![\\uD800-\\uDBFF])[\\uDC00-\\uDFFF]";
const unholdable = new RegExp(unholdableSource);
const unholdableEverywhere = new RegExp(unholdableSource, "g");

/** A copy of `value` Postgres can hold, whether it had to change, or null if nested too deeply. */
function holdable(value: unknown, depth: number, changed: { value: boolean }): unknown {
  if (typeof value === "string") {
    if (!unholdable.test(value)) return value;
    changed.value = true;
    return value.replace(unholdableEverywhere, (c) => c === "\u0000" ? "" : "\uFFFD");
  }
  if (value === null || typeof value !== "object") return value;
  if (depth >= MAX_RECORD_DEPTH) throw new RangeError("too deeply nested");
  if (Array.isArray(value)) return value.map((item) => holdable(item, depth + 1, changed));
  const copy: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(value)) {
    copy[holdable(key, depth, changed) as string] = holdable(item, depth + 1, changed);
  }
  return copy;
}

/** The record as Postgres can hold it, or why it cannot be sent. */
export function prepareRecord(
  record: unknown,
): { record: unknown; sanitized: boolean } | { problem: string } {
  const changed = { value: false };
  try {
    const copy = holdable(record, 0, changed);
    return { record: changed.value ? copy : record, sanitized: changed.value };
  } catch (error) {
    if (error instanceof RangeError) return { problem: "too_deeply_nested" };
    throw error;
  }
}

/** The upstream could not be fetched or did not answer with a catalog. */
export class UpstreamError extends Error {
  constructor(
    message: string,
    readonly details: { url: string; attempts: number; status?: number },
  ) {
    super(message);
    this.name = "UpstreamError";
  }
}

class RetryableError extends Error {
  constructor(message: string, readonly status?: number, readonly retryAfterMs?: number) {
    super(message);
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Retry-After in milliseconds (delta-seconds or an HTTP date), if present and sane. */
export function parseRetryAfter(value: string | null, now = Date.now()): number | undefined {
  if (value === null || value.trim() === "") return undefined;
  if (/^\d+$/.test(value.trim())) return Number(value.trim()) * 1000;
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

function backoff(options: FetchOptions, attempt: number, retryAfterMs?: number): number {
  if (retryAfterMs !== undefined) return Math.min(retryAfterMs, options.maxRetryAfterMs);
  const ceiling = options.retryBaseMs * 2 ** attempt;
  return Math.round(ceiling / 2 + Math.random() * ceiling / 2);
}

/** When the budget of one fetchCatalog call runs out (performance.now() time). */
interface Budget {
  ms: number;
  deadline: number;
}

const remaining = (budget: Budget) => budget.deadline - performance.now();

const tooLarge = (url: URL, limit: number, what: string) =>
  new UpstreamError(
    `the response ${what} more than the limit of ${limit} bytes (OPENROUTER_MAX_BODY_BYTES)`,
    { url: url.href, attempts: 1 },
  );

/**
 * The body as text, read chunk by chunk and cancelled as soon as it passes `limit`: a declared
 * Content-Length is not trusted (it counts compressed bytes, or is absent when chunked).
 */
async function readCapped(
  body: ReadableStream<Uint8Array> | null,
  url: URL,
  limit: number,
): Promise<string> {
  if (body === null) return "";
  const chunks: Uint8Array[] = [];
  let size = 0;
  for await (const chunk of body) {
    size += chunk.byteLength;
    // Leaving the loop cancels the stream, so the rest is never read.
    if (size > limit) throw tooLarge(url, limit, "body grew to");
    chunks.push(chunk);
  }
  const bytes = new Uint8Array(size);
  let at = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, at);
    at += chunk.byteLength;
  }
  return new TextDecoder().decode(bytes);
}

async function readOnce(
  url: URL,
  options: FetchOptions,
  budget: Budget,
): Promise<{ text: string }> {
  if (url.protocol === "file:") {
    try {
      const file = await Deno.open(fileURLToPath(url));
      return { text: await readCapped(file.readable, url, options.maxBodyBytes) };
    } catch (error) {
      if (error instanceof UpstreamError) throw error;
      throw new UpstreamError(`cannot read ${url.pathname}: ${(error as Error).message}`, {
        url: url.href,
        attempts: 1,
      });
    }
  }
  const headers: Record<string, string> = { accept: "application/json" };
  if (options.apiKey) headers.authorization = `Bearer ${options.apiKey}`;
  let response: Response;
  const cutByBudget = remaining(budget) < options.timeoutMs;
  try {
    const signal = AbortSignal.timeout(Math.max(0, Math.min(options.timeoutMs, remaining(budget))));
    response = await fetch(url, { headers, signal, redirect: "manual" });
    if (response.status >= 300 && response.status < 400) {
      await response.body?.cancel();
      const location = (response.headers.get("location") ?? "none").slice(0, 200);
      throw new UpstreamError(
        `HTTP ${response.status}: redirects are refused (Location: ${location}); point OPENROUTER_MODELS_URL at the catalog itself`,
        { url: url.href, attempts: 1, status: response.status },
      );
    }
    if (response.status === 429 || response.status >= 500) {
      await response.body?.cancel();
      throw new RetryableError(
        `HTTP ${response.status}`,
        response.status,
        parseRetryAfter(response.headers.get("retry-after")),
      );
    }
    if (!response.ok) {
      await response.body?.cancel();
      throw new UpstreamError(`HTTP ${response.status}`, {
        url: url.href,
        attempts: 1,
        status: response.status,
      });
    }
    const declared = Number(response.headers.get("content-length") ?? NaN);
    if (declared > options.maxBodyBytes && !response.headers.has("content-encoding")) {
      await response.body?.cancel();
      throw tooLarge(url, options.maxBodyBytes, `declares ${declared} bytes,`);
    }
    // The time limit covers the body too: the same signal aborts the read.
    return { text: await readCapped(response.body, url, options.maxBodyBytes) };
  } catch (error) {
    if (error instanceof RetryableError || error instanceof UpstreamError) throw error;
    const name = (error as Error).name;
    if (name === "TimeoutError" || name === "AbortError") {
      throw new RetryableError(
        cutByBudget
          ? `no complete answer before the upstream budget of ${budget.ms} ms ran out`
          : `no complete answer within ${options.timeoutMs} ms`,
      );
    }
    throw new RetryableError(`network error: ${(error as Error).message}`);
  }
}

async function fetchPage(
  url: URL,
  options: FetchOptions,
  budget: Budget,
): Promise<z.infer<typeof pageSchema>> {
  let attempt = 0;
  for (;;) {
    if (remaining(budget) <= 0) {
      throw new UpstreamError(`the upstream budget of ${budget.ms} ms ran out before ${url.href}`, {
        url: url.href,
        attempts: attempt,
      });
    }
    let text: string;
    try {
      ({ text } = await readOnce(url, options, budget));
    } catch (error) {
      if (error instanceof UpstreamError) {
        throw new UpstreamError(error.message, { ...error.details, attempts: attempt + 1 });
      }
      const retryable = error as RetryableError;
      if (attempt >= options.maxRetries) {
        throw new UpstreamError(`${retryable.message} (after ${attempt + 1} attempts)`, {
          url: url.href,
          attempts: attempt + 1,
          status: retryable.status,
        });
      }
      const delayMs = backoff(options, attempt, retryable.retryAfterMs);
      if (delayMs >= remaining(budget)) {
        throw new UpstreamError(
          `${retryable.message} (after ${
            attempt + 1
          } attempts; the upstream budget of ${budget.ms} ms leaves no time for another)`,
          { url: url.href, attempts: attempt + 1, status: retryable.status },
        );
      }
      options.onRetry?.({
        url: url.href,
        attempt: attempt + 1,
        delayMs,
        reason: retryable.message,
      });
      await sleep(delayMs);
      attempt++;
      continue;
    }
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      throw new UpstreamError("the response is not valid JSON", {
        url: url.href,
        attempts: attempt + 1,
      });
    }
    const page = pageSchema.safeParse(json);
    if (!page.success) {
      throw new UpstreamError("the response has no `data` array", {
        url: url.href,
        attempts: attempt + 1,
      });
    }
    return page.data;
  }
}

/** Same scheme and host: pagination must not lead the function anywhere else (SSRF). */
function sameOrigin(a: URL, b: URL): boolean {
  return a.protocol === b.protocol && a.host === b.host;
}

/** `url` asking for the configured scope; a file holds what it holds. */
function scoped(url: URL, outputModalities: string): URL {
  if (url.protocol === "file:") return url;
  const copy = new URL(url);
  copy.searchParams.set("output_modalities", outputModalities);
  return copy;
}

/**
 * Fetches every page of the catalog and prepares each record for the database, which judges it.
 * Throws UpstreamError. Repeated ids are left to the database too.
 */
export async function fetchCatalog(options: FetchOptions): Promise<Catalog> {
  const first = scoped(new URL(options.url), options.outputModalities);
  const maxPages = options.maxPages ?? 100;
  const catalog: Catalog = {
    models: [],
    pages: 0,
    received: 0,
    skipped: [],
    sanitized: 0,
    fetchMs: 0,
    validateMs: 0,
  };
  const budget = { ms: options.budgetMs, deadline: performance.now() + options.budgetMs };
  const seenUrls = new Set<string>();
  let next: URL | undefined = first;
  while (next) {
    if (seenUrls.has(next.href) || catalog.pages >= maxPages) {
      throw new UpstreamError("pagination does not end", { url: next.href, attempts: 1 });
    }
    seenUrls.add(next.href);
    const fetchStart = performance.now();
    const page = await fetchPage(next, options, budget);
    const validateStart = performance.now();
    catalog.fetchMs += validateStart - fetchStart;
    catalog.pages++;
    for (const record of page.data) {
      const index = catalog.received++;
      const prepared = prepareRecord(record);
      if ("problem" in prepared) {
        const id = (record as { id?: unknown } | null)?.id;
        catalog.skipped.push({
          index,
          ...(typeof id === "string" && !unholdable.test(id) ? { id } : {}),
          problem: prepared.problem,
        });
        continue;
      }
      if (prepared.sanitized) catalog.sanitized++;
      catalog.models.push(prepared.record);
    }
    catalog.validateMs += performance.now() - validateStart;
    const link = page.links?.next;
    if (link) {
      const candidate: URL = new URL(link, next);
      if (!sameOrigin(candidate, first)) {
        throw new UpstreamError("pagination points to another origin", {
          url: candidate.href,
          attempts: 1,
        });
      }
      next = scoped(candidate, options.outputModalities);
    } else {
      next = undefined;
    }
  }
  return catalog;
}

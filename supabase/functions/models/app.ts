// GET /functions/v1/models: the models the caller's subscription tier may use, as decided by the
// database (public.get_user_allowed_models_v2, run as the caller so RLS applies).
//   legacy (default):    { "models": ["provider/model", ...] }
//   ?enhanced=true:      { "models": [{ id, name, description, context_length, pricing, ...,
//                                       usage: null | { daily: {...}, monthly: {...} },
//                                       deprecation: null | { deprecated_at, sunset_at,
//                                                             replacement_model_id } }],
//                          "default_model": { chosen, resolved, reason } }
//   ?output_modality=image: either list, only the models whose output modalities include it.
// Conditional requests: ETag (a hash of the body) and If-None-Match → 304.
// Every request makes one round trip, one statement: the caller's tier, the catalog version
// (private.catalog_version, moved by every committed catalog change) and the database's clock,
// and for the enhanced list the caller's counters and resolved default model. The rendered lists
// stay in memory keyed by tier and version (and, for the enhanced list, the quota periods) until
// their earliest sunset; only a request that finds no such list reads the catalog, in a second
// statement. No tier, counter or default is kept between requests, so a committed change is seen
// by the next request on every isolate.
// A filtered list is cut from the same cached rows, its rendering kept beside the full one.
// POST /functions/v1/models/consume { "model_id" }: public.consume_model_quota as the caller;
// 200 when allowed, 429 (Retry-After) when a quota is used up, 403 when the model is not allowed.
import type { Hono } from "hono";
import { z } from "zod";
import { requireUser, type UserClaims } from "../_shared/auth.ts";
import { asUser, queryAsUser, type Sql } from "../_shared/db.ts";
import type { AppDeps } from "../_shared/deps.ts";
import { etagOf, matchesIfNoneMatch } from "../_shared/etag.ts";
import { HttpError } from "../_shared/errors.ts";
import {
  type AppEnv,
  cachedBodyResponse,
  createApp,
  depsOf,
  onlyAllow,
  readJson,
  validate,
} from "../_shared/http.ts";
import {
  outputModalities,
  type OutputModality,
  outputModalitySchema,
  producesOutput,
} from "../_shared/modality.ts";
import { modelIdSchema } from "../_shared/model_id.ts";
import type { AsRead, FunctionRow } from "../_shared/rows.ts";

/** A row of the tier's list, as postgres.js reads it (prices and the bigint `created` exact). */
type AllowedModelRow = AsRead<
  FunctionRow<"get_user_allowed_models_v2", "model_id">,
  "prompt_price" | "completion_price" | "created_timestamp",
  "deprecated_at" | "sunset_at"
>;

/** What a tier's list depends on, as of one statement: a list is cached under it. */
interface ListKey {
  tier: string;
  version: string;
  /** The database's now(): what get_user_allowed_models_v2 compares sunsets with. */
  now: Date;
}

interface Rendered {
  body: Uint8Array;
  etag: string;
  count: number;
  /** The body as text, kept for small bodies (see cachedBodyResponse). */
  text?: string;
}

/** A period's quota counters as the enhanced list and consume_model_quota show them. */
interface PeriodUsage {
  limit: number | null;
  used: number;
  remaining: number | null;
  resets_at: string;
}

interface Periods {
  day_resets_at: string;
  month_resets_at: string;
}

/**
 * The enhanced list of a tier for one pair of quota periods, with every caller's usage at zero:
 * one JSON fragment per model, so a caller's own usage replaces only the fragments of the limited
 * models they used, and the rest of the body is reused as is.
 */
interface EnhancedTemplate {
  periods: string;
  rows: AllowedModelRow[];
  fragments: string[];
  /** Index in `rows` of each model with a daily or monthly limit. */
  limited: Map<string, number>;
  /** The body, up to its default model, of a caller who has used none of the limited models. */
  unused: Rendered;
  /** The same per output modality filter, rendered on first request. */
  filtered: Map<OutputModality, Promise<FilteredTemplate>>;
}

interface FilteredTemplate {
  /** Index in the template's `rows` of each model the filter keeps, in list order. */
  indices: number[];
  unused: Rendered;
}

interface TierList {
  /** private.catalog_version of the statement that read the rows. */
  version: string;
  /** Time of the earliest sunset among the rows: the list changes then without a write. */
  expiresAt: number;
  rows: AllowedModelRow[];
  legacy: Rendered;
  /** The legacy list per output modality filter, rendered on first request. */
  filteredLegacy: Map<OutputModality, Promise<Rendered>>;
  /** Per quota periods; a promise, so that concurrent first requests render it once. */
  enhanced?: { periods: string; template: Promise<EnhancedTemplate> };
}

export const keySql = `
  select public.get_my_tier() as tier,
         (select v.version::text from private.catalog_version as v) as version,
         now() as now`;

/**
 * The key and the list in ONE statement, hence one snapshot (the list function is stable, so it
 * reads the tier and the catalog as of this statement): the list always belongs to exactly the
 * key it is cached under. A caller with an empty list gets one row of nulls.
 */
const keyAndListSql = `
  select k.tier, k.version, k.now, l.*
    from (${keySql}) as k
    left join lateral public.get_user_allowed_models_v2() with ordinality as l on true
   order by l.ordinality`;

type KeyAndListRow = ListKey & (AllowedModelRow | { [K in keyof AllowedModelRow]: null });

interface UsageKeyRow extends ListKey, Periods {
  /** JSON text: [[model_id, "day" | "month", request_count], ...] for the current periods. */
  usage: string;
  /** JSON text: public.get_my_default_model() as { chosen, resolved, reason }. */
  default_model: string;
}

/**
 * For the enhanced list, the same key plus, in the same statement and snapshot, the quota
 * periods (private.quota_periods: the same UTC day and month consume_model_quota counts in), the
 * caller's counters for them (two short range scans of model_usage's primary key) and the
 * caller's default model as the database resolves it.
 */
export const usageKeySql = `
  select k.tier, k.version, k.now, q.day_resets_at, q.month_resets_at,
         (select coalesce(json_agg(json_build_array(u.model_id, u.period, u.request_count)), '[]')
            from public.model_usage as u
           where u.user_id = (select auth.uid())
             and ((u.period = 'day' and u.period_start = q.day_start)
               or (u.period = 'month' and u.period_start = q.month_start)))::text as usage,
         (select row_to_json(d) from public.get_my_default_model() as d)::text as default_model
    from (${keySql}) as k
   cross join private.quota_periods() as q`;

/**
 * The earliest sunset among `rows` (the list changes then), else never. The database listed only
 * models whose sunset is after its now(), which is what a cached list is checked against.
 */
function earliestSunset(rows: AllowedModelRow[]): number {
  let earliest = Infinity;
  for (const row of rows) {
    const at = row.sunset_at?.getTime();
    if (at !== undefined && at < earliest) earliest = at;
  }
  return earliest;
}

const encoder = new TextEncoder();

/**
 * A `{ models }` body from the models, or from their JSON `fragments` when `asFragments`: then
 * the enhanced body up to its `default_model` (see enhancedBody).
 */
async function render(models: unknown[], asFragments = false): Promise<Rendered> {
  const body = asFragments
    ? joinFragments(models as string[])
    : encoder.encode(JSON.stringify({ models }));
  return { body, etag: await etagOf(body), count: models.length };
}

function periodUsage(limit: number | null, used: number, resetsAt: string): PeriodUsage {
  return {
    limit,
    used,
    remaining: limit === null ? null : Math.max(limit - used, 0),
    resets_at: resetsAt,
  };
}

/** `usage` of a model: null without limits, else both periods' counters (the caller's). */
function modelUsage(row: AllowedModelRow, periods: Periods, day = 0, month = 0) {
  if (row.daily_limit === null && row.monthly_limit === null) return null;
  return {
    daily: periodUsage(row.daily_limit, day, periods.day_resets_at),
    monthly: periodUsage(row.monthly_limit, month, periods.month_resets_at),
  };
}

function enhancedModel(row: AllowedModelRow, usage: ReturnType<typeof modelUsage>) {
  return {
    id: row.model_id,
    name: row.model_name,
    description: row.model_description,
    context_length: row.context_length,
    pricing: { prompt: row.prompt_price, completion: row.completion_price },
    input_modalities: row.input_modalities ?? [],
    output_modalities: row.output_modalities ?? [],
    supported_parameters: row.supported_parameters ?? [],
    created: row.created_timestamp === null ? null : Number(row.created_timestamp),
    daily_limit: row.daily_limit,
    monthly_limit: row.monthly_limit,
    usage,
    deprecation: row.deprecated_at === null && row.sunset_at === null ? null : {
      deprecated_at: row.deprecated_at,
      sunset_at: row.sunset_at,
      replacement_model_id: row.replacement_model_id,
    },
  };
}

const fragment = (row: AllowedModelRow, usage: ReturnType<typeof modelUsage>) =>
  JSON.stringify(enhancedModel(row, usage));

const joinFragments = (fragments: string[]) =>
  encoder.encode(`{"models":[${fragments}],"default_model":`);

/** What a request answers: a kept rendering and, for the enhanced list, the caller's own tail. */
interface Reply {
  tier: string;
  list: Rendered;
  etag: string;
  tail?: string;
}

/**
 * The enhanced body: the tier's rendering (which ends with `"default_model":`) and the caller's
 * default model after it. The default is per user, the rendering per tier, so the default is
 * sent as a tail rather than rendered into a copy; the ETag hashes the rendering's ETag with the
 * tail, so it changes exactly when either does.
 */
async function enhancedBody(tier: string, list: Rendered, defaultModel: string): Promise<Reply> {
  const tail = `${defaultModel}}`;
  return { tier, list, tail, etag: await etagOf(encoder.encode(list.etag + tail)) };
}

const periodsKey = (periods: Periods) => `${periods.day_resets_at}|${periods.month_resets_at}`;

function enhancedTemplate(list: TierList, periods: Periods): Promise<EnhancedTemplate> {
  const key = periodsKey(periods);
  if (list.enhanced?.periods !== key) {
    list.enhanced = { periods: key, template: renderTemplate(list, periods, key) };
  }
  return list.enhanced.template;
}

async function renderTemplate(
  list: TierList,
  periods: Periods,
  key: string,
): Promise<EnhancedTemplate> {
  const fragments = list.rows.map((row) => fragment(row, modelUsage(row, periods)));
  const limited = new Map<string, number>();
  list.rows.forEach((row, i) => {
    if (row.daily_limit !== null || row.monthly_limit !== null) limited.set(row.model_id, i);
  });
  const body = joinFragments(fragments);
  return {
    periods: key,
    rows: list.rows,
    fragments,
    limited,
    unused: { body, etag: await etagOf(body), count: fragments.length },
    filtered: new Map(),
  };
}

function filteredTemplate(
  template: EnhancedTemplate,
  modality: OutputModality,
): Promise<FilteredTemplate> {
  let filtered = template.filtered.get(modality);
  if (!filtered) {
    const indices = template.rows.flatMap((row, i) =>
      producesOutput(row.output_modalities, modality) ? [i] : []
    );
    filtered = render(indices.map((i) => template.fragments[i]), true)
      .then((unused) => ({ indices, unused }));
    template.filtered.set(modality, filtered);
  }
  return filtered;
}

/**
 * The lists one app has rendered, its render cache: each tier's latest list, and the reads under
 * way. Every request still makes its round trip on `sql` for the key; only the rendering is kept.
 */
class TierLists {
  /** The latest list read of each tier. */
  private readonly byTier = new Map<string, TierList>();
  /** Reads of a tier's list under way, by tier and version, shared by concurrent requests. */
  private readonly reads = new Map<string, Promise<{ tier: string; list: TierList }>>();

  async legacy(
    sql: Sql,
    claims: UserClaims,
    modality: OutputModality | undefined,
  ): Promise<Reply> {
    const [[key]] = await queryAsUser<[ListKey[]]>(sql, claims, keySql);
    const { tier, list } = await this.listFor(sql, claims, key);
    if (modality === undefined) return { tier, list: list.legacy, etag: list.legacy.etag };
    let filtered = list.filteredLegacy.get(modality);
    if (!filtered) {
      filtered = render(
        list.rows.filter((row) => producesOutput(row.output_modalities, modality))
          .map((row) => row.model_id),
      );
      list.filteredLegacy.set(modality, filtered);
    }
    const rendered = await filtered;
    return { tier, list: rendered, etag: rendered.etag };
  }

  /**
   * The enhanced list with the caller's usage and default model: the tier's template, with the
   * fragments of the limited models the caller used in the current periods rendered again with
   * their counters.
   */
  async enhanced(
    sql: Sql,
    claims: UserClaims,
    modality: OutputModality | undefined,
  ): Promise<Reply> {
    const [[key]] = await queryAsUser<[UsageKeyRow[]]>(sql, claims, usageKeySql);
    const counts: [modelId: string, period: string, count: number][] = JSON.parse(key.usage);
    const { tier, list } = await this.listFor(sql, claims, key);
    const template = await enhancedTemplate(list, key);
    const filtered = modality === undefined
      ? undefined
      : await filteredTemplate(template, modality);
    const used = new Map<number, { day: number; month: number }>();
    for (const [modelId, period, count] of counts) {
      const index = template.limited.get(modelId);
      if (index === undefined || count === 0) continue;
      const entry = used.get(index) ?? { day: 0, month: 0 };
      if (period === "day") entry.day = count;
      else entry.month = count;
      used.set(index, entry);
    }
    if (used.size === 0) {
      return enhancedBody(tier, (filtered ?? template).unused, key.default_model);
    }
    const fragments = [...template.fragments];
    for (const [index, { day, month }] of used) {
      const row = template.rows[index];
      fragments[index] = fragment(row, modelUsage(row, key, day, month));
    }
    const listed = filtered ? filtered.indices.map((i) => fragments[i]) : fragments;
    return enhancedBody(tier, await render(listed, true), key.default_model);
  }

  /**
   * The list of the key's tier: the cached one when it was read at the key's version and no
   * listed sunset has passed by the key's clock, else read afresh (one read per tier and version
   * at a time: a cold cache under load would otherwise read and render per request).
   */
  private async listFor(sql: Sql, claims: UserClaims, key: ListKey) {
    const cached = this.byTier.get(key.tier);
    if (cached?.version === key.version && key.now.getTime() < cached.expiresAt) {
      return { tier: key.tier, list: cached };
    }
    const readKey = `${key.tier}:${key.version}`;
    const pending = this.reads.get(readKey);
    if (pending) {
      // Read with another caller's claims: theirs is the same list only while their tier is ours,
      // and, as its statement may have run before ours, only if no listed sunset has passed by our
      // clock.
      const shared = await pending;
      if (shared.tier === key.tier && key.now.getTime() < shared.list.expiresAt) return shared;
    }
    const read = this.read(sql, claims);
    this.reads.set(readKey, read);
    try {
      return await read;
    } finally {
      if (this.reads.get(readKey) === read) this.reads.delete(readKey);
    }
  }

  /** Reads and renders the caller's tier's list and keeps it unless a newer version is kept. */
  private async read(sql: Sql, claims: UserClaims) {
    const [rows] = await queryAsUser<[KeyAndListRow[]]>(sql, claims, keyAndListSql);
    const key = rows[0];
    const models = rows.filter((row): row is KeyAndListRow & AllowedModelRow =>
      row.model_id !== null
    );
    const list: TierList = {
      version: key.version,
      expiresAt: earliestSunset(models),
      rows: models,
      legacy: await render(models.map((row) => row.model_id)),
      filteredLegacy: new Map(),
    };
    const kept = this.byTier.get(key.tier);
    if (kept === undefined || BigInt(kept.version) <= BigInt(list.version)) {
      this.byTier.set(key.tier, list);
    }
    return { tier: key.tier, list };
  }
}

function parseEnhanced(values: string[] | undefined): boolean {
  if (values === undefined) return false;
  if (values.length === 1 && (values[0] === "true" || values[0] === "false")) {
    return values[0] === "true";
  }
  throw new HttpError(400, "invalid_request", "`enhanced` must be `true` or `false`.");
}

function parseOutputModality(values: string[] | undefined): OutputModality | undefined {
  if (values === undefined) return undefined;
  const parsed = values.length === 1 ? outputModalitySchema.safeParse(values[0]) : undefined;
  if (parsed?.success) return parsed.data;
  throw new HttpError(
    400,
    "invalid_request",
    `\`output_modality\` must be one of ${outputModalities.join(", ")}.`,
  );
}

const consumeSchema = z.strictObject({ model_id: modelIdSchema });

/** What public.consume_model_quota answers. */
interface QuotaDecision {
  allowed: boolean;
  reason: "not_allowed" | "daily_limit_reached" | "monthly_limit_reached" | null;
  model_id: string;
  daily: PeriodUsage | null;
  monthly: PeriodUsage | null;
}

/** Whole seconds from `now` until `resetsAt`, at least 1. */
function secondsUntil(resetsAt: string, now: number): number {
  return Math.max(1, Math.ceil((Date.parse(resetsAt) - now) / 1000));
}

export function createModelsApp(deps: AppDeps): Hono<AppEnv> {
  const lists = new TierLists();
  const app = createApp("models", deps);

  app.get("/", requireUser, async (c) => {
    const enhanced = parseEnhanced(c.req.queries("enhanced"));
    const modality = parseOutputModality(c.req.queries("output_modality"));
    const { sql } = depsOf(c);
    const { tier, list, etag, tail } = enhanced
      ? await lists.enhanced(sql, c.get("claims"), modality)
      : await lists.legacy(sql, c.get("claims"), modality);
    const headers = {
      "Content-Type": "application/json; charset=utf-8",
      "Cache-Control": "private",
      Vary: "Authorization",
      ETag: etag,
      "X-Enhanced-Mode": String(enhanced),
      "X-Models-Count": String(list.count),
      "X-User-Tier": tier,
    };
    if (matchesIfNoneMatch(c.req.header("if-none-match"), etag)) {
      return new Response(null, { status: 304, headers });
    }
    return cachedBodyResponse(list, headers, tail);
  });
  app.all("/", onlyAllow("GET"));

  app.post("/consume", requireUser, async (c) => {
    const { model_id } = validate(consumeSchema, await readJson(c), "body");
    const { sql, now } = depsOf(c);
    const [{ result }] = await asUser(
      sql,
      c.get("claims"),
      (tx) =>
        tx<{ result: QuotaDecision }[]>`
        select public.consume_model_quota(${model_id}) as result`,
    );
    if (result.allowed) return c.json(result);
    if (result.reason === "not_allowed") {
      throw new HttpError(403, "forbidden", "Your subscription tier does not include this model.", {
        details: result,
      });
    }
    const blocking = result.reason === "monthly_limit_reached" ? result.monthly! : result.daily!;
    const period = result.reason === "monthly_limit_reached" ? "monthly" : "daily";
    throw new HttpError(429, "quota_exceeded", `The ${period} quota of this model is used up.`, {
      details: result,
      headers: { "Retry-After": String(secondsUntil(blocking.resets_at, now())) },
    });
  });
  app.all("/consume", onlyAllow("POST"));

  return app;
}

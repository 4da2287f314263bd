// GET /functions/v1/models: the models the caller's subscription tier may use, as decided by the
// database (public.get_user_allowed_models_v2, run as the caller so RLS applies).
//   legacy (default):    { "models": ["provider/model", ...] }
//   ?enhanced=true:      { "models": [{ id, name, description, context_length, pricing, ...,
//                                       usage: null | { daily: {...}, monthly: {...} },
//                                       deprecation: null | { deprecated_at, sunset_at,
//                                                             replacement_model_id } }] }
// Conditional requests: ETag (a hash of the body) and If-None-Match → 304.
// POST /functions/v1/models/consume { "model_id" }: public.consume_model_quota as the caller;
// 200 when allowed, 429 (Retry-After) when a quota is used up, 403 when the model is not allowed.
import { z } from "zod";
import { requireUser, type UserClaims } from "../_shared/auth.ts";
import { asUser, queryAsUser } from "../_shared/db.ts";
import { etagOf, matchesIfNoneMatch } from "../_shared/etag.ts";
import { HttpError } from "../_shared/errors.ts";
import { createApp, onlyAllow, readJson, validate } from "../_shared/http.ts";
import { modelIdSchema } from "../_shared/model_id.ts";

interface AllowedModelRow {
  model_id: string;
  model_name: string | null;
  model_description: string | null;
  context_length: number | null;
  prompt_price: string | null;
  completion_price: string | null;
  input_modalities: string[] | null;
  output_modalities: string[] | null;
  supported_parameters: string[] | null;
  daily_limit: number | null;
  monthly_limit: number | null;
  /** bigint: postgres.js hands it over as a string. */
  created_timestamp: string | number | null;
  /** Set only for deprecated models (listed until their sunset). */
  deprecated_at: Date | null;
  sunset_at: Date | null;
  replacement_model_id: string | null;
}

interface CatalogState {
  tier: string;
  fingerprint: string;
}

interface Rendered {
  body: Uint8Array<ArrayBuffer>;
  etag: string;
  count: number;
}

/** A period's quota counters as the enhanced list and consume_model_quota show them. */
interface PeriodUsage {
  limit: number | null;
  used: number;
  remaining: number | null;
  resets_at: string;
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
  /** The body of a caller who has used none of the limited models in these periods. */
  unused: Rendered;
}

interface TierLists {
  fingerprint: string;
  rows: AllowedModelRow[];
  legacy: Rendered;
  enhanced?: EnhancedTemplate;
}

/**
 * The caller's tier and a fingerprint of every model some tier is offered (private.tier_models, the
 * one rule behind the list): its count and the XOR of a 64-bit hash of each row's id and
 * updated_at (kept by trigger, so any change to a row changes it; a row leaving or joining the
 * offered set, a sunset passing included, changes it too).
 * get_user_allowed_models_v2 depends on nothing else (the tier and the offered rows), so equal
 * (tier, fingerprint) means an equal list.
 */
const stateSql = `
  select public.get_my_tier() as tier,
         (select count(*) || ':' || coalesce(bit_xor(hashtextextended(
                   m.model_id, (extract(epoch from m.updated_at) * 1000000)::bigint)), 0)
            from public.model_access as m
           where m.model_id in (select t.model_id from private.tier_models as t))
           as fingerprint`;

/**
 * The state and the list in ONE statement, hence one snapshot (the list function is stable, so it
 * reads the tier and the catalog as of this statement): the list always belongs to exactly the
 * (tier, fingerprint) it is cached under. A caller with an empty list gets one row of nulls.
 */
const stateAndListSql = `
  select s.tier, s.fingerprint, l.*
    from (${stateSql}) as s
    left join lateral public.get_user_allowed_models_v2() with ordinality as l on true
   order by l.ordinality`;

type StateAndListRow = CatalogState & (AllowedModelRow | { [K in keyof AllowedModelRow]: null });

interface UsageState extends CatalogState {
  day_resets_at: string;
  month_resets_at: string;
  /** JSON text: [[model_id, "day" | "month", request_count], ...] for the current periods. */
  usage: string;
}

/**
 * For the enhanced list, the same state plus, in the same statement and snapshot, the quota
 * periods (private.quota_periods: the same UTC day and month consume_model_quota counts in) and
 * the caller's counters for them: two short range scans of model_usage's primary key.
 */
const usageStateSql = `
  select s.tier, s.fingerprint, q.day_resets_at, q.month_resets_at,
         (select coalesce(json_agg(json_build_array(u.model_id, u.period, u.request_count)), '[]')
            from public.model_usage as u
           where u.user_id = (select auth.uid())
             and ((u.period = 'day' and u.period_start = q.day_start)
               or (u.period = 'month' and u.period_start = q.month_start)))::text as usage
    from (${stateSql}) as s
   cross join private.quota_periods() as q`;

/** Rendered lists per tier, for the latest fingerprint seen. */
const cache = new Map<string, TierLists>();

const encoder = new TextEncoder();

/** A `{ models }` body from the models, or from their JSON `fragments` when `asFragments`. */
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

interface Periods {
  day_resets_at: string;
  month_resets_at: string;
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

/** The tier's lists for `state`, from the cache or read afresh (then cached). */
async function listsFor(claims: UserClaims, state: CatalogState) {
  const cached = cache.get(state.tier);
  if (cached?.fingerprint === state.fingerprint) return { tier: state.tier, lists: cached };
  const [rows] = await queryAsUser<[StateAndListRow[]]>(claims, stateAndListSql);
  const fresh = rows[0];
  const models = rows.filter((row): row is CatalogState & AllowedModelRow => row.model_id !== null);
  const lists: TierLists = {
    fingerprint: fresh.fingerprint,
    rows: models,
    legacy: await render(models.map((row) => row.model_id)),
  };
  cache.set(fresh.tier, lists);
  return { tier: fresh.tier, lists };
}

async function legacyList(claims: UserClaims) {
  const [[state]] = await queryAsUser<[CatalogState[]]>(claims, stateSql);
  const { tier, lists } = await listsFor(claims, state);
  return { tier, list: lists.legacy };
}

const fragment = (row: AllowedModelRow, usage: ReturnType<typeof modelUsage>) =>
  JSON.stringify(enhancedModel(row, usage));

const joinFragments = (fragments: string[]) => encoder.encode(`{"models":[${fragments}]}`);

async function enhancedTemplate(lists: TierLists, periods: Periods): Promise<EnhancedTemplate> {
  const key = `${periods.day_resets_at}|${periods.month_resets_at}`;
  if (lists.enhanced?.periods === key) return lists.enhanced;
  const fragments = lists.rows.map((row) => fragment(row, modelUsage(row, periods)));
  const limited = new Map<string, number>();
  lists.rows.forEach((row, i) => {
    if (row.daily_limit !== null || row.monthly_limit !== null) limited.set(row.model_id, i);
  });
  const body = joinFragments(fragments);
  lists.enhanced = {
    periods: key,
    rows: lists.rows,
    fragments,
    limited,
    unused: { body, etag: await etagOf(body), count: fragments.length },
  };
  return lists.enhanced;
}

/**
 * The enhanced list with the caller's usage: the tier's template, with the fragments of the
 * limited models the caller used in the current periods rendered again with their counters.
 */
async function enhancedList(claims: UserClaims) {
  const [[state]] = await queryAsUser<[UsageState[]]>(claims, usageStateSql);
  const { tier, lists } = await listsFor(claims, state);
  const template = await enhancedTemplate(lists, state);
  const used = new Map<number, { day: number; month: number }>();
  for (const [modelId, period, count] of JSON.parse(state.usage) as [string, string, number][]) {
    const index = template.limited.get(modelId);
    if (index === undefined || count === 0) continue;
    const entry = used.get(index) ?? { day: 0, month: 0 };
    if (period === "day") entry.day = count;
    else entry.month = count;
    used.set(index, entry);
  }
  if (used.size === 0) return { tier, list: template.unused };
  const fragments = [...template.fragments];
  for (const [index, { day, month }] of used) {
    const row = template.rows[index];
    fragments[index] = fragment(row, modelUsage(row, state, day, month));
  }
  return { tier, list: await render(fragments, true) };
}

function parseEnhanced(values: string[] | undefined): boolean {
  if (values === undefined) return false;
  if (values.length === 1 && (values[0] === "true" || values[0] === "false")) {
    return values[0] === "true";
  }
  throw new HttpError(400, "invalid_request", "`enhanced` must be `true` or `false`.");
}

const app = createApp("models");

app.get("/", requireUser, async (c) => {
  const enhanced = parseEnhanced(c.req.queries("enhanced"));
  const { tier, list } = enhanced
    ? await enhancedList(c.get("claims"))
    : await legacyList(c.get("claims"));
  const headers = {
    "Content-Type": "application/json; charset=utf-8",
    "Cache-Control": "private",
    Vary: "Authorization",
    ETag: list.etag,
    "X-Enhanced-Mode": String(enhanced),
    "X-Models-Count": String(list.count),
    "X-User-Tier": tier,
  };
  if (matchesIfNoneMatch(c.req.header("if-none-match"), list.etag)) {
    return new Response(null, { status: 304, headers });
  }
  return new Response(list.body, { status: 200, headers });
});
app.all("/", onlyAllow("GET"));

const consumeSchema = z.strictObject({ model_id: modelIdSchema });

/** What public.consume_model_quota answers. */
interface QuotaDecision {
  allowed: boolean;
  reason: "not_allowed" | "daily_limit_reached" | "monthly_limit_reached" | null;
  model_id: string;
  daily: PeriodUsage | null;
  monthly: PeriodUsage | null;
}

/** Whole seconds until `resetsAt`, at least 1. */
function secondsUntil(resetsAt: string): number {
  return Math.max(1, Math.ceil((Date.parse(resetsAt) - Date.now()) / 1000));
}

app.post("/consume", requireUser, async (c) => {
  const { model_id } = validate(consumeSchema, await readJson(c), "body");
  const [{ result }] = await asUser(
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
    headers: { "Retry-After": String(secondsUntil(blocking.resets_at)) },
  });
});
app.all("/consume", onlyAllow("POST"));

export default app;

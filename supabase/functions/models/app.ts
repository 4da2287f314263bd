// GET /functions/v1/models: the models the caller's subscription tier may use, as decided by the
// database (public.get_user_allowed_models_v2, run as the caller so RLS applies).
//   legacy (default):    { "models": ["provider/model", ...] }
//   ?enhanced=true:      { "models": [{ id, name, description, context_length, pricing, ...,
//                                       usage: null | { daily: {...}, monthly: {...} },
//                                       deprecation: null | { deprecated_at, sunset_at,
//                                                             replacement_model_id } }] }
// Conditional requests: ETag (a hash of the body) and If-None-Match → 304.
// Caching: rendered lists per tier, and each caller's tier and usage, stay in memory and are
// dropped by the database's cache signals (_shared/cache_signals.ts), so a warm request needs no
// database round trip; when signals are not trusted, one round trip checks the tier and the
// catalog version.
// POST /functions/v1/models/consume { "model_id" }: public.consume_model_quota as the caller;
// 200 when allowed, 429 (Retry-After) when a quota is used up, 403 when the model is not allowed.
import { z } from "zod";
import { requireUser, type UserClaims } from "../_shared/auth.ts";
import { announce, reset, signalsTrusted, subscribe } from "../_shared/cache_signals.ts";
import { asUser, queryAsUser } from "../_shared/db.ts";
import { etagOf, matchesIfNoneMatch } from "../_shared/etag.ts";
import { HttpError } from "../_shared/errors.ts";
import { cachedBodyResponse, createApp, onlyAllow, readJson, validate } from "../_shared/http.ts";
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

/** The caller's tier, and the catalog version when it was read from the database just now. */
interface CatalogState {
  tier: string;
  version?: string;
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
  /** private.catalog_version when the rows were read. */
  version: string;
  /** Date.now() of the earliest sunset among the rows: the list changes then without a write. */
  expiresAt: number;
  rows: AllowedModelRow[];
  legacy: Rendered;
  /** Per quota periods; a promise, so that concurrent first requests render it once. */
  enhanced?: { periods: string; template: Promise<EnhancedTemplate> };
}

/**
 * The caller's tier and the catalog version (bumped by every write to model_access, in the same
 * transaction). get_user_allowed_models_v2 depends on nothing else but the clock (a sunset), so
 * an equal (tier, version) before the earliest listed sunset means an equal list.
 */
const stateSql = `
  select public.get_my_tier() as tier,
         (select v.version::text from private.catalog_version as v) as version`;

/**
 * The state and the list in ONE statement, hence one snapshot (the list function is stable, so it
 * reads the tier and the catalog as of this statement): the list always belongs to exactly the
 * (tier, version) it is cached under. A caller with an empty list gets one row of nulls.
 */
const stateAndListSql = `
  select s.tier, s.version, l.*
    from (${stateSql}) as s
    left join lateral public.get_user_allowed_models_v2() with ordinality as l on true
   order by l.ordinality`;

type StateAndListRow =
  & Required<CatalogState>
  & (AllowedModelRow | { [K in keyof AllowedModelRow]: null });

interface UsageStateRow extends Required<CatalogState>, Periods {
  /** JSON text: [[model_id, "day" | "month", request_count], ...] for the current periods. */
  usage: string;
}

/**
 * For the enhanced list, the same state plus, in the same statement and snapshot, the quota
 * periods (private.quota_periods: the same UTC day and month consume_model_quota counts in) and
 * the caller's counters for them: two short range scans of model_usage's primary key.
 */
const usageStateSql = `
  select s.tier, s.version, q.day_resets_at, q.month_resets_at,
         (select coalesce(json_agg(json_build_array(u.model_id, u.period, u.request_count)), '[]')
            from public.model_usage as u
           where u.user_id = (select auth.uid())
             and ((u.period = 'day' and u.period_start = q.day_start)
               or (u.period = 'month' and u.period_start = q.month_start)))::text as usage
    from (${stateSql}) as s
   cross join private.quota_periods() as q`;

/** A caller's counters in the current quota periods. */
interface Usage extends Periods {
  counts: [modelId: string, period: string, count: number][];
}

interface CallerState extends CatalogState {
  usage?: Usage;
}

/**
 * What this isolate knows of its callers, kept while cache signals are trusted and dropped by them
 * (`tier:<id>`, `usage:<id>`): most requests then need no database round trip at all.
 */
const callers = new Map<string, { tier?: string; usage?: Usage }>();
const maxCallers = 50_000;

/** Rendered lists per tier. */
const listsByTier = new Map<string, TierLists>();

/**
 * A database read under way. A signal about what it reads marks it stale: the change it announces
 * may have committed after the read's snapshot, so what the read returns is used once, not cached.
 */
interface Read {
  stale: boolean;
}

/** Reads of callers' tier and usage under way, by user id. */
const callerReads = new Map<string, Set<Read>>();

/** Reads of a tier's lists under way, shared by concurrent requests (see listsFor). */
const listReads = new Map<
  string,
  { ticket: Read; read: Promise<{ tier: string; lists: TierLists }> }
>();

function beginCallerRead(userId: string): Read {
  const ticket = { stale: false };
  const reads = callerReads.get(userId) ?? new Set();
  callerReads.set(userId, reads.add(ticket));
  return ticket;
}

function endCallerRead(userId: string, ticket: Read) {
  const reads = callerReads.get(userId);
  reads?.delete(ticket);
  if (reads?.size === 0) callerReads.delete(userId);
}

function markStale(reads: Iterable<Read>) {
  for (const read of reads) read.stale = true;
}

subscribe((signal) => {
  if (signal === reset || signal === "catalog") {
    listsByTier.clear();
    for (const { ticket } of listReads.values()) ticket.stale = true;
    // Counters of models without a limit are not signalled; a catalog change may set a limit.
    for (const reads of callerReads.values()) markStale(reads);
    if (signal === reset) callers.clear();
    else for (const caller of callers.values()) delete caller.usage;
    return;
  }
  const [kind, userId] = signal.split(":");
  markStale(callerReads.get(userId) ?? []);
  const caller = callers.get(userId);
  if (kind === "tier" && caller) delete caller.tier;
  if (kind === "usage" && caller) delete caller.usage;
});

function rememberCaller(userId: string, known: { tier: string; usage?: Usage }) {
  const caller = callers.get(userId);
  if (caller) return Object.assign(caller, known);
  if (callers.size >= maxCallers) callers.delete(callers.keys().next().value!);
  callers.set(userId, { ...known });
}

const periodsKey = (periods: Periods) => `${periods.day_resets_at}|${periods.month_resets_at}`;

/** private.quota_periods' resets_at values for now, computed here (RFC 3339, UTC, no fraction). */
function currentPeriods(now = new Date()): Periods {
  const iso = (ms: number) => new Date(ms).toISOString().replace(".000Z", "Z");
  const [year, month, day] = [now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate()];
  return {
    day_resets_at: iso(Date.UTC(year, month, day + 1)),
    month_resets_at: iso(Date.UTC(year, month + 1, 1)),
  };
}

/**
 * The caller's tier (and usage, `withUsage`): from memory while cache signals are trusted, else
 * from the database, with the catalog version, in one round trip. What was read is remembered
 * unless a signal about this caller arrived meanwhile (it might predate the change announced).
 */
async function callerState(claims: UserClaims, withUsage: boolean): Promise<CallerState> {
  if (signalsTrusted()) {
    const known = callers.get(claims.sub);
    const usageKnown = !withUsage ||
      (known?.usage !== undefined && periodsKey(known.usage) === periodsKey(currentPeriods()));
    if (known?.tier !== undefined && usageKnown) return { tier: known.tier, usage: known.usage };
  }
  const ticket = beginCallerRead(claims.sub);
  try {
    if (!withUsage) {
      const [[row]] = await queryAsUser<[Required<CatalogState>[]]>(claims, stateSql);
      if (!ticket.stale) rememberCaller(claims.sub, { tier: row.tier });
      return row;
    }
    const [[row]] = await queryAsUser<[UsageStateRow[]]>(claims, usageStateSql);
    const usage: Usage = {
      day_resets_at: row.day_resets_at,
      month_resets_at: row.month_resets_at,
      counts: JSON.parse(row.usage),
    };
    if (!ticket.stale) rememberCaller(claims.sub, { tier: row.tier, usage });
    return { tier: row.tier, version: row.version, usage };
  } finally {
    endCallerRead(claims.sub, ticket);
  }
}

/**
 * The earliest sunset among `rows` (the list changes then), else never. A listed model's sunset
 * may already have passed by this clock (the database decided with its own, a moment earlier):
 * such a list is then used once and not kept.
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

/**
 * The tier's lists: cached ones while valid (before their earliest sunset; and, when the version
 * was read just now, of that version, otherwise kept valid by the signals), else read afresh.
 */
async function listsFor(claims: UserClaims, state: CatalogState) {
  const cached = listsByTier.get(state.tier);
  if (
    cached && Date.now() < cached.expiresAt &&
    (state.version === undefined || cached.version === state.version)
  ) {
    return { tier: state.tier, lists: cached };
  }
  // A read of this tier's lists already under way, not made stale by a signal since, is as fresh
  // as a new one: share it (a cold cache under load would otherwise read and render per request).
  const pending = listReads.get(state.tier);
  if (pending && !pending.ticket.stale) {
    const shared = await pending.read;
    const sameList = shared.tier === state.tier &&
      (state.version === undefined || shared.lists.version === state.version);
    if (sameList) return shared;
  }
  const ticket = { stale: false };
  const read = readLists(claims, ticket);
  listReads.set(state.tier, { ticket, read });
  try {
    return await read;
  } finally {
    if (listReads.get(state.tier)?.read === read) listReads.delete(state.tier);
  }
}

/** Reads and renders the caller's tier's lists; caches them unless a signal made them stale. */
async function readLists(claims: UserClaims, ticket: Read) {
  const [rows] = await queryAsUser<[StateAndListRow[]]>(claims, stateAndListSql);
  const fresh = rows[0];
  const models = rows.filter((row): row is StateAndListRow & AllowedModelRow =>
    row.model_id !== null
  );
  const lists: TierLists = {
    version: fresh.version,
    expiresAt: earliestSunset(models),
    rows: models,
    legacy: await render(models.map((row) => row.model_id)),
  };
  if (!ticket.stale && Date.now() < lists.expiresAt) listsByTier.set(fresh.tier, lists);
  return { tier: fresh.tier, lists };
}

async function legacyList(claims: UserClaims) {
  const { tier, lists } = await listsFor(claims, await callerState(claims, false));
  return { tier, list: lists.legacy };
}

const fragment = (row: AllowedModelRow, usage: ReturnType<typeof modelUsage>) =>
  JSON.stringify(enhancedModel(row, usage));

const joinFragments = (fragments: string[]) => encoder.encode(`{"models":[${fragments}]}`);

function enhancedTemplate(lists: TierLists, periods: Periods): Promise<EnhancedTemplate> {
  const key = periodsKey(periods);
  if (lists.enhanced?.periods !== key) {
    lists.enhanced = { periods: key, template: renderTemplate(lists, periods, key) };
  }
  return lists.enhanced.template;
}

async function renderTemplate(
  lists: TierLists,
  periods: Periods,
  key: string,
): Promise<EnhancedTemplate> {
  const fragments = lists.rows.map((row) => fragment(row, modelUsage(row, periods)));
  const limited = new Map<string, number>();
  lists.rows.forEach((row, i) => {
    if (row.daily_limit !== null || row.monthly_limit !== null) limited.set(row.model_id, i);
  });
  const body = joinFragments(fragments);
  return {
    periods: key,
    rows: lists.rows,
    fragments,
    limited,
    unused: { body, etag: await etagOf(body), count: fragments.length },
  };
}

/**
 * The enhanced list with the caller's usage: the tier's template, with the fragments of the
 * limited models the caller used in the current periods rendered again with their counters.
 */
async function enhancedList(claims: UserClaims) {
  const state = await callerState(claims, true);
  const usage = state.usage!;
  const { tier, lists } = await listsFor(claims, state);
  const template = await enhancedTemplate(lists, usage);
  const used = new Map<number, { day: number; month: number }>();
  for (const [modelId, period, count] of usage.counts) {
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
    fragments[index] = fragment(row, modelUsage(row, usage, day, month));
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
  return cachedBodyResponse(list, headers);
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
  // Committed: this caller's next list shows it, even before the database's signal arrives.
  if (result.allowed) announce(`usage:${c.get("claims").sub}`);
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

// GET /functions/v1/models: the models the caller's subscription tier may use, as decided by the
// database (public.get_user_allowed_models_v2, run as the caller so RLS applies).
//   legacy (default):    { "models": ["provider/model", ...] }
//   ?enhanced=true:      { "models": [{ id, name, description, context_length, pricing, ... }] }
// Conditional requests: ETag (a hash of the body) and If-None-Match → 304.
import { requireUser, type UserClaims } from "../_shared/auth.ts";
import { queryAsUser } from "../_shared/db.ts";
import { etagOf, matchesIfNoneMatch } from "../_shared/etag.ts";
import { HttpError } from "../_shared/errors.ts";
import { createApp, onlyAllow } from "../_shared/http.ts";

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

interface TierLists {
  fingerprint: string;
  legacy: Rendered;
  enhanced: Rendered;
}

/**
 * The caller's tier and a fingerprint of every active model row: its count and the XOR of a
 * 64-bit hash of each row's id and updated_at (kept by trigger, so any change to a row changes
 * it; a row leaving or joining the active set changes it too). get_user_allowed_models_v2 depends
 * on nothing else (the tier and the active rows), so equal (tier, fingerprint) means an equal list.
 */
const stateSql = `
  select public.get_my_tier() as tier,
         (select count(*) || ':' || coalesce(bit_xor(hashtextextended(
                   m.model_id, (extract(epoch from m.updated_at) * 1000000)::bigint)), 0)
            from public.model_access as m
           where m.status = 'active') as fingerprint`;

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

/** Rendered lists per tier, for the latest fingerprint seen. */
const cache = new Map<string, TierLists>();

const encoder = new TextEncoder();

async function render(models: unknown[]): Promise<Rendered> {
  const body = encoder.encode(JSON.stringify({ models }));
  return { body, etag: await etagOf(body), count: models.length };
}

function enhancedModel(row: AllowedModelRow) {
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
  };
}

async function listsFor(claims: UserClaims) {
  const [[state]] = await queryAsUser<[CatalogState[]]>(claims, stateSql);
  const cached = cache.get(state.tier);
  if (cached?.fingerprint === state.fingerprint) return { tier: state.tier, lists: cached };
  const [rows] = await queryAsUser<[StateAndListRow[]]>(claims, stateAndListSql);
  const fresh = rows[0];
  const models = rows.filter((row): row is CatalogState & AllowedModelRow => row.model_id !== null);
  const lists: TierLists = {
    fingerprint: fresh.fingerprint,
    legacy: await render(models.map((row) => row.model_id)),
    enhanced: await render(models.map(enhancedModel)),
  };
  cache.set(fresh.tier, lists);
  return { tier: fresh.tier, lists };
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
  const { tier, lists } = await listsFor(c.get("claims"));
  const list = enhanced ? lists.enhanced : lists.legacy;
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

export default app;

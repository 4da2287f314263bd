// /functions/v1/admin-models: catalog management for admins (profiles.is_admin). Every operation
// runs as the admin user, so the database's RLS, function checks and audit trigger see who it is.
//   GET    /admin-models                 list with filters, paging and total count
//   PATCH  /admin-models                 bulk change { model_ids, changes }, all or nothing
//   POST   /admin-models/sync            manual sync (?dry_run=true, ?force=true)
//   GET    /admin-models/sync-log        recent sync runs, newest first
//   GET    /admin-models/:modelId        one model
//   PATCH  /admin-models/:modelId        change one model
// :modelId is the model id percent-encoded as ONE path segment (encodeURIComponent), see
// _shared/model_id.ts: /admin-models/deepseek%2Fdeepseek-r1-0528%3Afree.
import { z } from "zod";
import { requireAdmin } from "../_shared/admin.ts";
import { asUser, type Tx } from "../_shared/db.ts";
import { getEnv } from "../_shared/env.ts";
import { HttpError, notFound } from "../_shared/errors.ts";
import { type AppContext, createApp, onlyAllow, readJson, validate } from "../_shared/http.ts";
import { modelIdSchema } from "../_shared/model_id.ts";
import { syncCatalog } from "../_shared/sync.ts";

const tiers = ["free", "pro", "enterprise"] as const;
const statuses = ["new", "active", "inactive", "disabled"] as const;

const booleanParam = z.enum(["true", "false"]).transform((v) => v === "true");

const listQuerySchema = z.strictObject({
  status: z.enum(statuses).optional(),
  tier: z.enum(tiers).optional(),
  q: z.string().min(1).max(200).optional(),
  provider: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._~-]*$/, "must be a provider id").max(100)
    .optional(),
  limit: z.coerce.number().int().min(1).max(500).default(50),
  offset: z.coerce.number().int().min(0).max(1_000_000).default(0),
});

const limitValue = z.number().int().positive().max(2_147_483_647).nullable();

/** What an admin may change; `inactive` is the sync's to set and clear. */
const changesSchema = z.strictObject({
  is_free: z.boolean(),
  is_pro: z.boolean(),
  is_enterprise: z.boolean(),
  status: z.enum(["new", "active", "disabled"]),
  daily_limit: limitValue,
  monthly_limit: limitValue,
}).partial().refine((changes) => Object.keys(changes).length > 0, "name at least one field");

type Changes = z.infer<typeof changesSchema>;

const bulkSchema = z.strictObject({
  model_ids: z.array(modelIdSchema).min(1).max(1000),
  changes: changesSchema,
});

const syncQuerySchema = z.strictObject({
  dry_run: booleanParam.default(false),
  force: booleanParam.default(false),
});

const syncLogQuerySchema = z.strictObject({
  limit: z.coerce.number().int().min(1).max(100).default(20),
});

interface ModelRow {
  model_id: string;
  model_name: string | null;
  model_description: string | null;
  status: string;
  is_free: boolean;
  is_pro: boolean;
  is_enterprise: boolean;
  daily_limit: number | null;
  monthly_limit: number | null;
  prompt_price: string | null;
  completion_price: string | null;
  request_price: string | null;
  image_price: string | null;
  web_search_price: string | null;
  internal_reasoning_price: string | null;
  input_cache_read_price: string | null;
  input_cache_write_price: string | null;
  context_length: number | null;
  max_completion_tokens: number | null;
  modality: string | null;
  input_modalities: string[] | null;
  output_modalities: string[] | null;
  supported_parameters: string[] | null;
  created_timestamp: string | null;
  canonical_slug: string | null;
  hugging_face_id: string | null;
  is_moderated: boolean | null;
  status_before_inactive: string | null;
  upstream_removed_at: Date | null;
  last_synced_at: Date | null;
  openrouter_last_seen: Date | null;
  created_at: Date;
  updated_at: Date;
}

const modelColumns = (tx: Tx) =>
  tx`
    m.model_id, m.model_name, m.model_description, m.status, m.is_free, m.is_pro,
    m.is_enterprise, m.daily_limit, m.monthly_limit, m.prompt_price, m.completion_price,
    m.request_price, m.image_price, m.web_search_price, m.internal_reasoning_price,
    m.input_cache_read_price, m.input_cache_write_price, m.context_length,
    m.max_completion_tokens, m.modality, m.input_modalities, m.output_modalities,
    m.supported_parameters, m.created_timestamp, m.canonical_slug, m.hugging_face_id,
    m.is_moderated, m.status_before_inactive, m.upstream_removed_at, m.last_synced_at,
    m.openrouter_last_seen, m.created_at, m.updated_at`;

function adminModel(row: ModelRow) {
  return {
    id: row.model_id,
    name: row.model_name,
    description: row.model_description,
    status: row.status,
    is_free: row.is_free,
    is_pro: row.is_pro,
    is_enterprise: row.is_enterprise,
    daily_limit: row.daily_limit,
    monthly_limit: row.monthly_limit,
    pricing: {
      prompt: row.prompt_price,
      completion: row.completion_price,
      request: row.request_price,
      image: row.image_price,
      web_search: row.web_search_price,
      internal_reasoning: row.internal_reasoning_price,
      input_cache_read: row.input_cache_read_price,
      input_cache_write: row.input_cache_write_price,
    },
    context_length: row.context_length,
    max_completion_tokens: row.max_completion_tokens,
    modality: row.modality,
    input_modalities: row.input_modalities,
    output_modalities: row.output_modalities,
    supported_parameters: row.supported_parameters,
    created: row.created_timestamp === null ? null : Number(row.created_timestamp),
    canonical_slug: row.canonical_slug,
    hugging_face_id: row.hugging_face_id,
    is_moderated: row.is_moderated,
    status_before_inactive: row.status_before_inactive,
    upstream_removed_at: row.upstream_removed_at,
    last_synced_at: row.last_synced_at,
    openrouter_last_seen: row.openrouter_last_seen,
    created_at: row.created_at,
    updated_at: row.updated_at,
  };
}

function selectModels(tx: Tx, ids: string[]) {
  return tx<ModelRow[]>`
    select ${modelColumns(tx)}
      from public.model_access as m
     where m.model_id = any(${ids}::text[])
     order by m.model_id`;
}

/** The model id from the path: one percent-encoded segment, decoded by the router. */
function modelIdParam(c: AppContext): string {
  return validate(modelIdSchema, c.req.param("modelId"), "model id");
}

/** LIKE pattern matching `text` anywhere, with its wildcards escaped. */
const containsPattern = (text: string) => `%${text.replace(/[\\%_]/g, (ch) => `\\${ch}`)}%`;

const tierCondition = (tx: Tx, tier: (typeof tiers)[number]) => {
  switch (tier) {
    case "free":
      return tx`m.is_free`;
    case "pro":
      return tx`(m.is_free or m.is_pro)`;
    case "enterprise":
      return tx`(m.is_free or m.is_pro or m.is_enterprise)`;
  }
};

/** Applies changes to models through the database function, all or nothing; 404 on unknown ids. */
async function updateModels(tx: Tx, ids: string[], changes: Changes) {
  const [{ result }] = await tx<{ result: Record<string, unknown> }[]>`
    select public.update_models_access(${ids}::text[], ${tx.json(changes)}) as result`;
  if (result.success === false) {
    if (result.error === "unknown_models") {
      throw notFound("Unknown model ids; nothing was changed.", {
        unknown_ids: result.unknown_ids,
      });
    }
    // invalid_changes, invalid_status, invalid_limit: zod refuses these first; kept as a 400.
    throw new HttpError(400, "invalid_request", String(result.message ?? result.error));
  }
  return {
    updated: Number(result.updated_count),
    unchanged: Number(result.unchanged_count),
    rows: await selectModels(tx, ids),
  };
}

const app = createApp("admin-models", {
  notFoundHint: "Model ids go percent-encoded in one path segment: /admin-models/openai%2Fgpt-4o.",
});
app.use(requireAdmin);

app.get("/", async (c) => {
  const query = validate(listQuerySchema, c.req.query(), "query");
  const page = await asUser(c.get("claims"), async (tx) => {
    const where = tx`
      where true
      ${query.status ? tx`and m.status = ${query.status}` : tx``}
      ${query.tier ? tx`and ${tierCondition(tx, query.tier)}` : tx``}
      ${query.provider ? tx`and starts_with(m.model_id, ${`${query.provider}/`})` : tx``}
      ${
      query.q
        ? tx`and (m.model_id ilike ${containsPattern(query.q)}
                  or m.model_name ilike ${containsPattern(query.q)})`
        : tx``
    }`;
    const [[{ total }], rows] = await Promise.all([
      tx<
        { total: number }[]
      >`select count(*)::integer as total from public.model_access as m ${where}`,
      tx<ModelRow[]>`
        select ${modelColumns(tx)} from public.model_access as m ${where}
         order by m.model_id
         limit ${query.limit} offset ${query.offset}`,
    ]);
    return { total, rows };
  });
  const nextOffset = query.offset + page.rows.length;
  c.header("X-Total-Count", String(page.total));
  return c.json({
    models: page.rows.map(adminModel),
    total: page.total,
    limit: query.limit,
    offset: query.offset,
    next_offset: nextOffset < page.total && page.rows.length > 0 ? nextOffset : null,
  });
});

app.patch("/", async (c) => {
  const body = validate(bulkSchema, await readJson(c), "body");
  const ids = [...new Set(body.model_ids)];
  const { updated, unchanged, rows } = await asUser(
    c.get("claims"),
    (tx) => updateModels(tx, ids, body.changes),
  );
  return c.json({ updated, unchanged, models: rows.map(adminModel) });
});
app.all("/", onlyAllow("GET", "PATCH"));

app.post("/sync", async (c) => {
  const query = validate(syncQuerySchema, c.req.query(), "query");
  const claims = c.get("claims");
  const cooldown = getEnv().ADMIN_SYNC_COOLDOWN_SECONDS;
  await asUser(claims, async (tx) => {
    if (query.dry_run || query.force || cooldown === 0) return;
    const [last] = await tx<{ age_seconds: number }[]>`
      select extract(epoch from now() - started_at)::float8 as age_seconds
        from public.model_sync_log
       where triggered_by = 'admin'
       order by started_at desc
       limit 1`;
    if (last && last.age_seconds < cooldown) {
      const retryAfter = Math.max(1, Math.ceil(cooldown - last.age_seconds));
      throw new HttpError(
        429,
        "rate_limited",
        `A manual sync ran ${
          Math.floor(last.age_seconds)
        } s ago; wait ${retryAfter} s or add ?force=true.`,
        {
          headers: { "Retry-After": String(retryAfter) },
          details: { retry_after_seconds: retryAfter },
        },
      );
    }
  });
  const result = await syncCatalog({
    triggeredBy: "admin",
    force: query.force,
    dryRun: query.dry_run,
    run: (fn) => asUser(claims, fn),
    log: c.get("log"),
  });
  return c.json(result);
});
app.all("/sync", onlyAllow("POST"));

app.get("/sync-log", async (c) => {
  const query = validate(syncLogQuerySchema, c.req.query(), "query");
  const runs = await asUser(c.get("claims"), (tx) =>
    tx<Record<string, unknown>[]>`
      select * from public.model_sync_log
       order by started_at desc, id desc
       limit ${query.limit}`);
  return c.json({
    runs: runs.map((run) => ({
      ...run,
      id: Number(run.id),
      duration_ms: run.duration_ms === null ? null : Number(run.duration_ms),
    })),
  });
});
app.all("/sync-log", onlyAllow("GET"));

// Sync health for monitoring (public.get_sync_health): last success and its age, the last run,
// consecutive failures since the last success, and the pg_cron job's state.
app.get("/health", async (c) => {
  const [{ health }] = await asUser(
    c.get("claims"),
    (tx) => tx<{ health: Record<string, unknown> }[]>`select public.get_sync_health() as health`,
  );
  return c.json({ health });
});
app.all("/health", onlyAllow("GET"));

app.get("/:modelId", async (c) => {
  const id = modelIdParam(c);
  const [row] = await asUser(c.get("claims"), (tx) => selectModels(tx, [id]));
  if (!row) throw notFound(`No model "${id}".`);
  return c.json({ model: adminModel(row) });
});

app.patch("/:modelId", async (c) => {
  const id = modelIdParam(c);
  const changes = validate(changesSchema, await readJson(c), "body");
  const { rows: [row] } = await asUser(c.get("claims"), (tx) => updateModels(tx, [id], changes));
  return c.json({ model: adminModel(row) });
});
app.all("/:modelId", onlyAllow("GET", "PATCH"));

export default app;

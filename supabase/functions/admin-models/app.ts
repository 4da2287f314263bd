// /functions/v1/admin-models: catalog management for admins (profiles.is_admin). Every operation
// runs as the admin user, so the database's RLS, function checks and audit trigger see who it is.
//   GET    /admin-models                 list with filters (status, tier, provider, q,
//                                        output_modality), paging and total count
//   PATCH  /admin-models                 bulk change { model_ids, changes }, all or nothing
//   POST   /admin-models/sync            manual sync (?dry_run=true, ?force=true)
//   GET    /admin-models/sync-log        recent sync runs, newest first
//   GET    /admin-models/health          sync health for monitoring (public.get_sync_health)
//   GET    /admin-models/changes         change digests of recent syncs, newest first
//   GET    /admin-models/rules           tiering rules, by priority
//   POST   /admin-models/rules           add a rule
//   POST   /admin-models/rules/apply     re-apply the rules to every rule-managed model
//   PATCH  /admin-models/rules/:ruleId   change a rule
//   DELETE /admin-models/rules/:ruleId   delete a rule
//   GET    /admin-models/:modelId/prices the model's price timeline, newest first
//   POST   /admin-models/:modelId/deprecate  deprecate { replacement_model_id?, sunset_at? }
//   GET    /admin-models/:modelId        one model
//   PATCH  /admin-models/:modelId        change one model
// :modelId is the model id percent-encoded as ONE path segment (encodeURIComponent), see
// _shared/model_id.ts: /admin-models/deepseek%2Fdeepseek-r1-0528%3Afree.
import type { Hono } from "hono";
import { z } from "zod";
import { requireAdmin } from "../_shared/admin.ts";
import { asUser, type TransactionSettings, type Tx } from "../_shared/db.ts";
import type { AppDeps } from "../_shared/deps.ts";
import { HttpError, notFound } from "../_shared/errors.ts";
import {
  type AppContext,
  type AppEnv,
  createApp,
  depsOf,
  onlyAllow,
  readJson,
  validate,
} from "../_shared/http.ts";
import { outputModalitySchema } from "../_shared/modality.ts";
import { modelIdSchema } from "../_shared/model_id.ts";
import type { Tables } from "../_shared/database.types.ts";
import type { AsRead, FunctionRow } from "../_shared/rows.ts";
import { syncCatalog, syncStatementTimeout } from "../_shared/sync.ts";

/** A status or tier: which values exist is the database's to say (public.model_status, public.subscription_tiers). */
const databaseValue = z.string().min(1).max(100);

const booleanParam = z.enum(["true", "false"]).transform((v) => v === "true");

const listQuerySchema = z.strictObject({
  status: databaseValue.optional(),
  tier: databaseValue.optional(),
  q: z.string().min(1).max(200).optional(),
  provider: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._~-]*$/, "must be a provider id").max(100)
    .optional(),
  output_modality: outputModalitySchema.optional(),
  limit: z.coerce.number().int().min(1).max(500).default(50),
  offset: z.coerce.number().int().min(0).max(1_000_000).default(0),
});

const limitValue = z.number().int().positive().max(2_147_483_647).nullable();

/**
 * What an admin may change; `inactive` is the sync's to set and clear. Status or tier flags make
 * the model admin-managed; `access_managed_by: "rules"` hands it back to the tiering rules
 * (public.update_models_access refuses it beside status or flags, which the rules then decide).
 */
const changesSchema = z.strictObject({
  is_free: z.boolean(),
  is_pro: z.boolean(),
  is_enterprise: z.boolean(),
  status: databaseValue,
  daily_limit: limitValue,
  monthly_limit: limitValue,
  access_managed_by: z.literal("rules"),
}).partial()
  .refine((changes) => Object.keys(changes).length > 0, "name at least one field");

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

type SyncRunRow = AsRead<
  Tables<"model_sync_log">,
  "id" | "duration_ms",
  "started_at" | "completed_at"
>;

type DigestRow = AsRead<
  Tables<"model_change_digests">,
  "id" | "sync_log_id" | "webhook_request_id",
  "created_at"
>;

/** A catalog row as the admin endpoints read it: every column but the internal ones. */
type ModelRow = AsRead<
  Omit<Tables<"model_access">, "id" | "openrouter_data" | "openrouter_data_hash" | "tokenizer">,
  | "prompt_price"
  | "completion_price"
  | "request_price"
  | "image_price"
  | "web_search_price"
  | "internal_reasoning_price"
  | "input_cache_read_price"
  | "input_cache_write_price"
  | "created_timestamp",
  | "deprecated_at"
  | "sunset_at"
  | "upstream_removed_at"
  | "last_synced_at"
  | "openrouter_last_seen"
  | "created_at"
  | "updated_at"
>;

/** A row of public.list_models_for_admin: a page past the end is one row of nulls but the total. */
type ListedRow = { total_count: number } & (ModelRow | { [K in keyof ModelRow]: null });

const modelColumns = (tx: Tx) =>
  tx`
    m.model_id, m.model_name, m.model_description, m.status, m.is_free, m.is_pro,
    m.is_enterprise, m.daily_limit, m.monthly_limit, m.prompt_price, m.completion_price,
    m.request_price, m.image_price, m.web_search_price, m.internal_reasoning_price,
    m.input_cache_read_price, m.input_cache_write_price, m.context_length,
    m.max_completion_tokens, m.modality, m.input_modalities, m.output_modalities,
    m.supported_parameters, m.created_timestamp, m.canonical_slug, m.hugging_face_id,
    m.is_moderated, m.status_before_inactive, m.access_managed_by, m.deprecated_at, m.sunset_at,
    m.replacement_model_id, m.deprecation_source, m.upstream_removed_at,
    m.last_synced_at,
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
    access_managed_by: row.access_managed_by,
    deprecated_at: row.deprecated_at,
    sunset_at: row.sunset_at,
    replacement_model_id: row.replacement_model_id,
    deprecation_source: row.deprecation_source,
    upstream_removed_at: row.upstream_removed_at,
    last_synced_at: row.last_synced_at,
    openrouter_last_seen: row.openrouter_last_seen,
    created_at: row.created_at,
    updated_at: row.updated_at,
  };
}

/** What postgres.js reports of an error our database functions raise on purpose. */
interface Refusal {
  code?: string;
  message: string;
  /** A JSON array of the ids at fault, where the function names them. */
  detail?: string;
  /** The field at fault, where one is. */
  column_name?: string;
}

/** Rethrows `error` as `map` words it for its SQLSTATE; other errors pass on as they are. */
function refused(map: Record<string, (refusal: Refusal) => HttpError>) {
  return (error: unknown): never => {
    const refusal = error as Refusal;
    const answer = refusal.code === undefined ? undefined : map[refusal.code];
    throw answer ? answer(refusal) : error;
  };
}

/** The model id from the path: one percent-encoded segment, decoded by the router. */
function modelIdParam(c: AppContext): string {
  return validate(modelIdSchema, c.req.param("modelId"), "model id");
}

/** An unknown status or tier in the list's filters, as the database refuses it. */
const invalidFilter = refused({
  "23514": () => new HttpError(400, "invalid_request", "`status` is not a model status."),
  "22023": () => new HttpError(400, "invalid_request", "`tier` is not a subscription tier."),
});

/** A row of public.update_models_access: the model, and whether any of its access settings moved. */
type UpdatedRow = ModelRow & Pick<FunctionRow<"update_models_access", "changed">, "changed">;

/**
 * Applies changes to models in one call of the database function, all or nothing, and returns
 * the models as they are now; 404 on unknown ids.
 */
async function updateModels(c: AppContext, ids: string[], changes: Changes) {
  // Handing back applies the rules at once: under their time limit.
  const handBack = changes.access_managed_by !== undefined;
  const rows = await asAdmin(
    c,
    (tx) =>
      tx<UpdatedRow[]>`
        select m.changed, ${modelColumns(tx)}
          from public.update_models_access(${ids}::text[], ${tx.json(changes)}) as m`,
    handBack ? ruleMatching : undefined,
  ).catch(refused({
    P0002: ({ detail }) =>
      notFound("Unknown model ids; nothing was changed.", { unknown_ids: JSON.parse(detail!) }),
    // Which statuses an admin may set is the database's rule (column: status); zod refuses the
    // other invalid changes first, kept as a 400.
    "22023": ({ message, column_name }) =>
      new HttpError(400, "invalid_request", "Invalid body.", {
        details: [{ path: column_name ?? "", message }],
      }),
    ...(handBack ? ruleTimeLimitExceeded : {}),
  }));
  const updated = rows.filter((row) => row.changed).length;
  return { updated, unchanged: rows.length - updated, rows };
}

// Tiering rules (public.model_access_rules) ---------------------------------------------------

const price = z.union([z.number(), z.string().max(100)]).transform(String).nullable();
// What a valid LIKE, regex, modality or price bound is, and its length, the database decides when
// the rule is written (private.model_access_rule_problem); writeRule answers its refusal.
const checkedPattern = z.string().min(1).nullable();

const ruleFieldsSchema = z.strictObject({
  priority: z.number().int().min(-1_000_000).max(1_000_000),
  name: z.string().trim().min(1).max(200),
  enabled: z.boolean(),
  match_model_id_like: checkedPattern,
  match_model_id_regex: checkedPattern,
  match_provider: z.string().min(1).max(500).nullable(),
  match_is_free_variant: z.boolean().nullable(),
  match_min_prompt_price: price,
  match_max_prompt_price: price,
  match_min_completion_price: price,
  match_max_completion_price: price,
  match_min_context_length: z.number().int().min(0).max(2_147_483_647).nullable(),
  match_input_modality: checkedPattern,
  match_output_modality: checkedPattern,
  status: databaseValue,
  is_free: z.boolean(),
  is_pro: z.boolean(),
  is_enterprise: z.boolean(),
});

const newRuleSchema = ruleFieldsSchema.partial().required({
  priority: true,
  name: true,
  status: true,
});
const ruleChangesSchema = ruleFieldsSchema.partial().refine(
  (changes) => Object.keys(changes).length > 0,
  "name at least one field",
);

const ruleIdSchema = z.coerce.number().int().positive().max(Number.MAX_SAFE_INTEGER);

type RuleRow = AsRead<
  Tables<"model_access_rules">,
  | "id"
  | "match_min_prompt_price"
  | "match_max_prompt_price"
  | "match_min_completion_price"
  | "match_max_completion_price",
  "created_at" | "updated_at"
>;

function rule(row: RuleRow) {
  return { ...row, id: Number(row.id) };
}

/** Writes a rule; the database's refusal of a pattern is a 400 with its reason, which it words. */
async function writeRule<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (error) {
    const { code, constraint_name, message } = error as {
      code?: string;
      constraint_name?: string;
      message?: string;
    };
    if (code === "23514" && constraint_name === "model_access_rules_patterns_valid") {
      throw new HttpError(400, "invalid_request", `${message}.`);
    }
    throw error;
  }
}

/** How long one statement that matches the rules may run: what Supabase gives `authenticated`. */
const ruleMatchingTimeLimit = "8s";

/**
 * A transaction that applies the rules runs under ruleMatchingTimeLimit, so that no rule holds the
 * catalog's row locks for long.
 */
const ruleMatching: TransactionSettings = { statementTimeout: ruleMatchingTimeLimit };

/** A statement stopped at ruleMatchingTimeLimit (57014), as a refused() answer. */
const ruleTimeLimitExceeded = {
  "57014": (cause: Refusal) =>
    new HttpError(
      503,
      "timeout",
      `Applying the tiering rules took longer than ${ruleMatchingTimeLimit} and was stopped; ` +
        "nothing was changed.",
      { cause },
    ),
};

type PriceRow = AsRead<
  FunctionRow<"get_model_price_history", "effective_from">,
  | "sync_log_id"
  | "prompt_price"
  | "completion_price"
  | "request_price"
  | "image_price"
  | "web_search_price"
  | "internal_reasoning_price"
  | "input_cache_read_price"
  | "input_cache_write_price",
  "effective_from"
>;

const deprecateSchema = z.strictObject({
  replacement_model_id: modelIdSchema.nullable().default(null),
  sunset_at: z.iso.datetime({ offset: true }).nullable().default(null),
});

/** Runs `fn` as the admin making the request: RLS, the functions and the audit trigger see who. */
function asAdmin<T>(
  c: AppContext,
  fn: (tx: Tx) => Promise<T>,
  settings?: TransactionSettings,
): Promise<T> {
  return asUser(depsOf(c).sql, c.get("claims"), fn, settings);
}

export function createAdminModelsApp(deps: AppDeps): Hono<AppEnv> {
  const app = createApp("admin-models", deps, {
    notFoundHint:
      "Model ids go percent-encoded in one path segment: /admin-models/openai%2Fgpt-4o.",
  });
  app.use(requireAdmin);

  app.get("/", async (c) => {
    const query = validate(listQuerySchema, c.req.query(), "query");
    const listed = await asAdmin(c, (tx) =>
      tx<ListedRow[]>`
        select * from public.list_models_for_admin(
          with_status => ${query.status ?? null},
          in_tier => ${query.tier ?? null},
          from_provider => ${query.provider ?? null},
          matching_text => ${query.q ?? null},
          with_output_modality => ${query.output_modality ?? null},
          page_limit => ${query.limit},
          page_offset => ${query.offset}
        )`).catch(invalidFilter);
    const page = {
      total: listed[0].total_count,
      rows: listed.filter((row): row is ListedRow & ModelRow => row.model_id !== null),
    };
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
    const { updated, unchanged, rows } = await updateModels(c, ids, body.changes);
    return c.json({ updated, unchanged, models: rows.map(adminModel) });
  });
  app.all("/", onlyAllow("GET", "PATCH"));

  app.post("/sync", async (c) => {
    const query = validate(syncQuerySchema, c.req.query(), "query");
    const { env } = depsOf(c);
    const result = await syncCatalog({
      env,
      triggeredBy: "admin",
      force: query.force,
      dryRun: query.dry_run,
      // ?force=true also skips the cool-down between manual syncs.
      cooldownSeconds: query.force ? 0 : env.ADMIN_SYNC_COOLDOWN_SECONDS,
      run: (fn) => asAdmin(c, fn, { statementTimeout: syncStatementTimeout }),
      log: c.get("log"),
    });
    return c.json(result);
  });
  app.all("/sync", onlyAllow("POST"));

  app.get("/sync-log", async (c) => {
    const query = validate(syncLogQuerySchema, c.req.query(), "query");
    const runs = await asAdmin(c, (tx) =>
      tx<SyncRunRow[]>`
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
    const [{ health }] = await asAdmin(
      c,
      (tx) => tx<{ health: Record<string, unknown> }[]>`select public.get_sync_health() as health`,
    );
    return c.json({ health });
  });
  app.all("/health", onlyAllow("GET"));

  // The price timeline (public.model_price_history): one entry per observed change, newest first.
  app.get("/:modelId/prices", async (c) => {
    const id = modelIdParam(c);
    const prices = await asAdmin(c, (tx) =>
      tx<PriceRow[]>`
        select * from public.get_model_price_history(${id})`).catch(refused({
        P0002: () => notFound(`No model "${id}".`),
      }));
    return c.json({
      model_id: id,
      prices: prices.map((row) => ({
        effective_from: row.effective_from,
        prompt: row.prompt_price,
        completion: row.completion_price,
        request: row.request_price,
        image: row.image_price,
        web_search: row.web_search_price,
        internal_reasoning: row.internal_reasoning_price,
        input_cache_read: row.input_cache_read_price,
        input_cache_write: row.input_cache_write_price,
        upstream: row.pricing,
        sync_log_id: row.sync_log_id === null ? null : Number(row.sync_log_id),
      })),
    });
  });
  app.all("/:modelId/prices", onlyAllow("GET"));

  // The change feed (public.model_change_digests): one digest per sync that changed something.
  app.get("/changes", async (c) => {
    const query = validate(syncLogQuerySchema, c.req.query(), "query");
    const digests = await asAdmin(c, (tx) =>
      tx<DigestRow[]>`
        select id, sync_log_id, created_at, models_added, models_inactivated, models_reactivated,
               price_changes, rule_access_changes, digest, webhook_status, webhook_request_id,
               webhook_error
          from public.model_change_digests
         order by created_at desc, id desc
         limit ${query.limit}`);
    return c.json({
      digests: digests.map((d) => ({
        ...d,
        id: Number(d.id),
        sync_log_id: Number(d.sync_log_id),
        webhook_request_id: d.webhook_request_id === null ? null : Number(d.webhook_request_id),
      })),
    });
  });
  app.all("/changes", onlyAllow("GET"));

  app.get("/rules", async (c) => {
    const rules = await asAdmin(c, (tx) =>
      tx<RuleRow[]>`
        select * from public.model_access_rules order by priority, id`);
    return c.json({ rules: rules.map(rule) });
  });

  app.post("/rules", async (c) => {
    const body = validate(newRuleSchema, await readJson(c), "body");
    const [row] = await writeRule(() =>
      asAdmin(c, (tx) =>
        tx<RuleRow[]>`
          insert into public.model_access_rules ${tx(body)} returning *`)
    );
    return c.json({ rule: rule(row) }, 201);
  });
  app.all("/rules", onlyAllow("GET", "POST"));

  app.post("/rules/apply", async (c) => {
    const [{ result }] = await asAdmin(
      c,
      (tx) =>
        tx<{ result: Record<string, unknown> }[]>`
          select public.apply_model_access_rules() as result`,
      ruleMatching,
    ).catch(refused(ruleTimeLimitExceeded));
    return c.json({ updated: result.updated_count, changes: result.changes });
  });
  app.all("/rules/apply", onlyAllow("POST"));

  app.patch("/rules/:ruleId", async (c) => {
    const id = validate(ruleIdSchema, c.req.param("ruleId"), "rule id");
    const changes = validate(ruleChangesSchema, await readJson(c), "body");
    const [row] = await writeRule(() =>
      asAdmin(c, (tx) =>
        tx<RuleRow[]>`
          update public.model_access_rules set ${tx(changes)} where id = ${id} returning *`)
    );
    if (!row) throw notFound(`No rule ${id}.`);
    return c.json({ rule: rule(row) });
  });

  app.delete("/rules/:ruleId", async (c) => {
    const id = validate(ruleIdSchema, c.req.param("ruleId"), "rule id");
    const [row] = await asAdmin(c, (tx) =>
      tx<{ id: string }[]>`
        delete from public.model_access_rules where id = ${id} returning id`);
    if (!row) throw notFound(`No rule ${id}.`);
    return c.body(null, 204);
  });
  app.all("/rules/:ruleId", onlyAllow("PATCH", "DELETE"));

  // Deprecation (public.deprecate_models): listed until the sunset, then unavailable; users whose
  // default model becomes unavailable move to the replacement (or their tier's default).
  app.post("/:modelId/deprecate", async (c) => {
    const id = modelIdParam(c);
    const body = validate(deprecateSchema, await readJson(c, { emptyAs: {} }), "body");
    const [row] = await asAdmin(c, (tx) =>
      tx<ModelRow[]>`
        select ${modelColumns(tx)}
          from public.deprecate_models(
            array[${id}]::text[], ${body.replacement_model_id}, ${body.sunset_at}::timestamptz
          ) as m`).catch(refused({
        P0002: () => notFound(`No model "${id}".`),
        "22023": ({ message }) => new HttpError(400, "invalid_request", message),
        // 55000: the model is neither active nor deprecated.
        "55000": ({ message }) => new HttpError(409, "conflict", message),
      }));
    return c.json({ model: adminModel(row) });
  });
  app.all("/:modelId/deprecate", onlyAllow("POST"));

  app.get("/:modelId", async (c) => {
    const id = modelIdParam(c);
    const [row] = await asAdmin(c, (tx) =>
      tx<ModelRow[]>`
        select ${modelColumns(tx)} from public.model_access as m where m.model_id = ${id}`);
    if (!row) throw notFound(`No model "${id}".`);
    return c.json({ model: adminModel(row) });
  });

  app.patch("/:modelId", async (c) => {
    const id = modelIdParam(c);
    const changes = validate(changesSchema, await readJson(c), "body");
    const { rows: [row] } = await updateModels(c, [id], changes);
    return c.json({ model: adminModel(row) });
  });
  app.all("/:modelId", onlyAllow("GET", "PATCH"));

  return app;
}

-- public.model_price_history: every observed change of a model's prices, with the time it took
-- effect (the start of the sync run that saw it) and that run's model_sync_log id.
--
-- Why: prices drift upstream and the catalog only keeps the latest; admins need the timeline
-- (GET /admin-models/:modelId/prices) and each run's count of repriced models. Rows are written
-- by public.sync_openrouter_models inside its one set-based statement: one row when a model is
-- first seen and one per run whose upstream `pricing` object differs from the stored one, so a
-- run with no change writes nothing here either. Admins and the service role read it; nobody
-- writes it but the sync.

create table public.model_price_history (
  id bigint generated always as identity primary key,
  model_id text not null,
  effective_from timestamptz not null,
  sync_log_id bigint,
  prompt_price numeric,
  completion_price numeric,
  request_price numeric,
  image_price numeric,
  web_search_price numeric,
  internal_reasoning_price numeric,
  input_cache_read_price numeric,
  input_cache_write_price numeric,
  pricing jsonb,
  constraint model_price_history_model_id_not_blank check (btrim(model_id) <> '')
);

comment on table public.model_price_history is
  'Price timeline of each model: one row when the sync first saw the model and one per sync run '
  'that saw its upstream pricing change. Written only by sync_openrouter_models; readable by admins '
  'and the service role.';
comment on column public.model_price_history.model_id is
  'model_access.model_id (no foreign key: the timeline outlives deleted models, and the sync '
  'writes these rows without a per-row check).';
comment on column public.model_price_history.effective_from is
  'Start of the sync run that first saw these prices; they hold until the next row of the model.';
comment on column public.model_price_history.sync_log_id is
  'model_sync_log.id of that run (no foreign key, for the same reasons as model_id).';
comment on column public.model_price_history.prompt_price is
  'USD per prompt token, as model_access.prompt_price; the other *_price columns likewise.';
comment on column public.model_price_history.pricing is
  'The upstream `pricing` object as received (unknown members included); null when absent.';

create index model_price_history_model_id_effective_from_idx
  on public.model_price_history (model_id, effective_from desc, id desc);

alter table public.model_price_history enable row level security;

revoke all on table public.model_price_history from anon, authenticated, service_role;
-- Read-only for every API role: only the sync's security definer function writes prices, so that
-- no admin can rewrite the timeline.
grant select on table public.model_price_history to authenticated, service_role;

create policy "Admins can read the price history"
  on public.model_price_history
  for select
  to authenticated
  using ((select private.is_admin()));

-- public.model_price_history: every observed change of a model's prices, with the time it took
-- effect (the start of the sync run that saw it) and that run's model_sync_log id.
--
-- Why: prices drift upstream and the catalog only keeps the latest; admins need the timeline
-- (GET /admin-models/:modelId/prices) and each run's count of repriced models. Rows are written
-- by the sync's apply step, one set-based insert: one row when a model is first seen and one per
-- run whose upstream `pricing` object differs from the stored one, so a run with no change writes
-- nothing here either. Admins and the service role read it (the route
-- through public.get_model_price_history); nobody writes it but the sync.

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

-- Invoker: admins read the timeline and the catalog through RLS. PL/pgSQL to tell an unknown model
-- (P0002) from one without prices yet (no rows), in one call.
create function public.get_model_price_history(model_id text)
returns table (
  effective_from timestamptz,
  sync_log_id bigint,
  prompt_price numeric,
  completion_price numeric,
  request_price numeric,
  image_price numeric,
  web_search_price numeric,
  internal_reasoning_price numeric,
  input_cache_read_price numeric,
  input_cache_write_price numeric,
  pricing jsonb
)
language plpgsql
stable
security invoker
set search_path = ''
as $$
begin
  if not private.can_manage_catalog() then
    raise exception using
      errcode = '42501',
      message = 'permission denied: only admins and the service role can read the price history';
  end if;
  if not exists (
    select 1 from public.model_access as m where m.model_id = get_model_price_history.model_id
  ) then
    raise exception using
      errcode = 'P0002',
      message = format('unknown model %L', get_model_price_history.model_id);
  end if;

  return query
  select
    h.effective_from, h.sync_log_id, h.prompt_price, h.completion_price, h.request_price,
    h.image_price, h.web_search_price, h.internal_reasoning_price, h.input_cache_read_price,
    h.input_cache_write_price, h.pricing
  from public.model_price_history as h
  where h.model_id = get_model_price_history.model_id
  order by h.effective_from desc, h.id desc;
end;
$$;

comment on function public.get_model_price_history(text) is
  'Admin: the model''s price timeline, newest first (effective_from, then id). An unknown model '
  'is refused with P0002; a model the sync has not priced yet has no rows. Admins and the service '
  'role only.';

revoke execute on function public.get_model_price_history(text)
  from public, anon, authenticated, service_role;
grant execute on function public.get_model_price_history(text) to authenticated, service_role;

-- public.model_access: the model catalog, one row per OpenRouter model, with the admin-owned
-- access settings (status, tier flags, limits) beside the upstream data.
--
-- Why: replaces the hard-coded model list. Upstream data is written only by
-- public.sync_openrouter_models; status, tier flags and limits belong to admins and no sync changes
-- them, except that a model missing upstream is shown as `inactive` and gets its previous status
-- back when it returns. The full upstream record is kept in `openrouter_data` because the upstream
-- schema drifts; typed columns are a convenience and never reject a value (an unparsable value is
-- null in its column and still present in `openrouter_data`).

create table public.model_access (
  id bigint generated always as identity primary key,
  model_id text not null,
  canonical_slug text,
  hugging_face_id text,
  model_name text,
  model_description text,
  context_length integer,
  created_timestamp bigint,
  modality text,
  input_modalities text[],
  output_modalities text[],
  tokenizer text,
  prompt_price numeric,
  completion_price numeric,
  request_price numeric,
  image_price numeric,
  web_search_price numeric,
  internal_reasoning_price numeric,
  input_cache_read_price numeric,
  input_cache_write_price numeric,
  max_completion_tokens integer,
  is_moderated boolean,
  supported_parameters text[],
  openrouter_data jsonb not null default '{}'::jsonb,
  status text not null default 'new',
  status_before_inactive text,
  upstream_removed_at timestamptz,
  is_free boolean not null default false,
  is_pro boolean not null default false,
  is_enterprise boolean not null default false,
  daily_limit integer,
  monthly_limit integer,
  last_synced_at timestamptz,
  openrouter_last_seen timestamptz,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  constraint model_access_model_id_key unique (model_id),
  constraint model_access_model_id_not_blank check (btrim(model_id) <> ''),
  constraint model_access_status_check
    check (status in ('new', 'active', 'inactive', 'disabled')),
  constraint model_access_inactive_only_when_removed_upstream check (
    case status
      when 'inactive' then upstream_removed_at is not null
      when 'disabled' then true
      else upstream_removed_at is null
    end
  ),
  constraint model_access_status_before_inactive_check check (
    status_before_inactive is null
    or (status = 'inactive' and status_before_inactive in ('new', 'active'))
  ),
  constraint model_access_daily_limit_positive check (daily_limit > 0),
  constraint model_access_monthly_limit_positive check (monthly_limit > 0),
  constraint model_access_openrouter_data_is_object check (jsonb_typeof(openrouter_data) = 'object')
);

comment on table public.model_access is
  'The model catalog: one row per OpenRouter model. Upstream columns are written by '
  'sync_openrouter_models; status, tier flags and limits by admins (update_models_access), with '
  'every change recorded in model_access_audit.';
comment on column public.model_access.model_id is 'OpenRouter model id (the upstream `id`), unique.';
comment on column public.model_access.canonical_slug is
  'Upstream canonical_slug; absent in older catalogs and not unique (:free variants share it).';
comment on column public.model_access.hugging_face_id is 'Upstream hugging_face_id; "" stored as null.';
comment on column public.model_access.model_name is 'Upstream display name; not unique.';
comment on column public.model_access.created_timestamp is 'Upstream `created` (Unix seconds).';
comment on column public.model_access.input_modalities is
  'architecture.input_modalities in upstream order (not stable; the sync ignores a reordering).';
comment on column public.model_access.output_modalities is 'architecture.output_modalities.';
comment on column public.model_access.prompt_price is
  'USD per prompt token (pricing.prompt) at full precision; -1 for router models whose price '
  'depends on the routed model. Null when absent or not a number.';
comment on column public.model_access.completion_price is 'USD per completion token; -1 for routers.';
comment on column public.model_access.request_price is 'USD per request (pricing.request).';
comment on column public.model_access.image_price is 'USD per input image (pricing.image).';
comment on column public.model_access.web_search_price is 'USD per web search (pricing.web_search).';
comment on column public.model_access.internal_reasoning_price is
  'USD per internal reasoning token (pricing.internal_reasoning).';
comment on column public.model_access.input_cache_read_price is
  'USD per cached input token read (pricing.input_cache_read).';
comment on column public.model_access.input_cache_write_price is
  'USD per cached input token written (pricing.input_cache_write).';
comment on column public.model_access.max_completion_tokens is
  'top_provider.max_completion_tokens; often null upstream.';
comment on column public.model_access.is_moderated is 'top_provider.is_moderated.';
comment on column public.model_access.supported_parameters is
  'Upstream supported_parameters (order not significant).';
comment on column public.model_access.openrouter_data is
  'The full upstream record as last received; unknown and drifting fields are kept here.';
comment on column public.model_access.status is
  'new (synced, not yet reviewed) | active (offered to users) | inactive (missing upstream; set '
  'and cleared by the sync only) | disabled (withdrawn by an admin; the sync never changes it).';
comment on column public.model_access.status_before_inactive is
  'The status (new or active) an inactive model returns to when it is listed upstream again.';
comment on column public.model_access.upstream_removed_at is
  'When the sync found the model missing upstream; null while it is listed. Kept for disabled '
  'models too, so re-enabling a model that is gone upstream leaves it inactive.';
comment on column public.model_access.is_free is 'Offered to every tier (free, pro, enterprise).';
comment on column public.model_access.is_pro is 'Offered to the pro and enterprise tiers.';
comment on column public.model_access.is_enterprise is 'Offered to the enterprise tier.';
comment on column public.model_access.daily_limit is 'Requests per user per day; null = unlimited.';
comment on column public.model_access.monthly_limit is 'Requests per user per month; null = unlimited.';
comment on column public.model_access.last_synced_at is
  'Start of the sync run that last wrote this row (insert, upstream change, removal or return). '
  'A sync that finds nothing new does not touch the row.';
comment on column public.model_access.openrouter_last_seen is
  'Start of the latest sync run known to have listed the model when the row was last written. '
  'While upstream_removed_at is null, every later completed sync (model_sync_log) listed it too; '
  'once removed, this is the last completed sync that still listed it.';
comment on column public.model_access.updated_at is 'Last change of the row, kept by trigger.';

create index model_access_status_idx on public.model_access (status);
create index model_access_active_tiers_idx
  on public.model_access (is_free, is_pro, is_enterprise)
  where status = 'active';

alter table public.model_access enable row level security;

revoke all on table public.model_access from anon, authenticated, service_role;
-- Writes by authenticated are for admins only (policies below): admin-triggered syncs and admin
-- access changes run with the admin's own rights.
grant select, insert, update on table public.model_access to authenticated;
grant select, insert, update, delete on table public.model_access to service_role;

create policy "Users can read active models; admins can read all"
  on public.model_access
  for select
  to authenticated
  using (status = 'active' or (select private.is_admin()));

create policy "Admins can add models"
  on public.model_access
  for insert
  to authenticated
  with check ((select private.is_admin()));

create policy "Admins can update models"
  on public.model_access
  for update
  to authenticated
  using ((select private.is_admin()))
  with check ((select private.is_admin()));

create trigger set_updated_at
  before update on public.model_access
  for each row
  execute function private.set_updated_at();

-- Invoker: must see the caller's role (current_user), which a definer function would hide.
create function private.can_manage_catalog()
returns boolean
language sql
stable
security invoker
set search_path = ''
as $$
  select current_user not in ('anon', 'authenticated') or (select private.is_admin());
$$;

comment on function private.can_manage_catalog() is
  'True for the service role and operators connected as a database role, and for authenticated '
  'users whose profile has is_admin. Guards the catalog sync and access-management functions.';

revoke execute on function private.can_manage_catalog()
  from public, anon, authenticated, service_role;
grant execute on function private.can_manage_catalog() to authenticated, service_role;

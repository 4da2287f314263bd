-- public.model_access, the model catalog: one row per OpenRouter model, with the access settings
-- (status, tier flags, limits) beside the upstream data; and private.catalog_version, a counter
-- that moves with every committed change of the catalog.
--
-- Why: replaces the hard-coded model list. Upstream data is written only by
-- public.sync_openrouter_models; status and tier flags belong to admins or to the tiering rules
-- (access_managed_by), limits to admins, and no sync changes them, except that a model missing
-- upstream is shown as `inactive` and gets its previous status back when it returns. The full
-- upstream record is kept in `openrouter_data` because the upstream schema drifts; typed columns
-- are a convenience and never reject a value (an unparsable value is null in its column and still
-- present in `openrouter_data`).
--
-- The table's other triggers sit with their domains: the audit trail (model_access_audit), the
-- tiering rules (mark_access_admin_managed) and the lifecycle (clear_model_deprecation).

-- The statuses a model can have, in one place: the column has this type, and functions that take
-- a status (the admin list's filter) take this type, so the database refuses any other value.
create domain public.model_status as text
  constraint model_status_is_known
    check (value in ('new', 'active', 'deprecated', 'inactive', 'disabled'));

comment on domain public.model_status is
  'A model''s status: new (awaiting review), active, deprecated (listed until its sunset), '
  'inactive (gone upstream; set by the sync only) or disabled.';

create table public.model_access (
  id bigint generated always as identity primary key,
  model_id text not null,
  canonical_slug text,
  hugging_face_id text,
  model_name text,
  -- lz4 for the two large values: compressing them is much of the cost of writing a row, and lz4
  -- does it in a fraction of pglz's time.
  model_description text compression lz4,
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
  openrouter_data jsonb compression lz4 not null default '{}'::jsonb,
  status public.model_status not null default 'new',
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
  access_managed_by text not null default 'rules',
  deprecated_at timestamptz,
  sunset_at timestamptz,
  replacement_model_id text,
  deprecation_source text,
  -- Generated, so that every writer keeps it right: the sync compares 8 bytes instead of the
  -- detoasted record to tell unchanged models apart.
  openrouter_data_hash bigint generated always as (jsonb_hash_extended(openrouter_data, 0)) stored,
  constraint model_access_model_id_key unique (model_id),
  constraint model_access_model_id_not_blank check (btrim(model_id) <> ''),
  constraint model_access_inactive_only_when_removed_upstream check (
    case status
      when 'inactive' then upstream_removed_at is not null
      when 'disabled' then true
      else upstream_removed_at is null
    end
  ),
  constraint model_access_status_before_inactive_check check (
    status_before_inactive is null
    or (status = 'inactive' and status_before_inactive in ('new', 'active', 'deprecated'))
  ),
  constraint model_access_daily_limit_positive check (daily_limit > 0),
  constraint model_access_monthly_limit_positive check (monthly_limit > 0),
  constraint model_access_openrouter_data_is_object check (jsonb_typeof(openrouter_data) = 'object'),
  constraint model_access_access_managed_by_check check (access_managed_by in ('rules', 'admin')),
  constraint model_access_replacement_model_id_fkey foreign key (replacement_model_id)
    references public.model_access (model_id) on delete set null,
  constraint model_access_replacement_not_self check (replacement_model_id <> model_id),
  constraint model_access_deprecation_source_check
    check (deprecation_source in ('upstream', 'admin'))
)
-- A row of a typical record is 2 to 3 kB: above the default target of 2 kB, Postgres compresses
-- its record and description and moves one out of line, which makes a write of the row about a
-- sixth slower and saves no space (the records barely compress). Larger rows are still toasted.
with (toast_tuple_target = 4080);

comment on table public.model_access is
  'The model catalog: one row per OpenRouter model. Upstream columns are written by '
  'sync_openrouter_models; status and tier flags by the tiering rules (model_access_rules, for '
  'rule-managed models) or by admins (update_models_access), limits by admins. Every write is '
  'recorded in model_access_audit (the sync''s: changes of access and limits only).';
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
  'new (synced, not yet reviewed) | active (offered to users) | deprecated (offered until '
  'sunset_at, then unavailable; see replacement_model_id) | inactive (missing upstream; set and '
  'cleared by the sync only) | disabled (withdrawn by an admin; the sync never changes it).';
comment on column public.model_access.status_before_inactive is
  'The status (new, active or deprecated) an inactive model returns to when it is listed upstream '
  'again.';
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
comment on column public.model_access.access_managed_by is
  'rules: status and tier flags follow model_access_rules (applied by the sync when the model is '
  'new or its upstream data changes) | admin: set by hand; rules never touch it. Any change of '
  'status or tier flags outside the rules makes a model admin-managed; hand_models_to_rules hands '
  'it back.';
comment on column public.model_access.deprecated_at is 'When the model was deprecated.';
comment on column public.model_access.sunset_at is
  'When a deprecated model stops being available (upstream expiration_date, or set by an admin); '
  'null = no date yet.';
comment on column public.model_access.replacement_model_id is
  'The model users are moved to when this one becomes unavailable (set by deprecate_models).';
comment on column public.model_access.deprecation_source is
  'upstream (expiration_date; the sync sets and clears it) | admin (deprecate_models; the sync '
  'leaves it alone).';
comment on column public.model_access.openrouter_data_hash is
  'jsonb_hash_extended(openrouter_data, 0). The sync reads the stored record only when the '
  'upstream record hashes differently: equal records always hash alike, and a changed record '
  'that hashes alike (a 64-bit collision, odds 2^-64) would be taken for unchanged.';

create index model_access_status_idx on public.model_access (status);
create index model_access_active_tiers_idx
  on public.model_access (is_free, is_pro, is_enterprise)
  where status = 'active';
-- For the foreign key (a deleted model's successors), which looks up non-null ids only: nearly
-- every model has no replacement, and an index of its nulls would cost every insert.
create index model_access_replacement_model_id_idx
  on public.model_access (replacement_model_id)
  where replacement_model_id is not null;

alter table public.model_access enable row level security;

revoke all on table public.model_access from anon, authenticated, service_role;
-- Writes by authenticated are for admins only (policies below): admin access changes run with
-- the admin's own rights, and every write is audited (model_access_audit).
grant select, insert, update on table public.model_access to authenticated;
grant select, insert, update, delete on table public.model_access to service_role;

-- Users read deprecated models too (the list shows them until their sunset).
create policy "Users can read active models; admins can read all"
  on public.model_access
  for select
  to authenticated
  using (status in ('active', 'deprecated') or (select private.is_admin()));

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

-- Like private.set_updated_at, but a stored generated column is computed after the BEFORE
-- triggers (null in NEW there): the row is compared without openrouter_data_hash.
create function private.set_model_access_updated_at()
returns trigger
language plpgsql
security invoker
set search_path = ''
as $$
declare
  v_new public.model_access := new;
begin
  v_new.openrouter_data_hash := old.openrouter_data_hash;
  if v_new is distinct from old then
    new.updated_at := now();
  end if;
  return new;
end;
$$;

comment on function private.set_model_access_updated_at() is
  'BEFORE UPDATE trigger on model_access: sets updated_at to now() when the row actually changes '
  '(private.set_updated_at, leaving out the generated openrouter_data_hash).';

revoke execute on function private.set_model_access_updated_at()
  from public, anon, authenticated, service_role;

create trigger set_updated_at
  before update on public.model_access
  for each row
  execute function private.set_model_access_updated_at();

-- What a valid price is, for the sync's parser and for anything else that takes a price: a
-- decimal string or JSON number of at most 40 characters with an exponent of at most two digits.
-- OpenRouter writes up to about 20 ("0.0000000799999993", "-1" for routers); the bounds keep a
-- hostile value from overflowing numeric ("0." and 16,400 digits) and failing a run.
create function private.parse_price(price text)
returns numeric
language sql
immutable
strict
parallel safe
security invoker
set search_path = ''
as $$
  select case
    when length(parse_price.price) <= 40
      and parse_price.price ~ '^\s*-?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][-+]?[0-9]{1,2})?\s*$'
      then parse_price.price::numeric
  end;
$$;

comment on function private.parse_price(text) is
  'The price a text holds (a decimal of at most 40 characters, exponent of at most two digits), or '
  'null if it is not a valid price. The one definition of a valid price.';

revoke execute on function private.parse_price(text) from public, anon, authenticated, service_role;
grant execute on function private.parse_price(text) to authenticated, service_role;

-- The request's role rather than current_user, so that the check holds inside the sync's
-- security definer functions too.
create function private.can_manage_catalog()
returns boolean
language sql
stable
security invoker
set search_path = ''
as $$
  select private.request_role() not in ('anon', 'authenticated') or (select private.is_admin());
$$;

comment on function private.can_manage_catalog() is
  'True for the service role and operators connected as a database role, and for authenticated '
  'users whose profile has is_admin. Guards the catalog sync and access-management functions.';

revoke execute on function private.can_manage_catalog()
  from public, anon, authenticated, service_role;
grant execute on function private.can_manage_catalog() to authenticated, service_role;

-- The catalog version ------------------------------------------------------------------------

-- private.catalog_version: a counter that moves whenever a committed change to public.model_access
-- becomes visible, so the models function can cache the lists it renders and check in the same
-- statement that reads the caller's tier whether a cached list still holds.
--
-- Why: GET /models is on every page load of every client. A function isolate keeps each tier's
-- rendered list in memory keyed by this version; a request reads the caller's tier and the version
-- (one round trip) and reads the catalog only when the version moved. A list depends on nothing
-- else: get_user_allowed_models_v2 reads the caller's profile (its tier, read by the same
-- statement), model_access (rules and admin changes reach the list only by writing model_access),
-- the tier hierarchy (public.subscription_tiers: which tiers see pro and enterprise models) and
-- the clock (a sunset; the function keeps a list no longer than its earliest sunset).
--
-- How: a row-level constraint trigger, deferred to COMMIT, bumps the single counter row once per
-- transaction (a transaction-local setting remembers it did). Writers thus lock the counter row
-- only at commit, after every catalog row they write is locked: two multi-statement writers never
-- wait for each other's counter while holding catalog rows the other needs (a bump per statement
-- would deadlock them), and the bumps are serialized by the row lock, hence in commit order. A
-- statement that changes no row queues no bump; a rolled back transaction bumps nothing.

create table private.catalog_version (
  singleton boolean primary key default true,
  version bigint not null default 0,
  constraint catalog_version_singleton check (singleton)
);

comment on table private.catalog_version is
  'One row: a counter bumped at the commit of every transaction that changed rows of '
  'public.model_access or public.subscription_tiers. Equal versions mean an equal catalog, so '
  'the models function can reuse a list it rendered without rereading the catalog. (Passing a '
  'sunset_at changes the list without a write; the function keeps a list no longer than its '
  'earliest sunset.)';
comment on column private.catalog_version.version is
  'Moves at the commit of every transaction that changed public.model_access or '
  'public.subscription_tiers, in commit order.';

insert into private.catalog_version (singleton, version) values (true, 0);

alter table private.catalog_version enable row level security;

create policy "Signed-in users and the service role can read the catalog version"
  on private.catalog_version
  for select
  to authenticated, service_role
  using (true);

revoke all on table private.catalog_version from public, anon, authenticated, service_role;
grant select (version) on table private.catalog_version to authenticated, service_role;

-- Definer: writers have no write grant on the counter. Returns null: an after trigger.
create function private.bump_catalog_version()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
begin
  if pg_catalog.current_setting('model_access.catalog_version_bumped', true) is distinct from 'on'
  then
    perform pg_catalog.set_config('model_access.catalog_version_bumped', 'on', true);
    update private.catalog_version set version = version + 1 where singleton;
  end if;
  return null;
end;
$$;

comment on function private.bump_catalog_version() is
  'Trigger: bumps private.catalog_version once per transaction that changes public.model_access '
  'or public.subscription_tiers (deferred to commit for row changes; at once for a truncate), or '
  'completes a sync run that changed rows (model_sync_log: the sync''s own rows queue no event).';

revoke execute on function private.bump_catalog_version()
  from public, anon, authenticated, service_role;

-- Each written row queues an event that runs at commit: for the sync's thousands of rows a
-- measurable share of its run. Its rows (model_access.sync_log_id set: a setting reserved to the
-- sync) queue none; the completed run's row in model_sync_log bumps instead
-- (bump_catalog_version_after_sync, with the sync).
create constraint trigger bump_catalog_version
  after insert or update or delete on public.model_access
  deferrable initially deferred
  for each row
  when (coalesce(pg_catalog.current_setting('model_access.sync_log_id', true), '') = '')
  execute function private.bump_catalog_version();

-- Constraint triggers are row-level only. A truncate locks the whole table anyway, so bumping at
-- once holds no lock another writer could be waiting on.
create trigger bump_catalog_version_after_truncate
  after truncate on public.model_access
  for each statement
  execute function private.bump_catalog_version();

-- The tier hierarchy decides every tier's list as much as the catalog does.
create constraint trigger bump_catalog_version
  after insert or update or delete on public.subscription_tiers
  deferrable initially deferred
  for each row
  execute function private.bump_catalog_version();

create trigger bump_catalog_version_after_truncate
  after truncate on public.subscription_tiers
  for each statement
  execute function private.bump_catalog_version();

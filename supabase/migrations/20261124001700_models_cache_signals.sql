-- What the models function's in-memory caches need to stay exact: a catalog version that changes
-- in the same transaction as any catalog write, and NOTIFY signals on the channel
-- `model_access_cache` when the catalog, a user's tier or a user's quota usage changes.
--
-- Why: GET /models is on every page load of every client. Reading the caller's tier, usage and a
-- catalog fingerprint on every request made the database the bottleneck (issue "Performance").
-- With these signals a function instance keeps the tier, usage and the rendered lists in memory
-- and drops an entry as soon as its source changes; where notifications cannot arrive (a
-- transaction pooler in between), the function checks the version instead: one index lookup.
--
-- Payloads: `catalog`, `tier:<user uuid>`, `usage:<user uuid>` (models with a limit only), and the
-- function's own `probe:...` (which shows it that notifications reach it). NOTIFY is
-- transactional: a signal is delivered only when its change commits, never for a rolled back one.

create table private.catalog_version (
  singleton boolean primary key default true,
  version bigint not null default 0,
  constraint catalog_version_singleton check (singleton)
);

comment on table private.catalog_version is
  'One row: a counter bumped by every statement that changes rows of public.model_access. Equal '
  'versions mean an equal catalog, so the models function can reuse a list it rendered without '
  'rereading the catalog. (Passing a sunset_at changes the list without a write; the function '
  'expires a list at its earliest sunset itself.)';

insert into private.catalog_version (singleton, version) values (true, 0);

alter table private.catalog_version enable row level security;

create policy "Signed-in users and the service role can read the catalog version"
  on private.catalog_version
  for select
  to authenticated, service_role
  using (true);

revoke all on table private.catalog_version from public, anon, authenticated, service_role;
grant select on table private.catalog_version to authenticated, service_role;

-- Catalog writers (admins, the service role, operators) take this transaction-level advisory lock
-- before their first statement touches a row, so they always lock the counter row after it: two
-- writers then queue instead of deadlocking over a catalog row and the counter. Invoker, so that
-- can_manage_catalog sees the writer; anyone else changes no catalog row (RLS) and skips it.
create function private.serialize_catalog_writes()
returns trigger
language plpgsql
security invoker
set search_path = ''
as $$
begin
  if private.can_manage_catalog() then
    perform pg_advisory_xact_lock(hashtextextended('public.model_access writers', 0));
  end if;
  return null;
end;
$$;

comment on function private.serialize_catalog_writes() is
  'Trigger: before a statement writing public.model_access, takes the catalog writers'' '
  'transaction advisory lock (callers that may manage the catalog only).';

revoke execute on function private.serialize_catalog_writes()
  from public, anon, authenticated, service_role;

create trigger serialize_catalog_writes
  before insert or update or delete or truncate on public.model_access
  for each statement
  execute function private.serialize_catalog_writes();

-- Definer: writers have no write grant on the counter. Statement level with the statement's
-- transition table: a statement that changed no row (a re-sync with no change, a dry run, a user's
-- update that RLS filtered to nothing) neither bumps nor signals.
create function private.bump_catalog_version()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
begin
  if tg_op <> 'TRUNCATE' then
    if not exists (select 1 from changed_rows) then
      return null;
    end if;
  end if;
  update private.catalog_version set version = version + 1 where singleton;
  perform pg_notify('model_access_cache', 'catalog');
  return null;
end;
$$;

comment on function private.bump_catalog_version() is
  'Trigger: after a statement that changed rows of public.model_access (transition table '
  'changed_rows), bumps private.catalog_version and signals `catalog` on channel '
  'model_access_cache.';

revoke execute on function private.bump_catalog_version() from public, anon, authenticated, service_role;

create trigger bump_catalog_version_after_insert
  after insert on public.model_access
  referencing new table as changed_rows
  for each statement
  execute function private.bump_catalog_version();

create trigger bump_catalog_version_after_update
  after update on public.model_access
  referencing new table as changed_rows
  for each statement
  execute function private.bump_catalog_version();

create trigger bump_catalog_version_after_delete
  after delete on public.model_access
  referencing old table as changed_rows
  for each statement
  execute function private.bump_catalog_version();

create trigger bump_catalog_version_after_truncate
  after truncate on public.model_access
  for each statement
  execute function private.bump_catalog_version();

-- Invoker: pg_notify needs no privilege, and the trigger reads only the row it fires for.
create function private.signal_tier_change()
returns trigger
language plpgsql
security invoker
set search_path = ''
as $$
begin
  if tg_op = 'DELETE' then
    perform pg_notify('model_access_cache', 'tier:' || old.id);
  else
    perform pg_notify('model_access_cache', 'tier:' || new.id);
  end if;
  return null;
end;
$$;

comment on function private.signal_tier_change() is
  'Trigger: signals `tier:<user uuid>` on channel model_access_cache when a profile is made, '
  'deleted or changes tier.';

revoke execute on function private.signal_tier_change() from public, anon, authenticated, service_role;

create trigger signal_tier_change
  after insert or delete or update of subscription_tier on public.profiles
  for each row
  execute function private.signal_tier_change();

-- Only models with a limit show usage in the list, so only their counters are signalled: Postgres
-- commits notifying transactions one at a time, and consume_model_quota runs before every LLM
-- call. (The models function forgets all cached counters on `catalog`, so a limit set later shows
-- the counts taken before it.) Invoker: runs as whoever writes the counters.
create function private.signal_usage_change()
returns trigger
language plpgsql
security invoker
set search_path = ''
as $$
declare
  changed public.model_usage;
begin
  if tg_op = 'DELETE' then
    changed := old;
  else
    changed := new;
  end if;
  if exists (
    select 1
    from public.model_access as m
    where m.model_id = changed.model_id
      and (m.daily_limit is not null or m.monthly_limit is not null)
  ) then
    perform pg_notify('model_access_cache', 'usage:' || changed.user_id);
  end if;
  return null;
end;
$$;

comment on function private.signal_usage_change() is
  'Trigger: signals `usage:<user uuid>` on channel model_access_cache when a counter of a model '
  'with a daily or monthly limit changes. Repeats within a transaction arrive once.';

revoke execute on function private.signal_usage_change() from public, anon, authenticated, service_role;

create trigger signal_usage_change
  after insert or update or delete on public.model_usage
  for each row
  execute function private.signal_usage_change();

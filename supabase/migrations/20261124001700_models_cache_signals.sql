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
-- Payloads: `catalog`, `tier:<user uuid>`, `usage:<user uuid>`, and the function's own `probe:...`
-- (which shows it that notifications reach it). NOTIFY is transactional: a signal is delivered
-- only when its change commits, and never for a rolled back one.

create table private.catalog_version (
  singleton boolean primary key default true,
  version bigint not null default 0,
  constraint catalog_version_singleton check (singleton)
);

comment on table private.catalog_version is
  'One row: a counter bumped by every statement that writes public.model_access. Equal versions '
  'mean an equal catalog, so the models function can reuse a list it rendered without rereading '
  'the catalog. (Passing a sunset_at changes the list without a write; the function expires a '
  'list at its earliest sunset itself.)';

insert into private.catalog_version (singleton, version) values (true, 0);

alter table private.catalog_version enable row level security;

create policy "Signed-in users and the service role can read the catalog version"
  on private.catalog_version
  for select
  to authenticated, service_role
  using (true);

revoke all on table private.catalog_version from public, anon, authenticated, service_role;
grant select on table private.catalog_version to authenticated, service_role;

-- Definer: admins and the service role write the catalog but have no write grant on the counter.
-- Statement level: one bump per statement, however many rows it wrote (none included).
create function private.bump_catalog_version()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
begin
  update private.catalog_version set version = version + 1 where singleton;
  perform pg_notify('model_access_cache', 'catalog');
  return null;
end;
$$;

comment on function private.bump_catalog_version() is
  'Trigger: after any write to public.model_access, bumps private.catalog_version and signals '
  '`catalog` on channel model_access_cache.';

revoke execute on function private.bump_catalog_version() from public, anon, authenticated, service_role;

create trigger bump_catalog_version
  after insert or update or delete or truncate on public.model_access
  for each statement
  execute function private.bump_catalog_version();

-- Invoker: pg_notify needs no privilege, and the trigger reads only the row it fires for.
create function private.signal_user_change()
returns trigger
language plpgsql
security invoker
set search_path = ''
as $$
declare
  changed jsonb;
begin
  if tg_op = 'DELETE' then
    changed := to_jsonb(old);
  else
    changed := to_jsonb(new);
  end if;
  perform pg_notify('model_access_cache', tg_argv[0] || ':' || (changed ->> tg_argv[1]));
  return null;
end;
$$;

comment on function private.signal_user_change() is
  'Trigger: signals `<kind>:<user uuid>` on channel model_access_cache; its arguments are the kind '
  '(tier, usage) and the column holding the user id. Repeats within a transaction arrive once.';

revoke execute on function private.signal_user_change() from public, anon, authenticated, service_role;

create trigger signal_tier_change
  after insert or delete or update of subscription_tier on public.profiles
  for each row
  execute function private.signal_user_change('tier', 'id');

create trigger signal_usage_change
  after insert or update or delete on public.model_usage
  for each row
  execute function private.signal_user_change('usage', 'user_id');

-- private.catalog_version: a counter that moves whenever a committed change to public.model_access
-- becomes visible, so the models function can cache the lists it renders and check in the same
-- statement that reads the caller's tier whether a cached list still holds.
--
-- Why: GET /models is on every page load of every client. A function isolate keeps each tier's
-- rendered list in memory keyed by this version; a request reads the caller's tier and the version
-- (one round trip) and reads the catalog only when the version moved. A list depends on nothing
-- else: get_user_allowed_models_v2 reads the caller's profile (its tier, read by the same
-- statement), model_access (rules and admin changes reach the list only by writing model_access)
-- and the clock (a sunset; the function keeps a list no longer than its earliest sunset).
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
  'public.model_access. Equal versions mean an equal catalog, so the models function can reuse a '
  'list it rendered without rereading the catalog. (Passing a sunset_at changes the list without '
  'a write; the function keeps a list no longer than its earliest sunset.)';
comment on column private.catalog_version.version is
  'Moves at the commit of every transaction that changed public.model_access, in commit order.';

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
  '(deferred to commit for row changes; at once for a truncate).';

revoke execute on function private.bump_catalog_version()
  from public, anon, authenticated, service_role;

create constraint trigger bump_catalog_version
  after insert or update or delete on public.model_access
  deferrable initially deferred
  for each row
  execute function private.bump_catalog_version();

-- Constraint triggers are row-level only. A truncate locks the whole table anyway, so bumping at
-- once holds no lock another writer could be waiting on.
create trigger bump_catalog_version_after_truncate
  after truncate on public.model_access
  for each statement
  execute function private.bump_catalog_version();

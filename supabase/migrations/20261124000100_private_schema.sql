-- Foundation for the model-access schema: the `private` schema and closed default privileges.
--
-- Why: `public` is reachable through the Data API, so it holds only what clients may call.
-- Internal helpers (security definer functions used by policies and triggers, trigger functions,
-- pure utilities) live in `private`, which `anon` cannot use. Supabase grants EXECUTE on every new
-- function to PUBLIC and to the API roles by default; we close that here so that every later
-- migration grants execute explicitly, function by function.

create schema if not exists private;
comment on schema private is
  'Internal helpers (policy and trigger functions, utilities). Not exposed through the Data API; '
  'usable by authenticated and service_role only because RLS policies call private.is_admin().';

revoke all on schema private from public;
grant usage on schema private to authenticated, service_role;

-- Functions created by postgres from now on are executable only by whoever a migration names.
alter default privileges for role postgres revoke execute on functions from public;
alter default privileges for role postgres in schema public
  revoke execute on functions from anon, authenticated, service_role;

-- Keeps updated_at current on any table with that column. Invoker: it only assigns to NEW.
-- A statement that rewrites a row with identical values leaves updated_at alone.
create function private.set_updated_at()
returns trigger
language plpgsql
security invoker
set search_path = ''
as $$
begin
  if new is distinct from old then
    new.updated_at := now();
  end if;
  return new;
end;
$$;

comment on function private.set_updated_at() is
  'BEFORE UPDATE trigger: sets updated_at to now() when the row actually changes.';

revoke execute on function private.set_updated_at() from public, anon, authenticated, service_role;

-- The role a request runs as, for checks and audit records made inside security definer
-- functions, where current_user is the owner: the role the session switched to (PostgREST, the
-- edge functions and Studio's role switch set `role`), else the role it logged in as (Studio's
-- SQL editor, pg_cron).
create function private.request_role()
returns text
language sql
stable
security invoker
set search_path = ''
as $$
  select coalesce(nullif(pg_catalog.current_setting('role', true), 'none'), session_user::text);
$$;

comment on function private.request_role() is
  'The database role of the request (authenticated, service_role, postgres, ...), the same inside '
  'security definer functions: the `role` setting, else session_user.';

revoke execute on function private.request_role() from public, anon, authenticated, service_role;
grant execute on function private.request_role() to authenticated, service_role;

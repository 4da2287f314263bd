-- Docker-free stand-in for the parts of a Supabase database that Debian's PostgreSQL lacks.
-- Loaded by supabase/local/stack.ts as the bootstrap superuser `supabase_admin`, before our
-- migrations, exactly once per throwaway cluster. Never part of supabase/migrations.
-- Mirrors Supabase's own init scripts for the names and signatures we use; see README.md here.

-- Roles ------------------------------------------------------------------------------------------
-- As on Supabase: `postgres` is not a superuser; API roles cannot log in; `authenticator` can and
-- switches to them.
create role anon nologin noinherit;
create role authenticated nologin noinherit;
create role service_role nologin noinherit bypassrls;
create role authenticator login noinherit password 'postgres';
create role supabase_auth_admin nologin noinherit createrole;
create role dashboard_user nologin createrole createdb replication;
grant anon, authenticated, service_role to authenticator;

create role postgres login createrole createdb replication bypassrls password 'postgres';
grant anon, authenticated, service_role to postgres with admin option;
grant authenticator, dashboard_user to postgres;
alter database postgres owner to postgres;
alter role postgres set search_path = "$user", public, extensions;
alter role authenticator set search_path = "$user", public, extensions;
alter role authenticator set statement_timeout = '8s';
alter role anon set statement_timeout = '3s';
alter role authenticated set statement_timeout = '8s';

-- Schemas and Supabase's default privileges in `public` since 2026-10-30 ("Default privileges for
-- new entities" off, now every project's setting): the platform's grants, then the revokes the
-- Supabase CLI applies for `api.auto_expose_new_tables = false`. Tables, sequences and functions
-- that `postgres` creates are reachable by no API role until a migration grants it explicitly
-- (tables keep truncate, references and trigger for them, sequences update, as on Supabase).
alter schema public owner to postgres;
grant usage on schema public to anon, authenticated, service_role;
alter default privileges for role postgres in schema public
  grant all on tables to anon, authenticated, service_role;
alter default privileges for role postgres in schema public
  grant all on functions to anon, authenticated, service_role;
alter default privileges for role postgres in schema public
  grant all on sequences to anon, authenticated, service_role;
alter default privileges for role postgres in schema public
  revoke select, insert, update, delete on tables from anon, authenticated, service_role;
alter default privileges for role postgres in schema public
  revoke usage, select on sequences from anon, authenticated, service_role;
alter default privileges for role postgres in schema public
  revoke execute on functions from anon, authenticated, service_role;

create schema extensions;
grant usage on schema extensions to postgres, anon, authenticated, service_role;
grant all on schema extensions to postgres with grant option;
alter default privileges in schema extensions grant all on tables to postgres with grant option;
alter default privileges in schema extensions grant all on functions to postgres with grant option;
create extension if not exists pgcrypto with schema extensions;
create extension if not exists "uuid-ossp" with schema extensions;

-- auth --------------------------------------------------------------------------------------------
create schema auth authorization supabase_auth_admin;
grant usage on schema auth to anon, authenticated, service_role, postgres, dashboard_user;

create table auth.users (
  instance_id uuid,
  id uuid primary key default extensions.gen_random_uuid(),
  aud varchar(255) default 'authenticated',
  role varchar(255) default 'authenticated',
  email varchar(255),
  encrypted_password varchar(255),
  email_confirmed_at timestamptz,
  last_sign_in_at timestamptz,
  raw_app_meta_data jsonb default '{"provider": "email", "providers": ["email"]}'::jsonb,
  raw_user_meta_data jsonb default '{}'::jsonb,
  is_super_admin boolean,
  created_at timestamptz default now(),
  updated_at timestamptz default now(),
  phone text unique,
  banned_until timestamptz,
  deleted_at timestamptz,
  is_anonymous boolean not null default false
);
create unique index users_email_partial_key on auth.users (email) where email is not null;
alter table auth.users owner to supabase_auth_admin;
alter table auth.users enable row level security;
grant all on auth.users to postgres, dashboard_user;
comment on table auth.users is 'Local stand-in for Supabase Auth users (subset of GoTrue''s columns).';

-- The same definitions Supabase ships: claims come from `request.jwt.claims`, with the older
-- per-claim settings still honoured.
create function auth.uid() returns uuid
language sql stable
as $$
  select coalesce(
    nullif(current_setting('request.jwt.claim.sub', true), ''),
    (nullif(current_setting('request.jwt.claims', true), '')::jsonb ->> 'sub')
  )::uuid
$$;

create function auth.role() returns text
language sql stable
as $$
  select coalesce(
    nullif(current_setting('request.jwt.claim.role', true), ''),
    (nullif(current_setting('request.jwt.claims', true), '')::jsonb ->> 'role')
  )::text
$$;

create function auth.jwt() returns jsonb
language sql stable
as $$
  select coalesce(
    nullif(current_setting('request.jwt.claim', true), ''),
    nullif(current_setting('request.jwt.claims', true), '')
  )::jsonb
$$;

alter function auth.uid() owner to supabase_auth_admin;
alter function auth.role() owner to supabase_auth_admin;
alter function auth.jwt() owner to supabase_auth_admin;
grant execute on function auth.uid(), auth.role(), auth.jwt()
  to postgres, anon, authenticated, service_role, dashboard_user;

-- Extensions: pg_cron is Debian's real one; pg_net and supabase_vault are our stand-ins
-- (supabase/local/extensions), installed as extensions so migrations that say
-- `create extension if not exists pg_net` behave as on Supabase.
create extension if not exists pg_cron with schema pg_catalog;
grant usage on schema cron to postgres;
grant all on all tables in schema cron to postgres;
grant all on all sequences in schema cron to postgres;
grant all on all functions in schema cron to postgres;

create extension if not exists pg_net with schema extensions;
create extension if not exists supabase_vault;

-- Test and lint tooling Supabase preinstalls or lets `postgres` create.
create extension if not exists pgtap with schema extensions;
create extension if not exists plpgsql_check with schema extensions;

-- Default privileges in `public` as on Supabase since 2026-10-30: what `postgres` creates there is
-- reachable by no Data API role until granted explicitly.
begin;
select plan(7);

set local role postgres;
create table public.compat_default_privileges_probe (id bigint generated always as identity);
create sequence public.compat_default_privileges_seq;
reset role;

select ok(
  not has_table_privilege(r, 'public.compat_default_privileges_probe', 'select')
    and not has_table_privilege(r, 'public.compat_default_privileges_probe', 'insert')
    and not has_table_privilege(r, 'public.compat_default_privileges_probe', 'update')
    and not has_table_privilege(r, 'public.compat_default_privileges_probe', 'delete'),
  r || ' gets no select, insert, update or delete on a new table'
)
from unnest(array['anon', 'authenticated', 'service_role']) as r;

select ok(
  not has_sequence_privilege(r, 'public.compat_default_privileges_seq', 'usage')
    and not has_sequence_privilege(r, 'public.compat_default_privileges_seq', 'select'),
  r || ' gets no usage or select on a new sequence'
)
from unnest(array['anon', 'authenticated', 'service_role']) as r;

-- Functions: postgres's own default ACL in public names no API role (PUBLIC's EXECUTE is
-- PostgreSQL's built-in default, which our first migration revokes).
select is(
  (select count(*)::int
   from pg_catalog.pg_default_acl as d, aclexplode(d.defaclacl) as a
   where d.defaclrole = 'postgres'::regrole
     and d.defaclnamespace = 'public'::regnamespace
     and d.defaclobjtype = 'f'
     and a.grantee in ('anon'::regrole, 'authenticated'::regrole, 'service_role'::regrole)),
  0, 'no API role gets EXECUTE on new functions from postgres''s default privileges'
);

select * from finish();
rollback;

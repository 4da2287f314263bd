-- The compatibility layer behaves like Supabase for what our migrations rely on:
-- roles, auth.uid()/auth.role()/auth.jwt() from request.jwt.claims, and auth.users privacy.
begin;
select plan(16);

select has_role('anon');
select has_role('authenticated');
select has_role('service_role');
select is(
  (select rolsuper from pg_roles where rolname = 'postgres'), false,
  'postgres is not a superuser, as on Supabase'
);
select is(
  (select rolbypassrls from pg_roles where rolname = 'service_role'), true,
  'service_role bypasses RLS'
);

insert into auth.users (id, email)
values ('00000000-0000-4000-8000-00000000c0de', 'compat@example.com');

set local role authenticated;
select set_config(
  'request.jwt.claims',
  '{"sub": "00000000-0000-4000-8000-00000000c0de", "role": "authenticated", "email": "compat@example.com"}',
  true
);
select is(auth.uid(), '00000000-0000-4000-8000-00000000c0de'::uuid, 'auth.uid() is the sub claim');
select is(auth.role(), 'authenticated', 'auth.role() is the role claim');
select is(auth.jwt() ->> 'email', 'compat@example.com', 'auth.jwt() returns all claims');
select throws_ok(
  'select count(*) from auth.users', '42501', 'permission denied for table users',
  'authenticated cannot read auth.users'
);

reset role;
set local role anon;
select set_config('request.jwt.claims', '{"role": "anon"}', true);
select is(auth.uid(), null, 'auth.uid() is null for anon');
select is(auth.role(), 'anon', 'auth.role() is anon');
select throws_ok(
  'select count(*) from auth.users', '42501', 'permission denied for table users',
  'anon cannot read auth.users'
);

reset role;
select set_config('request.jwt.claims', '', true);
select is(auth.uid(), null, 'auth.uid() is null without claims');
select set_config('request.jwt.claim.sub', '00000000-0000-4000-8000-00000000c0de', true);
select is(
  auth.uid(), '00000000-0000-4000-8000-00000000c0de'::uuid,
  'the older per-claim setting is still honoured'
);

set local role anon;
select throws_ok(
  $$select vault.create_secret('x', 'compat_secret')$$, '42501', null,
  'anon cannot use the vault'
);
select lives_ok(
  $$select net.http_post('http://127.0.0.1:1/')$$,
  'anon can queue HTTP through pg_net, as on Supabase (rolled back here: never sent)'
);

select * from finish();
rollback;

-- public.profiles and the schema-wide rules: the profile made by the auth.users trigger, its
-- defaults and constraints, privileges and RLS for anon, users (own and other rows), admins and the
-- service role; users never change their own tier or admin flag; admin rights come from
-- profiles.is_admin only (private.is_admin, the policies); and, for every table and function of
-- ours, RLS enabled and search_path = ''.
begin;
\ir _helpers.psql
select plan(40);

select tests.create_user('profile-alice@example.test', 'free') as alice_id \gset
select tests.create_user('profile-bob@example.test', 'pro') as bob_id \gset
select tests.create_user('profile-admin@example.test', 'free', true) as admin_id \gset

-- Structure -------------------------------------------------------------------------------------
select has_column('public', 'profiles', 'is_admin', 'profiles has is_admin');
select col_not_null('public', 'profiles', 'is_admin', 'is_admin is not null');
select col_default_is('public', 'profiles', 'is_admin', 'false', 'is_admin defaults to false');
select col_default_is(
  'public', 'profiles', 'subscription_tier', 'free'::text, 'subscription_tier defaults to free'
);
select col_default_is(
  'public', 'profiles', 'default_model', 'deepseek/deepseek-r1-0528:free'::text,
  'default_model defaults to the DeepSeek R1 free model'
);
select hasnt_column('public', 'profiles', 'allowed_models', 'profiles has no allowed_models');
select fk_ok('public', 'profiles', 'id', 'auth', 'users', 'id', 'profiles.id references auth.users');

-- The trigger on auth.users -----------------------------------------------------------------------
insert into auth.users (id, email, aud, role)
values ('00000000-0000-4000-b000-000000000001', 'new-signup@example.test', 'authenticated',
  'authenticated');
select is(
  (select jsonb_build_object('email', email, 'tier', subscription_tier, 'admin', is_admin,
     'model', default_model, 'ui', ui_preferences, 'session', session_preferences)
   from public.profiles where id = '00000000-0000-4000-b000-000000000001'),
  '{"email": "new-signup@example.test", "tier": "free", "admin": false,
    "model": "deepseek/deepseek-r1-0528:free", "ui": {}, "session": {}}'::jsonb,
  'a new auth user gets a profile: free tier, not admin, default model, empty preferences'
);
update auth.users set email = 'renamed@example.test'
where id = '00000000-0000-4000-b000-000000000001';
select is(
  (select email from public.profiles where id = '00000000-0000-4000-b000-000000000001'),
  'renamed@example.test',
  'a changed auth email is copied to the profile'
);
delete from auth.users where id = '00000000-0000-4000-b000-000000000001';
select is(
  (select count(*)::int from public.profiles where id = '00000000-0000-4000-b000-000000000001'),
  0,
  'deleting the auth user deletes the profile'
);

select throws_ok(
  format('update public.profiles set subscription_tier = %L where id = %L', 'platinum', :'alice_id'),
  '23503',
  'insert or update on table "profiles" violates foreign key constraint "profiles_subscription_tier_fkey"',
  'subscription_tier is one of public.subscription_tiers'
);
select throws_ok(
  format('update public.profiles set temperature = 2.5 where id = %L', :'alice_id'),
  '23514', 'new row for relation "profiles" violates check constraint "profiles_temperature_range"',
  'temperature is between 0 and 2'
);

-- Privileges ----------------------------------------------------------------------------------------
select ok(
  not has_table_privilege('anon', 'public.profiles', 'select, insert, update, delete'),
  'anon has no privilege on profiles'
);
select ok(
  not has_column_privilege('authenticated', 'public.profiles', 'subscription_tier', 'update')
  and not has_column_privilege('authenticated', 'public.profiles', 'is_admin', 'update')
  and not has_column_privilege('authenticated', 'public.profiles', 'email', 'update')
  and not has_column_privilege('authenticated', 'public.profiles', 'id', 'update')
  and not has_table_privilege('authenticated', 'public.profiles', 'insert')
  and not has_table_privilege('authenticated', 'public.profiles', 'delete'),
  'authenticated cannot update tier, admin flag, email or id, nor insert or delete profiles'
);
select ok(
  has_column_privilege('authenticated', 'public.profiles', 'default_model', 'update')
  and has_column_privilege('authenticated', 'public.profiles', 'ui_preferences', 'update')
  and has_column_privilege('authenticated', 'public.profiles', 'session_preferences', 'update')
  and has_column_privilege('authenticated', 'public.profiles', 'temperature', 'update')
  and has_column_privilege('authenticated', 'public.profiles', 'system_prompt', 'update'),
  'authenticated may update the preference columns'
);

select tests.act_as_anon();
select throws_ok(
  'select count(*) from public.profiles', '42501', 'permission denied for table profiles',
  'anon cannot read profiles'
);
select throws_ok(
  'select private.is_admin()', '42501', 'permission denied for schema private',
  'anon cannot use the private schema'
);

-- A user: own row only, preferences only ----------------------------------------------------------
select tests.act_as(:'alice_id');
select results_eq(
  'select id from public.profiles', format('values (%L::uuid)', :'alice_id'),
  'a user reads only their own profile'
);
select throws_ok(
  format('update public.profiles set subscription_tier = %L where id = %L', 'enterprise', :'alice_id'),
  '42501', 'permission denied for table profiles',
  'a user cannot raise their own tier'
);
select throws_ok(
  format('update public.profiles set is_admin = true where id = %L', :'alice_id'),
  '42501', 'permission denied for table profiles',
  'a user cannot make themselves admin'
);
select throws_ok(
  format(
    'insert into public.profiles (id, subscription_tier, is_admin) values (%L, %L, true)',
    gen_random_uuid(), 'enterprise'
  ),
  '42501', 'permission denied for table profiles',
  'a user cannot insert a profile'
);
select throws_ok(
  format('delete from public.profiles where id = %L', :'alice_id'),
  '42501', 'permission denied for table profiles',
  'a user cannot delete their profile'
);
select is_empty(
  format(
    'update public.profiles set ui_preferences = %L where id = %L returning id',
    '{"theme": "hacked"}', :'bob_id'
  ),
  'a user cannot update another user''s profile (no row is visible)'
);
select results_eq(
  format(
    'update public.profiles set ui_preferences = %L, temperature = 1.2 where id = %L '
    'returning ui_preferences ->> %L, temperature',
    '{"theme": "dark"}', :'alice_id', 'theme'
  ),
  $$values ('dark', 1.20::numeric(3, 2))$$,
  'a user updates their own preference columns'
);
select throws_ok(
  format('update public.profiles set default_model = %L where id = %L', 'openai/gpt-4o', :'alice_id'),
  '23514', 'model openai/gpt-4o is not available to the free tier',
  'a direct update cannot set a default model outside the user''s tier'
);
select ok(
  not private.is_admin(), 'private.is_admin() is false for a user who is not an admin'
);
select is(public.get_my_tier(), 'free', 'get_my_tier() answers the caller''s tier');

select tests.act_as(:'bob_id');
select is(
  (select ui_preferences from public.profiles where id = :'bob_id'), '{}'::jsonb,
  'the other user''s profile is untouched'
);
select is(public.get_my_tier(), 'pro', 'get_my_tier() answers pro for a pro user');

-- An admin: rights come from is_admin, not from the tier ---------------------------------------------
select tests.act_as(:'admin_id');
select ok(private.is_admin(), 'private.is_admin() is true for an admin on the free tier');
select results_eq(
  'select id from public.profiles', format('values (%L::uuid)', :'admin_id'),
  'even an admin reads only their own profile through the API'
);

-- The service role ------------------------------------------------------------------------------------
select tests.act_as_service_role();
select is(
  (select count(*)::int from public.profiles where id in (:'alice_id', :'bob_id', :'admin_id')), 3,
  'the service role reads every profile'
);
select results_eq(
  format(
    'update public.profiles set subscription_tier = %L where id = %L returning subscription_tier',
    'enterprise', :'bob_id'
  ),
  $$values ('enterprise')$$,
  'the service role can change a tier'
);
select is(public.get_my_tier(), 'free', 'get_my_tier() is free for a caller without a profile');

-- Schema-wide rules ------------------------------------------------------------------------------------
select tests.act_as_operator();
select is_empty(
  $$select c.oid::regclass::text
    from pg_class as c
    where c.relnamespace in ('public'::regnamespace, 'private'::regnamespace)
      and c.relkind in ('r', 'p')
      and not c.relrowsecurity$$,
  'every table in public and private has row level security enabled'
);
select is_empty(
  $$select p.oid::regprocedure::text
    from pg_proc as p
    where p.pronamespace in ('public'::regnamespace, 'private'::regnamespace)
      and not exists (
        select 1 from pg_depend as d
        where d.classid = 'pg_proc'::regclass and d.objid = p.oid and d.deptype = 'e'
      )
      and not coalesce(p.proconfig @> array['search_path=""'], false)$$,
  'every function in public and private sets search_path = '''''
);
select is_empty(
  $$select p.oid::regprocedure::text
    from pg_proc as p
    where p.pronamespace = 'public'::regnamespace
      and not exists (
        select 1 from pg_depend as d
        where d.classid = 'pg_proc'::regclass and d.objid = p.oid and d.deptype = 'e'
      )
      and (has_function_privilege('anon', p.oid, 'execute') or p.prosecdef)$$,
  'no function in public is executable by anon, and none is security definer'
);
select is_empty(
  $$select tablename || ': ' || policyname from pg_policies
    where schemaname = 'public'
      and (coalesce(qual, '') || coalesce(with_check, '')) ~ 'subscription_tier|user_metadata'$$,
  'no policy decides on the tier or user_metadata'
);
select is_empty(
  $$select tablename || ': ' || policyname from pg_policies
    where schemaname = 'public' and (cmd = 'ALL' or roles && array['anon', 'public']::name[])$$,
  'no policy is `for all`, and none is for anon or public'
);
select is(
  (select array_agg(tablename::text order by tablename) from pg_policies
   where schemaname = 'public' and (coalesce(qual, '') || coalesce(with_check, '')) ~ 'is_admin'
     and cmd = 'SELECT'),
  array[
    'model_access', 'model_access_audit', 'model_access_rules', 'model_access_rules_audit',
    'model_change_digests', 'model_price_history', 'model_sync_log', 'model_usage'
  ],
  'admin reads are granted by private.is_admin() (profiles.is_admin)'
);

select * from finish();
rollback;

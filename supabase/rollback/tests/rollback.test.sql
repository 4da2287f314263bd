-- The rollback script, run inside this test's transaction and rolled back at the end: it restores
-- profiles.allowed_models (each tier's current models, or the three default free models), removes
-- every catalog, sync, audit, quota, preference and schedule object, and keeps users, profiles and
-- the admin flag working.
begin;
\ir ../../tests/database/_helpers.psql
select plan(29);

select tests.act_as_operator();
insert into public.model_access (model_id, model_name, status, is_free, is_pro, is_enterprise)
values ('t/pro', 'A pro model', 'active', false, true, false),
  ('t/ent', 'An enterprise model', 'active', false, false, true),
  ('t/new', 'A new model', 'new', true, true, true);

select tests.create_user('rollback-free@example.test', 'free') as free_id \gset
select tests.create_user('rollback-pro@example.test', 'pro') as pro_id \gset
select tests.create_user('rollback-ent@example.test', 'enterprise', true) as ent_id \gset
update public.profiles set ui_preferences = '{"theme": "dark"}' where id = :'pro_id';

select count(*)::int as users_before from auth.users \gset
select count(*)::int as profiles_before from public.profiles \gset
select array_agg(model_id) as free_list from public.get_user_allowed_models_v2(:'free_id') \gset
select array_agg(model_id) as pro_list from public.get_user_allowed_models_v2(:'pro_id') \gset
select array_agg(model_id) as ent_list from public.get_user_allowed_models_v2(:'ent_id') \gset

-- With no usable model at all, every profile gets the three default free models.
savepoint without_models;
update public.model_access set status = 'disabled';
\ir ../rollback_model_catalog.sql
select is(
  (select array_agg(distinct array_to_string(allowed_models, ',')) from public.profiles),
  array['deepseek/deepseek-r1-0528:free,google/gemini-2.0-flash-exp:free,qwen/qwen3-coder:free'],
  'with no usable model, every profile gets the three default free models'
);
rollback to savepoint without_models;

-- The real rollback.
\ir ../rollback_model_catalog.sql

select has_column('public', 'profiles', 'allowed_models', 'profiles.allowed_models is back');
select col_type_is('public', 'profiles', 'allowed_models', 'text[]', 'it is a text[]');
select col_not_null('public', 'profiles', 'allowed_models', 'it is not null');
select col_has_default('public', 'profiles', 'allowed_models', 'it has a default (checked below)');
select is(
  (select allowed_models from public.profiles where id = :'free_id'), :'free_list'::text[],
  'a free user keeps exactly the models the free tier could use'
);
select is(
  (select allowed_models from public.profiles where id = :'pro_id'), :'pro_list'::text[],
  'a pro user keeps exactly the pro list, in the same order'
);
select is(
  (select allowed_models from public.profiles where id = :'ent_id'), :'ent_list'::text[],
  'an enterprise user keeps exactly the enterprise list'
);
select ok(
  't/pro' = any (:'pro_list'::text[]) and not ('t/new' = any (:'ent_list'::text[])),
  '(the lists were tier-specific: pro models for pro, no new models)'
);

select is((select count(*)::int from auth.users), :users_before, 'no user was removed');
select is((select count(*)::int from public.profiles), :profiles_before, 'no profile was removed');
select is(
  (select ui_preferences ->> 'theme' from public.profiles where id = :'pro_id'), 'dark',
  'profile data is kept'
);

select hasnt_table('public', 'model_access', 'model_access is gone');
select hasnt_table('public', 'model_sync_log', 'model_sync_log is gone');
select hasnt_table('public', 'model_access_audit', 'model_access_audit is gone');
select hasnt_table('public', 'model_access_rules_audit', 'model_access_rules_audit is gone');
select hasnt_table('public', 'model_usage', 'model_usage is gone');
select hasnt_table('public', 'user_activity', 'user_activity is gone');
select hasnt_view('private', 'tier_models', 'private.tier_models is gone');
select hasnt_view('private', 'tier_offered_models', 'private.tier_offered_models is gone');
select hasnt_domain('public', 'model_status', 'the model_status domain is gone');
select hasnt_table('private', 'catalog_version', 'private.catalog_version is gone');
select is(
  (select array_agg(p.oid::regprocedure::text order by p.oid::regprocedure::text)
   from pg_proc as p
   where p.pronamespace in ('public'::regnamespace, 'private'::regnamespace)
     and not exists (
       select 1 from pg_depend as d
       where d.classid = 'pg_proc'::regclass and d.objid = p.oid and d.deptype = 'e'
     )),
  array[
    'private.handle_auth_user_saved()', 'private.is_admin()', 'private.request_role()',
    'private.set_updated_at()'
  ],
  'only the foundation and profile functions remain in public and private'
);
select is(
  (select count(*)::int from cron.job
   where jobname in ('sync-openrouter-models', 'prune-user-activity')),
  0,
  'the sync and pruning jobs are unscheduled'
);
select is(
  (select array_agg(c.oid::regclass::text order by c.oid::regclass::text)
   from pg_class as c
   where c.relnamespace in ('public'::regnamespace, 'private'::regnamespace)
     and c.relkind in ('r', 'p', 'v', 'm', 'f', 'S', 'c')),
  array['profiles', 'subscription_tiers'],
  'no table, view, sequence or composite type remains in public and private but profiles and '
  'the tiers they name'
);
-- Every catalog migration, whatever its domain, is no longer recorded as applied.
select is(
  (select array_agg(version::text order by version) from supabase_migrations.schema_migrations),
  array['20261124000100', '20261124000200'],
  'only the private schema and profiles migrations remain recorded as applied'
);

-- What remains still works.
insert into auth.users (id, email, aud, role)
values ('00000000-0000-4000-c000-000000000001', 'after-rollback@example.test', 'authenticated',
  'authenticated');
select is(
  (select allowed_models from public.profiles where id = '00000000-0000-4000-c000-000000000001'),
  array['deepseek/deepseek-r1-0528:free', 'google/gemini-2.0-flash-exp:free', 'qwen/qwen3-coder:free'],
  'a new user gets a profile with the three default free models'
);

select tests.act_as(:'free_id');
select throws_ok(
  format('update public.profiles set allowed_models = array[%L] where id = %L', 'openai/gpt-4o', :'free_id'),
  '42501', 'permission denied for table profiles',
  'a user cannot change their own allowed_models'
);
select tests.act_as(:'ent_id');
select ok(private.is_admin(), 'private.is_admin() still works');

select * from finish();
rollback;

-- public.model_access (the catalog) and public.get_user_allowed_models_v2: structure, indexes and
-- constraints; privileges and RLS for anon, users, admins and the service role; which models each
-- tier sees and in what order; a user never lists another user's models; the seed data.
begin;
\ir _helpers.psql
select plan(36);

-- The seed: the three free models, active for every tier ----------------------------------------------
select is(
  (select array_agg(model_id || ':' || status || ':' || is_free || is_pro || is_enterprise
                    order by model_id)
   from public.model_access
   where model_id in (
     'deepseek/deepseek-r1-0528:free', 'google/gemini-2.0-flash-exp:free', 'qwen/qwen3-coder:free'
   )),
  array[
    'deepseek/deepseek-r1-0528:free:active:truetruetrue',
    'google/gemini-2.0-flash-exp:free:active:truetruetrue',
    'qwen/qwen3-coder:free:active:truetruetrue'
  ],
  'the seed has the three free models, active for all tiers'
);
select is(
  (select array_agg(p.email || ':' || p.subscription_tier || ':' || p.is_admin order by p.email)
   from public.profiles as p where p.email like '%@example.com'),
  array[
    'admin@example.com:free:true', 'enterprise@example.com:enterprise:false',
    'free@example.com:free:false', 'pro@example.com:pro:false'
  ],
  'the local seed has one demo user per tier and an admin (on the free tier)'
);

-- A catalog with every combination the list distinguishes ---------------------------------------------
select tests.act_as_operator();
delete from public.model_access;
insert into public.model_access (model_id, model_name, status, is_free, is_pro, is_enterprise)
values
  ('t/free-b', 'B free', 'active', true, false, false),
  ('t/free-a', 'A free', 'active', true, true, true),
  ('t/pro', 'A pro', 'active', false, true, false),
  ('t/pro-ent', 'C pro and enterprise', 'active', false, true, true),
  ('t/ent', 'A enterprise', 'active', false, false, true),
  ('t/new-free', 'new free', 'new', true, false, false),
  ('t/disabled-free', 'disabled free', 'disabled', true, true, true),
  ('t/unflagged', 'active, no tier', 'active', false, false, false);
insert into public.model_access (
  model_id, model_name, status, status_before_inactive, upstream_removed_at, is_free
)
values ('t/inactive-free', 'inactive free', 'inactive', 'active', now(), true);

select tests.create_user('catalog-free@example.test', 'free') as free_id \gset
select tests.create_user('catalog-pro@example.test', 'pro') as pro_id \gset
select tests.create_user('catalog-ent@example.test', 'enterprise') as ent_id \gset
select tests.create_user('catalog-admin@example.test', 'free', true) as admin_id \gset

-- Structure -------------------------------------------------------------------------------------------
select col_default_is('public', 'model_access', 'status', 'new'::text, 'status defaults to new');
select col_is_unique('public', 'model_access', 'model_id', 'model_id is unique');
select has_index('public', 'model_access', 'model_access_status_idx', 'status is indexed');
select has_index(
  'public', 'model_access', 'model_access_active_tiers_idx', 'active tier lookups are indexed'
);
select throws_ok(
  $$insert into public.model_access (model_id, status) values ('t/bad', 'archived')$$,
  '23514',
  'value for domain model_status violates check constraint "model_status_is_known"',
  'status is new, active, inactive or disabled'
);
select throws_ok(
  $$insert into public.model_access (model_id, status) values ('t/bad', 'inactive')$$,
  '23514',
  'new row for relation "model_access" violates check constraint "model_access_inactive_only_when_removed_upstream"',
  'only a model removed upstream can be inactive'
);
select throws_ok(
  $$insert into public.model_access (model_id, daily_limit) values ('t/bad', 0)$$,
  '23514',
  'new row for relation "model_access" violates check constraint "model_access_daily_limit_positive"',
  'limits are positive (null = unlimited)'
);
select throws_ok(
  $$insert into public.model_access (model_id) values ('  ')$$,
  '23514',
  'new row for relation "model_access" violates check constraint "model_access_model_id_not_blank"',
  'model_id is not blank'
);

-- updated_at is kept by trigger, and only for a real change.
-- ALTER TABLE refuses a table with pending trigger events: run the deferred version bump now.
set constraints all immediate;
alter table public.model_access disable trigger set_updated_at;
update public.model_access set updated_at = '2000-01-01T00:00:00Z' where model_id = 't/pro';
alter table public.model_access enable trigger set_updated_at;
update public.model_access set model_name = model_name where model_id = 't/pro';
select is(
  (select updated_at from public.model_access where model_id = 't/pro'),
  '2000-01-01T00:00:00Z'::timestamptz,
  'a rewrite with identical values keeps updated_at'
);
update public.model_access set context_length = 1 where model_id = 't/pro';
select is(
  (select updated_at from public.model_access where model_id = 't/pro'), now(),
  'a real change sets updated_at'
);

-- Privileges and RLS -----------------------------------------------------------------------------------
select tests.act_as_anon();
select throws_ok(
  'select count(*) from public.model_access', '42501', 'permission denied for table model_access',
  'anon cannot read the catalog'
);
select throws_ok(
  'select * from public.get_user_allowed_models_v2()', '42501',
  'permission denied for function get_user_allowed_models_v2',
  'anon cannot list models'
);
select throws_ok(
  'select public.get_my_tier()', '42501', 'permission denied for function get_my_tier',
  'anon cannot ask for a tier'
);

select tests.act_as(:'ent_id');
select is(
  (select array_agg(model_id order by model_id) from public.model_access),
  array['t/ent', 't/free-a', 't/free-b', 't/pro', 't/pro-ent', 't/unflagged'],
  'a user (even enterprise) reads active models only'
);
select throws_ok(
  $$insert into public.model_access (model_id, status, is_free) values ('t/mine', 'active', true)$$,
  '42501', 'new row violates row-level security policy for table "model_access"',
  'a user cannot add a model'
);
select is_empty(
  $$update public.model_access set is_free = true where model_id = 't/ent' returning id$$,
  'a user cannot change a model (no row is updatable)'
);
select throws_ok(
  $$delete from public.model_access where model_id = 't/ent'$$,
  '42501', 'permission denied for table model_access',
  'a user cannot delete a model'
);

select tests.act_as(:'admin_id');
select is(
  (select count(*)::int from public.model_access), 9,
  'an admin (free tier) reads every model, whatever its status'
);
select results_eq(
  $$update public.model_access set daily_limit = 10 where model_id = 't/ent' returning daily_limit$$,
  $$values (10)$$,
  'an admin can change a model through the API'
);
select throws_ok(
  $$delete from public.model_access where model_id = 't/ent'$$,
  '42501', 'permission denied for table model_access',
  'not even an admin can delete a model through the API'
);

select tests.act_as_service_role();
select is(
  (select count(*)::int from public.model_access), 9, 'the service role reads every model'
);

-- get_user_allowed_models_v2 -----------------------------------------------------------------------
select tests.act_as(:'free_id');
select results_eq(
  'select model_id from public.get_user_allowed_models_v2()',
  $$values ('t/free-a'), ('t/free-b')$$,
  'free sees the active is_free models, by name'
);
select results_eq(
  format('select model_id from public.get_user_allowed_models_v2(%L)', :'free_id'),
  $$values ('t/free-a'), ('t/free-b')$$,
  'naming oneself gives the same list'
);
select throws_ok(
  format('select * from public.get_user_allowed_models_v2(%L)', :'ent_id'),
  '42501', 'permission denied: users can only list their own models',
  'a user cannot list another user''s models'
);
select throws_ok(
  format('select * from public.get_user_allowed_models_v2(%L)', gen_random_uuid()),
  '42501', 'permission denied: users can only list their own models',
  'nor those of an unknown user'
);

select tests.act_as(:'pro_id');
select results_eq(
  'select model_id from public.get_user_allowed_models_v2()',
  $$values ('t/free-a'), ('t/free-b'), ('t/pro'), ('t/pro-ent')$$,
  'pro sees is_free, then is_pro models'
);

select tests.act_as(:'ent_id');
select results_eq(
  'select model_id from public.get_user_allowed_models_v2()',
  $$values ('t/free-a'), ('t/free-b'), ('t/pro'), ('t/pro-ent'), ('t/ent')$$,
  'enterprise sees all three flags: free first, then pro, then enterprise, each by name'
);
select is(
  (select to_jsonb(a) from public.get_user_allowed_models_v2() as a where a.model_id = 't/ent'),
  '{"model_id": "t/ent", "model_name": "A enterprise", "model_description": null,
    "context_length": null, "prompt_price": null, "completion_price": null, "modality": null,
    "input_modalities": null, "output_modalities": null, "supported_parameters": null,
    "daily_limit": 10, "monthly_limit": null, "created_timestamp": null,
    "deprecated_at": null, "sunset_at": null, "replacement_model_id": null}'::jsonb,
  'each row carries the model''s data, limits and deprecation (none)'
);

select tests.act_as(:'admin_id');
select results_eq(
  'select model_id from public.get_user_allowed_models_v2()',
  $$values ('t/free-a'), ('t/free-b')$$,
  'an admin lists by their tier (free), not by their admin rights'
);

select tests.act_as_service_role();
select results_eq(
  format('select model_id from public.get_user_allowed_models_v2(%L)', :'pro_id'),
  $$values ('t/free-a'), ('t/free-b'), ('t/pro'), ('t/pro-ent')$$,
  'the service role may list any user''s models'
);
select results_eq(
  format('select model_id from public.get_user_allowed_models_v2(%L)', gen_random_uuid()),
  $$values ('t/free-a'), ('t/free-b')$$,
  'an unknown user gets the free tier'
);

-- Lists follow the admin's changes at once.
select tests.act_as_operator();
update public.model_access set status = 'disabled' where model_id = 't/free-b';
select tests.act_as(:'free_id');
select results_eq(
  'select model_id from public.get_user_allowed_models_v2()',
  $$values ('t/free-a')$$,
  'a disabled model leaves every list'
);

select ok(
  (select not p.prosecdef and p.provolatile = 's' and p.proconfig = array['search_path=""']
   from pg_proc as p where p.oid = 'public.get_user_allowed_models_v2(uuid)'::regprocedure),
  'get_user_allowed_models_v2 is a stable security invoker function with an empty search_path'
);
select ok(
  has_function_privilege('authenticated', 'public.get_user_allowed_models_v2(uuid)', 'execute')
  and has_function_privilege('service_role', 'public.get_user_allowed_models_v2(uuid)', 'execute')
  and has_function_privilege('authenticated', 'public.get_my_tier()', 'execute'),
  'authenticated and service_role may list models and ask their tier'
);

select * from finish();
rollback;

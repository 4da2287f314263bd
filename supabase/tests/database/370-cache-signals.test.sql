-- Cache signals (migration 1700): private.catalog_version changes with every statement that changes
-- catalog rows, whoever writes them (admin, service role, sync), and not with statements that
-- change none, nor with a tier change; users and the service role may read it but nobody may write
-- it; the trigger functions are callable by no API role; the triggers exist.
-- (That the signals arrive and keep the models function's caches exact: tests/models_cache.test.ts.)
begin;
\ir _helpers.psql
select plan(24);

select tests.create_user('cache-admin@example.test', 'free', true) as admin_id \gset
select tests.create_user('cache-user@example.test', 'pro') as user_id \gset

create function tests.catalog_version()
returns bigint
language sql
stable
security definer
set search_path = ''
as $$
  select v.version from private.catalog_version as v;
$$;

select tests.catalog_version() as v0 \gset

-- Writes by each kind of writer bump it, once per statement ---------------------------------------
select tests.act_as_service_role();
select public.sync_openrouter_models(
  jsonb_build_array(tests.catalog_model('cache/a'), tests.catalog_model('cache/b')),
  'manual', true
) is not null as synced \gset
reset role;
select cmp_ok(tests.catalog_version(), '>', :'v0'::bigint, 'a sync that adds models bumps it');

select tests.catalog_version() as v1 \gset
select tests.act_as(:'admin_id');
update public.model_access set is_pro = true where model_id in ('cache/a', 'cache/b');
reset role;
select is(tests.catalog_version(), :'v1'::bigint + 1, 'an admin update of two rows bumps it once');

select tests.catalog_version() as v2 \gset
select tests.act_as(:'admin_id');
update public.model_access set is_pro = true where model_id = 'cache/none';
reset role;
select is(tests.catalog_version(), :'v2'::bigint, 'a statement that changes no row leaves it alone');
select tests.act_as(:'user_id');
update public.model_access set is_pro = false;
reset role;
select is(
  tests.catalog_version(), :'v2'::bigint,
  'a user''s update, which RLS filters to no row, leaves it alone'
);
select tests.act_as_service_role();
select public.sync_openrouter_models(
  jsonb_build_array(tests.catalog_model('cache/a'), tests.catalog_model('cache/b')),
  'manual', true
) is not null as resynced \gset
reset role;
select is(tests.catalog_version(), :'v2'::bigint, 'a re-sync with no change leaves it alone');

select tests.catalog_version() as v3 \gset
update public.profiles set subscription_tier = 'enterprise' where id = :'user_id';
select is(tests.catalog_version(), :'v3'::bigint, 'a tier change leaves it alone');

delete from public.model_access where model_id = 'cache/b';
select cmp_ok(tests.catalog_version(), '>', :'v3'::bigint, 'a delete bumps it');

-- Who may read and write it ---------------------------------------------------------------------
select tests.catalog_version() as v4 \gset
select tests.act_as(:'user_id');
select is((select version from private.catalog_version), :'v4'::bigint, 'a signed-in user reads it');
select throws_ok(
  'update private.catalog_version set version = 0', '42501', null,
  'a signed-in user cannot write it'
);
reset role;
select tests.act_as(:'admin_id');
select throws_ok(
  'update private.catalog_version set version = 0', '42501', null,
  'an admin cannot write it either'
);
reset role;
select tests.act_as_service_role();
select lives_ok('select version from private.catalog_version', 'the service role reads it');
select throws_ok(
  'delete from private.catalog_version', '42501', null, 'the service role cannot write it'
);
reset role;
select tests.act_as_anon();
select throws_ok('select version from private.catalog_version', '42501', null, 'anon cannot read it');
reset role;

select is(
  (select relrowsecurity from pg_class where oid = 'private.catalog_version'::regclass), true,
  'row level security is on'
);

-- Trigger functions and triggers ------------------------------------------------------------------
select ok(
  not has_function_privilege(r.role, 'private.bump_catalog_version()', 'execute')
  and not has_function_privilege(r.role, 'private.serialize_catalog_writes()', 'execute')
  and not has_function_privilege(r.role, 'private.signal_tier_change()', 'execute')
  and not has_function_privilege(r.role, 'private.signal_usage_change()', 'execute'),
  r.role || ' cannot call the trigger functions'
)
from (values ('anon'), ('authenticated'), ('service_role')) as r (role);

select has_trigger(
  'public', 'model_access', 'bump_catalog_version_after_' || e.event,
  'a catalog ' || e.event || ' bumps the version'
)
from (values ('insert'), ('update'), ('delete'), ('truncate')) as e (event);
select has_trigger(
  'public', 'model_access', 'serialize_catalog_writes', 'catalog writers take the writers'' lock'
);
select has_trigger('public', 'profiles', 'signal_tier_change', 'tier changes are signalled');
select has_trigger('public', 'model_usage', 'signal_usage_change', 'usage changes are signalled');

select * from finish();
rollback;

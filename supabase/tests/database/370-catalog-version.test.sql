-- private.catalog_version: bumped once per transaction that changes catalog rows, at its commit
-- (a deferred constraint trigger), whoever writes them (admin, service role, sync);
-- not by statements that change no row, a re-sync with no change, a tier change or a rolled back
-- change. Signed-in users and the service role may read the version and nothing else; nobody may
-- write it; the trigger function is callable by no API role.
-- A pgTAP file is one transaction that never commits: `set constraints all immediate` stands in
-- for the commit (it runs the deferred triggers), and tests.next_transaction() for the start of a
-- new transaction. Real commits, rollbacks and two concurrent writers:
-- tests/catalog_version.test.ts.
begin;
\ir _helpers.psql
select plan(25);

select tests.create_user('version-admin@example.test', 'free', true) as admin_id \gset
select tests.create_user('version-user@example.test', 'pro') as user_id \gset

create function tests.next_transaction()
returns void
language sql
security invoker
set search_path = ''
as $$
  select set_config('model_access.catalog_version_bumped', '', true);
$$;

-- The trigger ---------------------------------------------------------------------------------
select ok(
  exists (
    select 1 from pg_trigger as t
    where t.tgrelid = 'public.model_access'::regclass
      and t.tgname = 'bump_catalog_version'
      and t.tgconstraint <> 0 and t.tgdeferrable and t.tginitdeferred
      and t.tgtype & 1 = 1            -- row level
      and t.tgtype & (4 | 8 | 16) = (4 | 8 | 16) -- insert, delete, update
  ),
  'a row-level constraint trigger, deferred to commit, on insert, update and delete'
);
select has_trigger(
  'public', 'model_access', 'bump_catalog_version_after_truncate', 'a truncate bumps it too'
);

-- Once per transaction, at its commit -----------------------------------------------------------
select tests.catalog_version() as v0 \gset
select tests.act_as_service_role();
select public.sync_openrouter_models(
  jsonb_build_array(tests.catalog_model('version/a'), tests.catalog_model('version/b')),
  'manual', true
) is not null as synced \gset
reset role;
select is(tests.catalog_version(), :'v0'::bigint, 'a sync that adds models: not before commit');
select is(tests.commit_point(), :'v0'::bigint + 1, 'and once at commit');

select tests.next_transaction();
select tests.act_as(:'admin_id');
update public.model_access set is_pro = true where model_id = 'version/a';
update public.model_access set is_pro = true where model_id = 'version/b';
update public.model_access set is_enterprise = true where model_id in ('version/a', 'version/b');
reset role;
select is(tests.catalog_version(), :'v0'::bigint + 1, 'an admin''s three updates: not yet');
select is(tests.commit_point(), :'v0'::bigint + 2, 'and once at commit, for all three');

select tests.next_transaction();
select tests.act_as(:'admin_id');
update public.model_access set is_pro = true where model_id = 'version/none';
reset role;
select is(tests.commit_point(), :'v0'::bigint + 2, 'a statement that changes no row: no bump');

select tests.act_as(:'user_id');
update public.model_access set is_pro = false;
reset role;
select is(
  tests.commit_point(), :'v0'::bigint + 2,
  'a user''s update, which RLS filters to no row: no bump'
);

select tests.act_as_service_role();
select public.sync_openrouter_models(
  jsonb_build_array(tests.catalog_model('version/a'), tests.catalog_model('version/b')),
  'manual', true
) is not null as resynced \gset
reset role;
select is(tests.commit_point(), :'v0'::bigint + 2, 'a re-sync with no change: no bump');

select tests.act_as_service_role();
select public.sync_openrouter_models(
  jsonb_build_array(tests.catalog_model('version/a')), 'manual', true
) is not null as shrunk \gset
reset role;
select is(
  tests.commit_point(), :'v0'::bigint + 3,
  'a sync that only marks a model missing upstream: once at commit'
);
select tests.next_transaction();

update public.profiles set subscription_tier = 'enterprise' where id = :'user_id';
select is(tests.commit_point(), :'v0'::bigint + 3, 'a tier change: no bump');

savepoint undone;
delete from public.model_access where model_id = 'version/b';
rollback to savepoint undone;
select is(tests.commit_point(), :'v0'::bigint + 3, 'a change rolled back: no bump');

delete from public.model_access where model_id = 'version/b';
select is(tests.commit_point(), :'v0'::bigint + 4, 'a delete bumps it');

savepoint truncated;
select tests.next_transaction();
set local client_min_messages = warning; -- the cascade's notice
truncate public.model_access cascade;
select is(tests.catalog_version(), :'v0'::bigint + 5, 'a truncate bumps it at once');
rollback to savepoint truncated;

-- Who may read and write it ---------------------------------------------------------------------
select tests.catalog_version() as current_version \gset
select tests.act_as(:'user_id');
select is(
  (select version from private.catalog_version), :'current_version'::bigint,
  'a signed-in user reads it'
);
select throws_ok(
  'select singleton from private.catalog_version', '42501', null,
  'and nothing else of the table'
);
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

select ok(
  not has_function_privilege(r.role, 'private.bump_catalog_version()', 'execute'),
  r.role || ' cannot call the trigger function'
)
from (values ('anon'), ('authenticated'), ('service_role')) as r (role);

select * from finish();
rollback;

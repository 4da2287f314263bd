-- The catalog sync: public.sync_openrouter_models and public.log_sync_failure, and the sync log.
-- Who may sync (anon, users, admins, the service role); the two fixtures in sequence
-- (2025-05-23: 321 added; 2025-12-02: refused by the integrity gate, then forced: 161 added, 174
-- updated or unchanged, 147 inactivated; the same catalog again writes nothing); exact counts;
-- admin-owned fields, disabled models and the status of returning models; a failed run leaves a
-- `failed` row; wall-clock duration; the configurable gate; invalid, duplicate and drifting
-- records; exact prices; the advisory lock; and the privileges and RLS of public.model_sync_log.
begin;
\ir _helpers.psql
select plan(74);

-- The sync without tiering rules (the seeded ones are tested in 330-access-rules.test.sql):
-- what it does to access settings here is what it does to admin-managed models.
delete from public.model_access_rules;

\set old_catalog `cat ../shared/fixtures/openrouter/2025-05-23.json`
\set new_catalog `cat ../shared/fixtures/openrouter/2025-12-02.json`

-- The listed keys of a jsonb object (the sync's answer holds ids and timings too).
create function tests.pick(j jsonb, keys text[])
returns jsonb
language sql
immutable
set search_path = ''
as $$
  select coalesce(jsonb_object_agg(e.key, e.value), '{}'::jsonb)
  from jsonb_each(pick.j) as e
  where e.key = any (pick.keys);
$$;

-- Rows inserted, updated and deleted in model_access by this transaction so far.
create function tests.catalog_writes()
returns bigint
language sql
volatile
set search_path = ''
as $$
  select coalesce(sum(s.n_tup_ins + s.n_tup_upd + s.n_tup_del), 0)::bigint
  from pg_catalog.pg_stat_xact_user_tables as s
  where s.relid = 'public.model_access'::regclass;
$$;
-- The catalog's rows and its price history, for "left as it was": a refused run and a dry run
-- write and then undo what they judge.
create function tests.catalog_state()
returns text
language sql
volatile
set search_path = ''
as $$
  select md5(
    (select coalesce(string_agg(m::text, ',' order by m.id), '') from public.model_access as m)
    || (select count(*) from public.model_price_history)::text
  );
$$;
grant execute on all functions in schema tests to anon, authenticated, service_role;

create temporary table fixture_ids on commit drop as
select
  o.id as model_id,
  o.id in (select n ->> 'id' from jsonb_array_elements((:'new_catalog')::jsonb -> 'data') as n)
    as still_listed
from (
  select r ->> 'id' as id from jsonb_array_elements((:'old_catalog')::jsonb -> 'data') as r
) as o;
grant select on fixture_ids to service_role;

select
  (select model_id from fixture_ids where still_listed order by model_id limit 1) as kept_active,
  (select model_id from fixture_ids where still_listed order by model_id offset 1 limit 1)
    as kept_disabled,
  (select model_id from fixture_ids where not still_listed order by model_id limit 1)
    as gone_active,
  (select model_id from fixture_ids where not still_listed order by model_id offset 1 limit 1)
    as gone_new,
  (select model_id from fixture_ids where not still_listed order by model_id offset 2 limit 1)
    as gone_disabled
\gset m_

select tests.create_user('sync-admin@example.test', 'free', true) as admin_id \gset
select tests.create_user('sync-user@example.test', 'enterprise', false) as user_id \gset

-- An empty catalog, so that the fixtures give the counts below (the seed has three models).
select tests.act_as_operator();
delete from public.model_access;
delete from public.model_sync_log;

-- Who may sync ----------------------------------------------------------------------------------
select ok(
  not has_function_privilege(
    'anon', 'public.sync_openrouter_models(jsonb, text, boolean, boolean, numeric, bigint, numeric)', 'execute'
  )
  and has_function_privilege(
    'authenticated', 'public.sync_openrouter_models(jsonb, text, boolean, boolean, numeric, bigint, numeric)',
    'execute'
  )
  and has_function_privilege(
    'service_role', 'public.sync_openrouter_models(jsonb, text, boolean, boolean, numeric, bigint, numeric)',
    'execute'
  )
  and not has_function_privilege('anon', 'public.log_sync_failure(text, text, jsonb, bigint)', 'execute')
  and has_function_privilege('service_role', 'public.log_sync_failure(text, text, jsonb, bigint)', 'execute'),
  'sync_openrouter_models and log_sync_failure: not anon; authenticated (checked inside) and service_role'
);

select tests.act_as_anon();
select throws_ok(
  format('select public.sync_openrouter_models(%L::jsonb)', jsonb_build_array(tests.catalog_model('t/x'))),
  '42501', 'permission denied for function sync_openrouter_models',
  'anon cannot sync'
);
select throws_ok(
  $$select public.log_sync_failure('manual', 'boom')$$,
  '42501', 'permission denied for function log_sync_failure',
  'anon cannot log a sync failure'
);

select tests.act_as(:'user_id');
select throws_ok(
  format('select public.sync_openrouter_models(%L::jsonb)', jsonb_build_array(tests.catalog_model('t/x'))),
  '42501', 'permission denied: only admins and the service role can sync the model catalog',
  'a user who is not an admin (even enterprise) cannot sync'
);
select throws_ok(
  $$select public.log_sync_failure('manual', 'boom')$$,
  '42501', 'permission denied: only admins and the service role can log sync failures',
  'a user who is not an admin cannot log a sync failure'
);

select tests.act_as_service_role();
select throws_ok(
  format(
    'select public.sync_openrouter_models(%L::jsonb, %L)',
    jsonb_build_array(tests.catalog_model('t/x')), 'someone'
  ),
  '22023', 'sync_openrouter_models: triggered_by must be cron, admin or manual',
  'triggered_by must be cron, admin or manual'
);
select throws_ok(
  format(
    'select public.sync_openrouter_models(%L::jsonb, %L, false, false, 1.5)',
    jsonb_build_array(tests.catalog_model('t/x')), 'cron'
  ),
  '22023', 'sync_openrouter_models: max_inactive_share and max_new_visible_share must be between 0 and 1',
  'max_inactive_share must be between 0 and 1'
);

-- 2025-05-23 on an empty catalog: 321 added ------------------------------------------------------
select tests.catalog_writes() as writes_0 \gset
select public.sync_openrouter_models((:'old_catalog')::jsonb -> 'data', 'cron') as r1 \gset
select is(
  tests.pick(:'r1'::jsonb, array[
    'success', 'total_received', 'total_processed', 'models_added', 'models_updated',
    'models_unchanged', 'models_reactivated', 'models_marked_inactive', 'skipped_invalid',
    'duplicates_ignored', 'rows_written'
  ]),
  jsonb_build_object(
    'success', true, 'total_received', 321, 'total_processed', 321, 'models_added', 321,
    'models_updated', 0, 'models_unchanged', 0, 'models_reactivated', 0,
    'models_marked_inactive', 0, 'skipped_invalid', 0, 'duplicates_ignored', 0, 'rows_written', 321
  ),
  '2025-05-23 on an empty catalog: exactly 321 added'
);
select is(
  tests.catalog_writes() - :writes_0, 321::bigint,
  'and 321 rows were inserted'
);
select is(
  (select jsonb_build_object(
     'sync_status', l.sync_status, 'triggered_by', l.triggered_by, 'forced', l.forced,
     'total_openrouter_models', l.total_openrouter_models, 'total_processed', l.total_processed,
     'models_added', l.models_added, 'models_updated', l.models_updated,
     'models_unchanged', l.models_unchanged, 'models_reactivated', l.models_reactivated,
     'models_marked_inactive', l.models_marked_inactive, 'skipped_invalid', l.skipped_invalid,
     'error_message', l.error_message)
   from public.model_sync_log as l where l.id = (:'r1'::jsonb ->> 'sync_log_id')::bigint),
  jsonb_build_object(
    'sync_status', 'completed', 'triggered_by', 'cron', 'forced', false,
    'total_openrouter_models', 321, 'total_processed', 321, 'models_added', 321,
    'models_updated', 0, 'models_unchanged', 0, 'models_reactivated', 0,
    'models_marked_inactive', 0, 'skipped_invalid', 0, 'error_message', null
  ),
  'the run is logged as completed with the same counts'
);
select ok(
  (select l.duration_ms > 0
     and l.started_at > now()
     and l.completed_at >= l.started_at
     and l.duration_ms <= extract(epoch from l.completed_at - l.started_at) * 1000 + 1
   from public.model_sync_log as l where l.id = (:'r1'::jsonb ->> 'sync_log_id')::bigint),
  'duration_ms > 0 is wall-clock time (clock_timestamp, not the transaction''s now())'
);
select is(
  (:'r1'::jsonb ->> 'duration_ms')::numeric,
  (select l.duration_ms from public.model_sync_log as l
   where l.id = (:'r1'::jsonb ->> 'sync_log_id')::bigint),
  'the answer reports the logged duration'
);
select is(
  (select count(*)::int from public.model_access as m
   join jsonb_array_elements((:'old_catalog')::jsonb -> 'data') as r on r ->> 'id' = m.model_id
   where m.openrouter_data = r),
  321,
  'every model keeps its full upstream record in openrouter_data'
);
select is(
  (select count(*)::int from public.model_access as m
   join jsonb_array_elements((:'old_catalog')::jsonb -> 'data') as r on r ->> 'id' = m.model_id
   where m.prompt_price = (r -> 'pricing' ->> 'prompt')::numeric
     and m.completion_price = (r -> 'pricing' ->> 'completion')::numeric
     and m.model_name = r ->> 'name'
     and m.context_length = (r ->> 'context_length')::integer),
  321,
  'typed columns (name, context_length, prices) match the upstream values'
);
select is(
  (select array_agg(distinct m.status || ':' || m.is_free || m.is_pro || m.is_enterprise)
   from public.model_access as m),
  array['new:falsefalsefalse'],
  'synced models are new and offered to no tier until an admin decides'
);
select ok(
  exists (
    select 1 from pg_locks as l
    where l.locktype = 'advisory' and l.pid = pg_backend_pid() and l.mode = 'ExclusiveLock'
      and l.granted
      and ((l.classid::bigint << 32) | l.objid::bigint)
        = hashtextextended('public.sync_openrouter_models', 0)
  ),
  'the sync holds its transaction-level advisory lock (concurrent syncs are serialized)'
);

-- Admin decisions the sync must keep --------------------------------------------------------------
select tests.act_as_operator();
update public.model_access
set status = 'active', is_pro = true, daily_limit = 5, monthly_limit = 50
where model_id = :'m_kept_active';
update public.model_access set status = 'disabled', is_free = true
where model_id = :'m_kept_disabled';
update public.model_access set status = 'active', is_enterprise = true, daily_limit = 7
where model_id = :'m_gone_active';
update public.model_access set status = 'disabled', is_pro = true
where model_id = :'m_gone_disabled';

-- 2025-12-02: 147 of the 321 listed models would vanish (46%) ----------------------------------------
select tests.act_as_service_role();
select tests.catalog_state() as state_1 \gset
select public.sync_openrouter_models((:'new_catalog')::jsonb -> 'data', 'cron') as r2 \gset
select is(
  tests.pick(:'r2'::jsonb, array[
    'success', 'error', 'models_listed', 'models_missing_upstream', 'inactive_share',
    'max_inactive_share', 'total_processed'
  ]),
  jsonb_build_object(
    'success', false, 'error', 'integrity_gate', 'models_listed', 321,
    'models_missing_upstream', 147, 'inactive_share', 0.4579, 'max_inactive_share', 0.2,
    'total_processed', 335
  ),
  '2025-12-02 without force is refused by the integrity gate (147/321 > 20%)'
);
select is(
  (select jsonb_build_object(
     'sync_status', l.sync_status, 'error', l.error_details ->> 'error',
     'missing', (l.error_details ->> 'models_missing_upstream')::int,
     'message_starts', left(l.error_message, 46))
   from public.model_sync_log as l where l.id = (:'r2'::jsonb ->> 'sync_log_id')::bigint),
  jsonb_build_object(
    'sync_status', 'failed', 'error', 'integrity_gate', 'missing', 147,
    'message_starts', 'integrity_gate: refused by the integrity gate:'
  ),
  'the refusal is logged as a failed run with the gate''s numbers'
);
select is(tests.catalog_state(), :'state_1', 'a refused run leaves the catalog as it was');
select is(
  (select count(*)::int from public.model_access where upstream_removed_at is not null), 0,
  'and marks nothing inactive'
);

select public.sync_openrouter_models(
  (:'new_catalog')::jsonb -> 'data', 'manual', false, true
) as dry \gset
select is(
  tests.pick(:'dry'::jsonb, array[
    'success', 'dry_run', 'would_refuse', 'models_added', 'models_marked_inactive', 'sync_log_id'
  ]) || jsonb_build_object('marked', jsonb_array_length(:'dry'::jsonb -> 'marked_inactive_ids')),
  jsonb_build_object(
    'success', true, 'dry_run', true, 'would_refuse', 'integrity_gate', 'models_added', 161,
    'models_marked_inactive', 147, 'sync_log_id', null, 'marked', 147
  ),
  'dry_run previews the run and the refusal, and logs nothing'
);
select is(tests.catalog_state(), :'state_1', 'dry_run leaves the catalog as it was');
select is(
  public.sync_openrouter_models(
    (:'new_catalog')::jsonb -> 'data', 'manual', false, true, 0.5
  ) -> 'would_refuse',
  'null'::jsonb,
  'the share is configurable: with max_inactive_share 0.5 the same run would pass'
);

savepoint configurable_gate;
select is(
  public.sync_openrouter_models((:'new_catalog')::jsonb -> 'data', 'manual', false, false, 0.46)
    -> 'models_marked_inactive',
  '147'::jsonb,
  'and with max_inactive_share 0.46 it passes without force'
);
rollback to savepoint configurable_gate;

-- 2025-12-02 forced: 161 added, 174 kept, 147 inactivated -----------------------------------------
select tests.act_as_service_role();
select public.sync_openrouter_models((:'new_catalog')::jsonb -> 'data', 'cron', true) as r3 \gset
select is(
  tests.pick(:'r3'::jsonb, array[
    'success', 'forced', 'total_processed', 'models_added', 'models_reactivated',
    'models_marked_inactive', 'skipped_invalid'
  ]),
  jsonb_build_object(
    'success', true, 'forced', true, 'total_processed', 335, 'models_added', 161,
    'models_reactivated', 0, 'models_marked_inactive', 147, 'skipped_invalid', 0
  ),
  '2025-12-02 forced: 161 added, 147 marked inactive'
);
select is(
  (:'r3'::jsonb ->> 'models_updated')::int + (:'r3'::jsonb ->> 'models_unchanged')::int, 174,
  'and the 174 models in both catalogs are updated or unchanged'
);
select is(
  (select jsonb_build_object(
     'forced', l.forced, 'added', l.models_added, 'updated', l.models_updated,
     'unchanged', l.models_unchanged, 'inactive', l.models_marked_inactive)
   from public.model_sync_log as l where l.id = (:'r3'::jsonb ->> 'sync_log_id')::bigint),
  jsonb_build_object(
    'forced', true, 'added', 161, 'updated', (:'r3'::jsonb -> 'models_updated'),
    'unchanged', (:'r3'::jsonb -> 'models_unchanged'), 'inactive', 147
  ),
  'the forced run is logged with its counts'
);
select is(
  (select count(*)::int from public.model_access), 482,
  'the catalog holds 321 + 161 = 482 models'
);
select is(
  (select array_agg(m.status || '=' || m.n order by m.status)
   from (select status, count(*) as n from public.model_access
         where upstream_removed_at is not null group by status) as m),
  array['disabled=1', 'inactive=146'],
  'the 147 missing models are marked removed: 146 inactive, the disabled one stays disabled'
);
select is(
  (select jsonb_build_object(
     'status', status, 'is_free', is_free, 'is_pro', is_pro, 'is_enterprise', is_enterprise,
     'daily_limit', daily_limit, 'monthly_limit', monthly_limit)
   from public.model_access where model_id = :'m_kept_active'),
  jsonb_build_object(
    'status', 'active', 'is_free', false, 'is_pro', true, 'is_enterprise', false,
    'daily_limit', 5, 'monthly_limit', 50
  ),
  'status, tier flags and limits of a listed model are never changed by the sync'
);
select is(
  (select status || ':' || is_free from public.model_access where model_id = :'m_kept_disabled'),
  'disabled:true',
  'a disabled model still listed upstream stays disabled'
);
select is(
  (select jsonb_build_object(
     'status', status, 'before', status_before_inactive, 'removed', upstream_removed_at is not null,
     'is_enterprise', is_enterprise, 'daily_limit', daily_limit)
   from public.model_access where model_id = :'m_gone_active'),
  jsonb_build_object(
    'status', 'inactive', 'before', 'active', 'removed', true, 'is_enterprise', true,
    'daily_limit', 7
  ),
  'an active model missing upstream becomes inactive, remembering active, flags and limits kept'
);
select is(
  (select status || ':' || status_before_inactive from public.model_access
   where model_id = :'m_gone_new'),
  'inactive:new',
  'a new model missing upstream becomes inactive, remembering new'
);
select is(
  (select status || ':' || (upstream_removed_at is not null) || ':' || is_pro
   from public.model_access where model_id = :'m_gone_disabled'),
  'disabled:true:true',
  'a disabled model missing upstream stays disabled (removal recorded)'
);
select is(
  (select count(*)::int from public.model_access
   where status = 'new' and not (is_free or is_pro or is_enterprise)
     and model_id not in (select model_id from fixture_ids)),
  161,
  'the 161 added models are new and offered to no tier'
);

-- 2025-12-02 again: nothing changes, nothing is written -----------------------------------------
select tests.act_as_operator();
-- ALTER TABLE refuses a table with pending trigger events: run the deferred version bump now.
set constraints all immediate;
alter table public.model_access disable trigger set_updated_at;
update public.model_access
set updated_at = '2000-01-01T00:00:00Z', last_synced_at = '2000-01-01T00:00:00Z';
alter table public.model_access enable trigger set_updated_at;

select tests.act_as_service_role();
select tests.catalog_writes() as writes_2 \gset
select public.sync_openrouter_models((:'new_catalog')::jsonb -> 'data', 'cron') as r4 \gset
select is(
  tests.pick(:'r4'::jsonb, array[
    'success', 'models_added', 'models_updated', 'models_unchanged', 'models_reactivated',
    'models_marked_inactive', 'rows_written'
  ]),
  jsonb_build_object(
    'success', true, 'models_added', 0, 'models_updated', 0, 'models_unchanged', 335,
    'models_reactivated', 0, 'models_marked_inactive', 0, 'rows_written', 0
  ),
  'syncing 2025-12-02 again: 335 unchanged, nothing added, updated or inactivated'
);
select is(
  tests.catalog_writes() - :writes_2, 0::bigint,
  'and no catalog row is inserted, updated or deleted (pg_stat_xact_user_tables)'
);
select is(
  (select count(*)::int from public.model_access
   where updated_at <> '2000-01-01T00:00:00Z' or last_synced_at <> '2000-01-01T00:00:00Z'),
  0,
  'updated_at and last_synced_at are untouched'
);

-- 2025-05-23 again (forced): the 147 return to their previous status ------------------------------
select public.sync_openrouter_models((:'old_catalog')::jsonb -> 'data', 'cron', true) as r5 \gset
select is(
  tests.pick(:'r5'::jsonb, array[
    'models_added', 'models_reactivated', 'models_marked_inactive', 'total_processed'
  ]),
  jsonb_build_object(
    'models_added', 0, 'models_reactivated', 147, 'models_marked_inactive', 161,
    'total_processed', 321
  ),
  'back to 2025-05-23: 147 reactivated, the 161 newer ones marked inactive'
);
select is(
  (select array_agg(model_id || '=' || status || ':' || coalesce(status_before_inactive, '-')
                    || ':' || (upstream_removed_at is null) order by model_id)
   from public.model_access
   where model_id in (:'m_gone_active', :'m_gone_new', :'m_gone_disabled')),
  array[
    :'m_gone_active' || '=active:-:true',
    :'m_gone_new' || '=new:-:true',
    :'m_gone_disabled' || '=disabled:-:true'
  ],
  'returning models get their previous status back (active, new); disabled stays disabled'
);
select is(
  (select daily_limit from public.model_access where model_id = :'m_gone_active'), 7,
  'and keep their limits'
);

-- Small catalogs: invalid, duplicate and drifting records -----------------------------------------
select tests.act_as_operator();
delete from public.model_access;

select tests.act_as_service_role();
select public.sync_openrouter_models(
  jsonb_build_array(
    tests.catalog_model('t/one', 'First name'),
    jsonb_build_object('name', 'no id at all'),
    jsonb_build_object('id', 42, 'name', 'numeric id'),
    jsonb_build_object('id', '   ', 'name', 'blank id'),
    to_jsonb('just a string'::text),
    tests.catalog_model('t/two'),
    tests.catalog_model('t/one', 'Last name wins')
  ),
  'manual'
) as r6 \gset
select is(
  tests.pick(:'r6'::jsonb, array[
    'success', 'total_received', 'total_processed', 'models_added', 'skipped_invalid',
    'duplicates_ignored'
  ]),
  jsonb_build_object(
    'success', true, 'total_received', 7, 'total_processed', 2, 'models_added', 2,
    'skipped_invalid', 4, 'duplicates_ignored', 1
  ),
  'records without a usable id are skipped and counted; a duplicate id is counted, not fatal'
);
select is(
  (select array_agg(model_id || '=' || model_name order by model_id) from public.model_access),
  array['t/one=Last name wins', 't/two=t/two'],
  'only valid records are stored, and the last record of a duplicated id wins'
);
select is(
  (select jsonb_build_object('skipped', skipped_invalid, 'dups', duplicates_ignored,
     'total', total_openrouter_models, 'status', sync_status)
   from public.model_sync_log where id = (:'r6'::jsonb ->> 'sync_log_id')::bigint),
  '{"skipped": 4, "dups": 1, "total": 7, "status": "completed"}'::jsonb,
  'the log records the skipped and duplicate records'
);

-- A repeated id is classified by its last record: the same catalog again changes nothing, and a
-- catalog whose last record of the id differs from the stored one updates it.
select public.sync_openrouter_models(
  jsonb_build_array(
    tests.catalog_model('t/one', 'First name'),
    tests.catalog_model('t/two'),
    tests.catalog_model('t/one', 'Last name wins')
  ),
  'manual'
) as r6b \gset
select is(
  tests.pick(:'r6b'::jsonb, array[
    'models_unchanged', 'models_updated', 'duplicates_ignored', 'rows_written'
  ]),
  jsonb_build_object(
    'models_unchanged', 2, 'models_updated', 0, 'duplicates_ignored', 1, 'rows_written', 0
  ),
  'a repeated id whose last record is the stored one is unchanged'
);
select public.sync_openrouter_models(
  jsonb_build_array(
    tests.catalog_model('t/one', 'Last name wins'),
    tests.catalog_model('t/two'),
    tests.catalog_model('t/one', 'First name')
  ),
  'manual'
) as r6c \gset
select is(
  tests.pick(:'r6c'::jsonb, array['models_unchanged', 'models_updated', 'rows_written'])
    || jsonb_build_object(
      'name', (select model_name from public.model_access where model_id = 't/one')
    ),
  jsonb_build_object(
    'models_unchanged', 1, 'models_updated', 1, 'rows_written', 1, 'name', 'First name'
  ),
  'a repeated id whose last record differs from the stored one is updated from it'
);

-- Prices of 24 characters, and fields upstream may add or change at any time.
select jsonb_build_object(
  'id', 't/drift',
  'name', 'Drifting model',
  'created', 1700000000,
  'context_length', 32768,
  'future_field', jsonb_build_object('nested', jsonb_build_array(1, 'two', null)),
  'architecture', 'text->text',
  'pricing', jsonb_build_object(
    'prompt', '0.0000012345678901234567',
    'completion', '-1',
    'request', 0.5,
    'web_search', null,
    'internal_reasoning', '1e-7',
    'brand_new_price', '0.000000000000000000000001'
  ),
  'top_provider', null,
  'supported_parameters', jsonb_build_object('not', 'a list')
) as drift \gset
select is(
  public.sync_openrouter_models(
    jsonb_build_array(
      :'drift'::jsonb, tests.catalog_model('t/one', 'Last name wins'), tests.catalog_model('t/two')
    ),
    'manual'
  ) -> 'models_added',
  '1'::jsonb,
  'a record with unknown fields, non-string prices and odd shapes is accepted'
);
select is(
  (select openrouter_data from public.model_access where model_id = 't/drift'),
  :'drift'::jsonb,
  'its full upstream record, unknown fields included, is kept as received'
);
select is(
  (select jsonb_build_object(
     'prompt', prompt_price::text, 'completion', completion_price::text,
     'request', request_price::text, 'image', image_price, 'web_search', web_search_price,
     'internal_reasoning', internal_reasoning_price::text, 'context_length', context_length,
     'supported_parameters', supported_parameters, 'modality', modality)
   from public.model_access where model_id = 't/drift'),
  jsonb_build_object(
    'prompt', '0.0000012345678901234567', 'completion', '-1', 'request', '0.5', 'image', null,
    'web_search', null, 'internal_reasoning', '1E-7'::numeric::text, 'context_length', 32768,
    'supported_parameters', null, 'modality', null
  ),
  'a 24-character price is stored exactly; values that are not numbers are null in their column'
);
select is(
  length((select prompt_price::text from public.model_access where model_id = 't/drift')), 24,
  'the stored price has all 24 characters'
);

-- A change only in an unknown field is an update; a reordered list is no change.
select public.sync_openrouter_models(
  jsonb_build_array(
    jsonb_set(:'drift'::jsonb, '{future_field}', '"changed"'),
    jsonb_set(
      tests.catalog_model('t/one', 'Last name wins'), '{supported_parameters}',
      '["temperature", "max_tokens"]'
    ),
    tests.catalog_model('t/two')
  ),
  'manual'
) as r7 \gset
select is(
  tests.pick(:'r7'::jsonb, array['models_updated', 'models_unchanged', 'rows_written']),
  '{"models_updated": 1, "models_unchanged": 2, "rows_written": 1}'::jsonb,
  'a change in an unknown field is an update; reordered supported_parameters is no change'
);

-- The response object itself ({"data": [...]}) is accepted too.
select is(
  public.sync_openrouter_models(
    jsonb_build_object('data', jsonb_build_array(
      jsonb_set(:'drift'::jsonb, '{future_field}', '"changed"'),
      tests.catalog_model('t/one', 'Last name wins'), tests.catalog_model('t/two'),
      tests.catalog_model('t/three')
    )),
    'manual'
  ) -> 'models_added',
  '1'::jsonb,
  'the whole response object ({"data": [...]}) is accepted'
);

-- Failures leave a failed row ----------------------------------------------------------------------
select tests.catalog_writes() as writes_3 \gset
select public.sync_openrouter_models('[]'::jsonb, 'cron', true) as r8 \gset
select is(
  tests.pick(:'r8'::jsonb, array['success', 'error']),
  '{"success": false, "error": "empty_catalog"}'::jsonb,
  'an empty catalog is refused, even with force'
);
select is(
  (select sync_status || ' | ' || error_message from public.model_sync_log
   where id = (:'r8'::jsonb ->> 'sync_log_id')::bigint),
  'failed | empty_catalog: refused: the upstream catalog has no valid model; nothing was changed',
  'and logged as failed'
);
select is(
  public.sync_openrouter_models(
    jsonb_build_array(jsonb_build_object('name', 'no id')), 'cron', true
  ) -> 'error',
  '"empty_catalog"'::jsonb,
  'a catalog with no valid record is an empty catalog'
);
select is(
  tests.catalog_writes() - :writes_3, 0::bigint,
  'an empty catalog deactivates nothing'
);

select public.sync_openrouter_models('"not a catalog"'::jsonb, 'cron') as r9 \gset
select is(
  (select jsonb_build_object('answer', :'r9'::jsonb -> 'error', 'status', sync_status,
     'details', error_details)
   from public.model_sync_log where id = (:'r9'::jsonb ->> 'sync_log_id')::bigint),
  '{"answer": "invalid_payload", "status": "failed",
    "details": {"error": "invalid_payload", "received_type": "string"}}'::jsonb,
  'a payload that is not a catalog is answered and logged as failed'
);

-- An error inside the run (here a trigger that refuses one model) rolls the run back and leaves a
-- failed row with the error.
select tests.act_as_operator();
create function tests.refuse_boom()
returns trigger
language plpgsql
set search_path = ''
as $$
begin
  if new.model_id = 't/boom' then
    raise exception using errcode = 'P0001', message = 'boom refused by test trigger';
  end if;
  return new;
end;
$$;
create trigger refuse_boom before insert on public.model_access
  for each row execute function tests.refuse_boom();

select tests.act_as_service_role();
select public.sync_openrouter_models(
  jsonb_build_array(
    jsonb_set(:'drift'::jsonb, '{future_field}', '"changed"'),
    tests.catalog_model('t/one', 'Last name wins'), tests.catalog_model('t/two'),
    tests.catalog_model('t/three'), tests.catalog_model('t/new-before-boom'),
    tests.catalog_model('t/boom')
  ),
  'cron'
) as r10 \gset
select is(
  tests.pick(:'r10'::jsonb, array['success', 'error', 'message', 'sqlstate']),
  jsonb_build_object(
    'success', false, 'error', 'sync_failed', 'message', 'boom refused by test trigger',
    'sqlstate', 'P0001'
  ),
  'an error during the run is answered with its message and SQLSTATE'
);
select is(
  (select jsonb_build_object('status', sync_status, 'message', error_message,
     'sqlstate', error_details ->> 'sqlstate', 'has_duration', duration_ms >= 0,
     'completed', completed_at is not null)
   from public.model_sync_log where id = (:'r10'::jsonb ->> 'sync_log_id')::bigint),
  jsonb_build_object(
    'status', 'failed', 'message', 'boom refused by test trigger', 'sqlstate', 'P0001',
    'has_duration', true, 'completed', true
  ),
  'the failed run leaves a failed log row with the error'
);
select is(
  (select array_agg(model_id order by model_id) from public.model_access),
  array['t/drift', 't/one', 't/three', 't/two']::text[],
  'and none of its catalog changes are kept (all or nothing: t/new-before-boom was not added)'
);
select tests.act_as_operator();
drop trigger refuse_boom on public.model_access;

-- log_sync_failure
select tests.act_as_service_role();
select public.log_sync_failure('cron', 'upstream answered 503', '{"status": 503}') as failure_id \gset
select is(
  (select jsonb_build_object('status', sync_status, 'by', triggered_by, 'message', error_message,
     'details', error_details, 'user', triggered_by_user_id)
   from public.model_sync_log where id = :failure_id),
  '{"status": "failed", "by": "cron", "message": "upstream answered 503",
    "details": {"status": 503}, "user": null}'::jsonb,
  'log_sync_failure records a failed attempt (service role)'
);
select public.log_sync_failure('manual', '   ') as blank_failure_id \gset
select is(
  (select error_message from public.model_sync_log where id = :blank_failure_id),
  'unknown error',
  'a blank error message is logged as unknown error'
);
select throws_ok(
  $$select public.log_sync_failure('robot', 'x')$$,
  '22023', 'log_sync_failure: triggered_by must be cron, admin or manual',
  'log_sync_failure checks triggered_by'
);

-- An admin syncs with their own rights; the log names them -----------------------------------------
select tests.act_as(:'admin_id');
select public.sync_openrouter_models(
  jsonb_build_array(
    jsonb_set(:'drift'::jsonb, '{future_field}', '"changed"'),
    tests.catalog_model('t/one', 'Last name wins'), tests.catalog_model('t/two'),
    tests.catalog_model('t/three'), tests.catalog_model('t/admin-added')
  ),
  'admin'
) as r11 \gset
select is(
  tests.pick(:'r11'::jsonb, array['success', 'models_added', 'models_unchanged']),
  '{"success": true, "models_added": 1, "models_unchanged": 4}'::jsonb,
  'an admin can sync'
);
select is(
  (select triggered_by || ':' || triggered_by_user_id from public.model_sync_log
   where id = (:'r11'::jsonb ->> 'sync_log_id')::bigint),
  'admin:' || :'admin_id',
  'the log records the admin who triggered the run'
);
select is(
  public.log_sync_failure('admin', 'fetch failed') is not null, true,
  'an admin can log a sync failure'
);

-- The sync log: privileges and RLS ---------------------------------------------------------------
select tests.act_as_operator();
select count(*)::int as log_rows from public.model_sync_log \gset

select tests.act_as_anon();
select throws_ok(
  'select count(*) from public.model_sync_log', '42501',
  'permission denied for table model_sync_log',
  'anon cannot read the sync log'
);

select tests.act_as(:'user_id');
select is(
  (select count(*)::int from public.model_sync_log), 0,
  'a user who is not an admin (even enterprise) sees no sync log row'
);
select throws_ok(
  $$insert into public.model_sync_log (triggered_by) values ('manual')$$,
  '42501', 'permission denied for table model_sync_log',
  'a user cannot write the sync log'
);
select throws_ok(
  $$update public.model_sync_log set error_message = 'forged'$$,
  '42501', 'permission denied for table model_sync_log',
  'a user cannot update sync log rows'
);
select throws_ok(
  'delete from public.model_sync_log', '42501', 'permission denied for table model_sync_log',
  'a user cannot delete sync log rows'
);

select tests.act_as(:'admin_id');
select is(
  (select count(*)::int from public.model_sync_log), :log_rows,
  'an admin (on the free tier) reads the whole sync log'
);
select throws_ok(
  'delete from public.model_sync_log', '42501', 'permission denied for table model_sync_log',
  'not even an admin can delete sync log rows through the API'
);

select tests.act_as_service_role();
select is(
  (select count(*)::int from public.model_sync_log), :log_rows,
  'the service role reads the whole sync log'
);

select * from finish();
rollback;

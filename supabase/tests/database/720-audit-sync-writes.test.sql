-- The sync's writes carry its run: a model it marks inactive or brings back is audited with the
-- run's model_sync_log id beside the caller (service role or admin). As before, the models it adds
-- and the upstream data it rewrites are not audited (the sync log, the price history and the
-- change feed record them), so that a run over a large catalog adds no audit rows for them. A
-- write after the sync, in the same transaction, is not taken for the run's.
begin;
\ir _helpers.psql
select plan(7);

delete from public.model_access_rules;
select tests.act_as_operator();
delete from public.model_access;
delete from public.model_access_audit;
select tests.create_user('audit-sync-admin@example.test', 'free', true) as admin_id \gset

select tests.act_as_service_role();
select public.sync_openrouter_models(
  jsonb_build_array(tests.catalog_model('t/a'), tests.catalog_model('t/b')), 'cron'
) as first_run \gset
select is((:'first_run'::jsonb ->> 'models_added')::int, 2, 'the first run adds two models');
select is(
  (select count(*)::int from public.model_access_audit), 0, 'and adds no audit entry for them'
);

select public.sync_openrouter_models(
  jsonb_build_array(
    tests.catalog_model('t/a', 'A renamed', '0.000003', '0.000006'), tests.catalog_model('t/b')
  ),
  'cron'
) as upstream_run \gset
select is(
  (:'upstream_run'::jsonb ->> 'models_updated')::int
    || ':' || (select count(*) from public.model_access_audit),
  '1:0',
  'a rename and a price change upstream rewrite the model and add no audit entry'
);

select public.sync_openrouter_models(jsonb_build_array(tests.catalog_model('t/a')), 'cron')
  as removal_run \gset
select is(
  (select jsonb_build_object('op', operation, 'user', actor_user_id, 'role', actor_role,
     'run', sync_log_id, 'old', old_values, 'new', new_values)
   from public.model_access_audit where model_id = 't/b'),
  jsonb_build_object(
    'op', 'update', 'user', null, 'role', 'service_role',
    'run', :'removal_run'::jsonb -> 'sync_log_id',
    'old', '{"status": "new"}'::jsonb, 'new', '{"status": "inactive"}'::jsonb
  ),
  'a model the sync marks inactive is audited as the run''s, with the caller'
);

-- An admin's sync, begun before the fetch: the entry names the admin and the begun run.
select tests.act_as(:'admin_id');
select public.begin_sync_run('admin') as begun_id \gset
select public.sync_openrouter_models(
  jsonb_build_array(tests.catalog_model('t/a'), tests.catalog_model('t/b')), 'admin',
  sync_log_id => :begun_id
) as return_run \gset
select tests.act_as_operator();
select is(
  (select jsonb_build_object('user', actor_user_id, 'role', actor_role, 'run', sync_log_id,
     'old', old_values, 'new', new_values)
   from public.model_access_audit where model_id = 't/b' order by id desc limit 1),
  jsonb_build_object(
    'user', :'admin_id', 'role', 'authenticated', 'run', :begun_id,
    'old', '{"status": "inactive"}'::jsonb, 'new', '{"status": "new"}'::jsonb
  ),
  'a model returning in an admin''s run is audited with the admin and that run'
);
select is(
  (select count(*)::int from public.model_access_audit), 2, 'and nothing else was audited'
);

-- After the run, the transaction's next write is the operator's, not the run's.
update public.model_access set model_name = 'By hand' where model_id = 't/a';
select is(
  (select coalesce(sync_log_id::text, 'none') || ':' || (new_values ->> 'model_name')
   from public.model_access_audit order by id desc limit 1),
  'none:By hand',
  'a write after the sync is audited in full and as nobody''s run'
);

select * from finish();
rollback;

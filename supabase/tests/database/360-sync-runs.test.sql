-- Sync runs begun before the fetch (begin_sync_run): a run that dies on the way stays `running`
-- and the next run marks it failed as stale; a begun run is completed or failed in place.
begin;
\ir _helpers.psql
select plan(12);

select tests.create_user('runs-admin@example.test', 'free', true) as admin_id \gset
select tests.create_user('runs-user@example.test', 'pro', false) as user_id \gset

-- Who may begin a run
select tests.act_as_anon();
select throws_ok(
  $$select public.begin_sync_run('cron')$$, '42501', 'permission denied for function begin_sync_run',
  'anon cannot begin a sync run'
);
select tests.act_as(:'user_id');
select throws_ok(
  $$select public.begin_sync_run('admin')$$, '42501',
  'permission denied: only admins and the service role can sync the model catalog',
  'a user who is not an admin cannot begin a sync run'
);
select tests.act_as_service_role();
select throws_ok(
  $$select public.begin_sync_run('someone')$$, '22023',
  'begin_sync_run: triggered_by must be cron, admin or manual',
  'triggered_by is checked'
);

-- A run lost an hour ago, and one begun a minute ago (another run still fetching).
select tests.act_as_operator();
insert into public.model_sync_log (started_at, sync_status, triggered_by)
values (now() - interval '1 hour', 'running', 'cron') returning id as lost_id \gset
insert into public.model_sync_log (started_at, sync_status, triggered_by)
values (now() - interval '1 minute', 'running', 'cron') returning id as fetching_id \gset

select tests.act_as_service_role();
select public.begin_sync_run('cron') as run_id \gset

select tests.act_as_operator();
select is(
  (select sync_status from public.model_sync_log where id = :lost_id), 'failed',
  'the next run marks a run still running after 15 minutes as failed'
);
select alike(
  (select error_message from public.model_sync_log where id = :lost_id), 'stale: %',
  'and says it was stale'
);
select is(
  (select sync_status from public.model_sync_log where id = :fetching_id), 'running',
  'a recent running run is left alone'
);
select is(
  (select sync_status from public.model_sync_log where id = :run_id), 'running',
  'the new run starts as running'
);

-- Completing the begun run in place
select tests.act_as_service_role();
select public.sync_openrouter_models(
  jsonb_build_array(tests.catalog_model('runs/model-a')), 'cron', true, sync_log_id => :run_id
) as result \gset
select is(
  (:'result'::jsonb ->> 'sync_log_id')::bigint, :'run_id'::bigint,
  'the sync completes the begun run rather than adding a row'
);
select tests.act_as_operator();
select is(
  (select sync_status from public.model_sync_log where id = :run_id), 'completed',
  'which is now completed'
);
select tests.act_as_service_role();
select throws_ok(
  format($$select public.sync_openrouter_models('[]'::jsonb, 'cron', sync_log_id => %s)$$, :run_id),
  '22023', format('sync_openrouter_models: sync_log_id %s is not a running cron run', :run_id),
  'a finished run cannot be completed again'
);

-- Failing a begun run in place (upstream fetch failed)
select public.begin_sync_run('manual') as failing_id \gset
select is(
  public.log_sync_failure('manual', 'upstream 500', '{"status": 500}', :failing_id),
  :'failing_id'::bigint,
  'log_sync_failure fails the begun run in place'
);
select tests.act_as_operator();
select is(
  (select sync_status || ': ' || error_message from public.model_sync_log where id = :failing_id),
  'failed: upstream 500',
  'with the error'
);

select * from finish();
rollback;

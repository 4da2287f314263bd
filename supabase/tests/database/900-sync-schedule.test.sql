-- The daily sync schedule: one pg_cron job with the documented schedule and command, idempotent
-- re-scheduling, private.invoke_sync_models() closed to the API roles, its errors when a Vault
-- secret is missing and the request it queues, and get_sync_health() for admins only.
begin;
\ir _helpers.psql
select plan(25);

-- The job -----------------------------------------------------------------------------------------
select is(
  (select count(*)::int from cron.job where jobname = 'sync-openrouter-models'), 1,
  'the sync job is scheduled exactly once'
);
select is(
  (select schedule from cron.job where jobname = 'sync-openrouter-models'), '0 2 * * *',
  'it runs daily at 02:00 UTC'
);
select is(
  (select command from cron.job where jobname = 'sync-openrouter-models'),
  'select private.invoke_sync_models()',
  'it calls private.invoke_sync_models()'
);
select is(
  (select username from cron.job where jobname = 'sync-openrouter-models'), 'postgres',
  'it runs as postgres, the owner of invoke_sync_models'
);

select cron.schedule('sync-openrouter-models', '30 4 * * *', 'select private.invoke_sync_models()');
select is(
  (select count(*)::int from cron.job where jobname = 'sync-openrouter-models'), 1,
  're-scheduling under the same name keeps one job'
);
select is(
  (select schedule from cron.job where jobname = 'sync-openrouter-models'), '30 4 * * *',
  're-scheduling changes the time'
);

-- invoke_sync_models: privileges -----------------------------------------------------------------
select ok(
  not has_function_privilege('anon', 'private.invoke_sync_models()', 'execute'),
  'anon cannot execute invoke_sync_models'
);
select ok(
  not has_function_privilege('authenticated', 'private.invoke_sync_models()', 'execute'),
  'authenticated cannot execute invoke_sync_models'
);
select ok(
  not has_function_privilege('service_role', 'private.invoke_sync_models()', 'execute'),
  'service_role cannot execute invoke_sync_models'
);
select is(
  (select prosecdef from pg_proc where oid = 'private.invoke_sync_models()'::regprocedure), true,
  'invoke_sync_models is security definer'
);
select is(
  (select proconfig from pg_proc where oid = 'private.invoke_sync_models()'::regprocedure),
  array['search_path=""'],
  'invoke_sync_models has an empty search_path'
);

-- invoke_sync_models: missing secrets, then the queued request -----------------------------------
delete from vault.secrets where name in ('project_url', 'sync_models_secret');
select throws_ok(
  'select private.invoke_sync_models()', 'P0001', 'Vault secret "project_url" is missing',
  'without project_url it raises an error naming that secret'
);
select vault.create_secret('https://example-ref.supabase.co/', 'project_url');
select throws_ok(
  'select private.invoke_sync_models()', 'P0001', 'Vault secret "sync_models_secret" is missing',
  'without sync_models_secret it raises an error naming that secret'
);
select vault.create_secret('test-cron-secret', 'sync_models_secret');
select isnt(private.invoke_sync_models(), null, 'with both secrets it queues a request');

select is(
  (select url from net.http_request_queue order by id desc limit 1),
  'https://example-ref.supabase.co/functions/v1/sync-models',
  'the request goes to the sync-models function of the project'
);
select is(
  (select method from net.http_request_queue order by id desc limit 1), 'POST',
  'it is a POST'
);
select is(
  (select headers ->> 'Authorization' from net.http_request_queue order by id desc limit 1),
  'Bearer test-cron-secret',
  'it carries the secret as a bearer token'
);
select is(
  (select convert_from(body, 'UTF8')::jsonb from net.http_request_queue order by id desc limit 1),
  '{"triggered_by": "cron"}'::jsonb,
  'its body says it came from cron'
);
select is(
  (select timeout_milliseconds from net.http_request_queue order by id desc limit 1), 120000,
  'it allows a sync two minutes'
);

-- get_sync_health ---------------------------------------------------------------------------------
select tests.create_user('health-admin@example.test', 'free', true) as admin_id \gset
select tests.create_user('health-user@example.test', 'enterprise', false) as user_id \gset

delete from public.model_sync_log;
insert into public.model_sync_log (started_at, completed_at, sync_status, triggered_by, error_message)
values
  (now() - interval '3 hours', now() - interval '3 hours', 'completed', 'cron', null),
  (now() - interval '2 hours', now() - interval '2 hours', 'failed', 'cron', 'upstream 500'),
  (now() - interval '1 hour', now() - interval '1 hour', 'failed', 'cron', 'upstream 500');

select tests.act_as_anon();
select throws_ok(
  'select public.get_sync_health()', '42501', 'permission denied for function get_sync_health',
  'anon cannot read sync health'
);

select tests.act_as(:'user_id');
select throws_ok(
  'select public.get_sync_health()', '42501',
  'get_sync_health: only admins and the service role can read sync health',
  'a user who is not an admin cannot read sync health'
);

select tests.act_as(:'admin_id');
select is(
  (select public.get_sync_health() ->> 'consecutive_failures')::int, 2,
  'admins see the failures since the last success'
);
select is(
  (select public.get_sync_health() ->> 'healthy')::boolean, false,
  'a failure streak is not healthy'
);

select tests.act_as_service_role();
select is(
  (select public.get_sync_health() -> 'last_run' ->> 'status'), 'failed',
  'the service role sees the last run'
);

select tests.act_as_operator();
insert into public.model_sync_log (started_at, completed_at, sync_status, triggered_by)
values (now(), now(), 'completed', 'cron');
select tests.act_as(:'admin_id');
select is(
  (select public.get_sync_health() - 'last_success_at' - 'last_run' - 'max_age_seconds'),
  jsonb_build_object(
    'healthy', true,
    'last_success_age_seconds', 0,
    'consecutive_failures', 0,
    'job', (select public.get_sync_health() -> 'job')
  ),
  'a success ends the streak and the sync is healthy again'
);

select * from finish();
rollback;

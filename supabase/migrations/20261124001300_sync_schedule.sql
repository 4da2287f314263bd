-- The daily catalog sync: a pg_cron job that calls the sync-models edge function through pg_net,
-- with the project URL and the function's secret read from Vault; sync health for monitoring; and
-- the daily pruning of public.user_activity.
--
-- Why: the catalog must stay current without anyone remembering to sync. Operators store two
-- Vault secrets once (README, "Daily sync"): `project_url` (https://<ref>.supabase.co) and
-- `sync_models_secret` (the same value as the function secret CRON_SECRET). Change the time by
-- re-running cron.schedule with the same job name; the job is never duplicated.

create extension if not exists pg_cron with schema pg_catalog;
create extension if not exists pg_net with schema extensions;

-- Definer so that the job (which runs as its owner) reads Vault without any API role ever being
-- granted Vault access; executable by no API role.
create function private.invoke_sync_models()
returns bigint
language plpgsql
volatile
security definer
set search_path = ''
as $$
declare
  project_url text;
  sync_secret text;
begin
  select decrypted_secret into project_url
  from vault.decrypted_secrets
  where name = 'project_url';
  if coalesce(btrim(project_url), '') = '' then
    raise exception 'Vault secret "project_url" is missing'
      using errcode = 'P0001',
        hint = 'select vault.create_secret(''https://<project-ref>.supabase.co'', ''project_url'', ''Base URL of the functions for pg_cron'');';
  end if;

  select decrypted_secret into sync_secret
  from vault.decrypted_secrets
  where name = 'sync_models_secret';
  if coalesce(btrim(sync_secret), '') = '' then
    raise exception 'Vault secret "sync_models_secret" is missing'
      using errcode = 'P0001',
        hint = 'select vault.create_secret(''<CRON_SECRET of the sync-models function>'', ''sync_models_secret'', ''CRON_SECRET of sync-models'');';
  end if;

  return net.http_post(
    url := rtrim(project_url, '/') || '/functions/v1/sync-models',
    body := jsonb_build_object('triggered_by', 'cron'),
    headers := jsonb_build_object(
      'Content-Type', 'application/json',
      'Authorization', 'Bearer ' || sync_secret
    ),
    -- A sync fetches the catalog with retries before writing it: allow it two minutes.
    timeout_milliseconds := 120000
  );
end;
$$;

comment on function private.invoke_sync_models() is
  'Queues POST <project_url>/functions/v1/sync-models with Authorization: Bearer '
  '<sync_models_secret> (both from Vault) through pg_net; returns the pg_net request id. '
  'Raises an error naming a missing secret. Run by the pg_cron job sync-openrouter-models.';

revoke execute on function private.invoke_sync_models() from public, anon, authenticated, service_role;

select cron.schedule(
  'sync-openrouter-models',
  '0 2 * * *',
  'select private.invoke_sync_models()'
);

-- user_activity keeps 90 days: each write prunes its writer's history, this job everyone's.
select cron.schedule(
  'prune-user-activity',
  '30 3 * * *',
  'select private.prune_user_activity()'
);

-- Health --------------------------------------------------------------------------------------

-- Definer: only the job's owner can read cron.job and cron.job_run_details. It returns nothing
-- but the sync job's schedule and last run; callers go through public.get_sync_health(), which
-- checks admin rights (a definer function cannot see the caller's role to check it here).
create function private.sync_job_status()
returns table (
  scheduled boolean,
  schedule text,
  active boolean,
  last_run_status text,
  last_run_started_at timestamptz,
  last_run_message text
)
language sql
stable
security definer
set search_path = ''
as $$
  select
    j.jobid is not null,
    j.schedule,
    j.active,
    r.status,
    r.start_time,
    r.return_message
  from (select 1) as one
  left join cron.job as j on j.jobname = 'sync-openrouter-models'
  left join lateral (
    select d.status, d.start_time, d.return_message
    from cron.job_run_details as d
    where d.jobid = j.jobid
    order by d.start_time desc
    limit 1
  ) as r on true;
$$;

comment on function private.sync_job_status() is
  'The pg_cron job sync-openrouter-models: whether it exists, its schedule, whether it is active, '
  'and its last run from cron.job_run_details. Used by public.get_sync_health().';

revoke execute on function private.sync_job_status() from public, anon, authenticated, service_role;
grant execute on function private.sync_job_status() to authenticated, service_role;

create function public.get_sync_health(
  max_age interval default interval '26 hours'
)
returns jsonb
language plpgsql
stable
security invoker
set search_path = ''
as $$
declare
  last_success public.model_sync_log;
  last_run public.model_sync_log;
  failures integer;
  job record;
begin
  if not (select private.can_manage_catalog()) then
    raise exception 'get_sync_health: only admins and the service role can read sync health'
      using errcode = '42501';
  end if;

  select * into last_success
  from public.model_sync_log as l
  where l.sync_status = 'completed'
  order by l.started_at desc, l.id desc
  limit 1;

  select * into last_run
  from public.model_sync_log as l
  order by l.started_at desc, l.id desc
  limit 1;

  select count(*)::integer into failures
  from public.model_sync_log as l
  where l.sync_status = 'failed'
    and (last_success.id is null or l.started_at > last_success.started_at);

  select * into job from private.sync_job_status();

  return jsonb_build_object(
    'healthy', last_success.id is not null
      and clock_timestamp() - last_success.completed_at <= get_sync_health.max_age
      and failures = 0
      and coalesce(job.active, false),
    'last_success_at', last_success.completed_at,
    'last_success_age_seconds',
      round(extract(epoch from clock_timestamp() - last_success.completed_at)),
    'last_run', case when last_run.id is null then null else jsonb_build_object(
      'id', last_run.id,
      'status', last_run.sync_status,
      'triggered_by', last_run.triggered_by,
      'started_at', last_run.started_at,
      'completed_at', last_run.completed_at,
      'error_message', last_run.error_message
    ) end,
    'consecutive_failures', failures,
    'max_age_seconds', extract(epoch from get_sync_health.max_age)::integer,
    'job', jsonb_build_object(
      'scheduled', job.scheduled,
      'schedule', job.schedule,
      'active', job.active,
      'last_run_status', job.last_run_status,
      'last_run_started_at', job.last_run_started_at,
      'last_run_message', job.last_run_message
    )
  );
end;
$$;

comment on function public.get_sync_health(interval) is
  'Sync health for monitoring: healthy (a completed sync within max_age, no failure since, job '
  'scheduled and active), last success time and age, last run, consecutive failures since the last '
  'success, and the pg_cron job''s schedule and last run. Admins and the service role only.';

revoke execute on function public.get_sync_health(interval) from public, anon, authenticated, service_role;
grant execute on function public.get_sync_health(interval) to authenticated, service_role;

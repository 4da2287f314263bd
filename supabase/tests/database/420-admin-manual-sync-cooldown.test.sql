-- public.manual_sync_retry_after: a manual sync may run once the last admin-triggered run is
-- at least the cool-down old; runs by cron do not count; only admins see the log it reads.
begin;
\ir _helpers.psql
select plan(7);

select tests.act_as_operator();
delete from public.model_sync_log;
select tests.create_user('cooldown-admin@example.test', 'free', true) as admin_id \gset
select tests.create_user('cooldown-user@example.test', 'pro') as user_id \gset

select ok(
  not has_function_privilege('anon', 'public.manual_sync_retry_after(integer)', 'execute'),
  'anon cannot execute manual_sync_retry_after'
);

select tests.act_as(:'admin_id');
select is(
  (select array[retry_after_seconds, last_run_seconds_ago] from public.manual_sync_retry_after(300)),
  array[0, null], 'no manual sync yet: may run now'
);

select tests.act_as_operator();
insert into public.model_sync_log (triggered_by, sync_status, started_at, completed_at)
values ('cron', 'completed', now() - interval '10 seconds', now());
select tests.act_as(:'admin_id');
select is(
  (select retry_after_seconds from public.manual_sync_retry_after(300)), 0,
  'a scheduled run does not count'
);

select tests.act_as_operator();
insert into public.model_sync_log (triggered_by, sync_status, started_at, completed_at)
values ('admin', 'completed', now() - interval '100.5 seconds', now());
select tests.act_as(:'admin_id');
select is(
  (select array[retry_after_seconds, last_run_seconds_ago] from public.manual_sync_retry_after(300)),
  array[200, 100], 'within the cool-down: the whole seconds left, and the last run''s age'
);
select is(
  (select retry_after_seconds from public.manual_sync_retry_after(100)), 0,
  'past the cool-down: may run'
);
select is(
  (select retry_after_seconds from public.manual_sync_retry_after(0)), 0, 'no cool-down'
);

select tests.act_as(:'user_id');
select is(
  (select retry_after_seconds from public.manual_sync_retry_after(300)), 0,
  'a user who is not an admin sees no run (and may call no sync)'
);

select * from finish();
rollback;

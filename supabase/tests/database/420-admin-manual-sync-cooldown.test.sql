-- The manual-sync cool-down is begin_sync_run's: with cooldown_seconds it refuses (PT429, the wait
-- in DETAIL) a run begun within that many seconds of the start of the last run by the same
-- trigger; runs by other triggers do not count; a refused begin leaves no row.
begin;
\ir _helpers.psql
select plan(9);

select tests.act_as_operator();
delete from public.model_sync_log;
select tests.create_user('cooldown-admin@example.test', 'free', true) as admin_id \gset

select tests.act_as(:'admin_id');
select ok(
  public.begin_sync_run('admin', cooldown_seconds => 300) is not null,
  'no manual sync yet: the run begins'
);

select tests.act_as_operator();
delete from public.model_sync_log;
insert into public.model_sync_log (triggered_by, sync_status, started_at, completed_at)
values ('cron', 'completed', now() - interval '10 seconds', now());
select tests.act_as(:'admin_id');
select ok(
  public.begin_sync_run('admin', cooldown_seconds => 300) is not null,
  'a scheduled run does not count'
);

select tests.act_as_operator();
delete from public.model_sync_log;
insert into public.model_sync_log (triggered_by, sync_status, started_at, completed_at)
values ('admin', 'completed', clock_timestamp() - interval '100.5 seconds', now());
select tests.act_as(:'admin_id');
select is(
  (select jsonb_build_object('sqlstate', r ->> 'sqlstate', 'detail', (r ->> 'detail')::jsonb)
   from tests.refusal($$select public.begin_sync_run('admin', cooldown_seconds => 300)$$) as r),
  '{"sqlstate": "PT429", "detail": {"last_run_seconds_ago": 100, "retry_after_seconds": 200}}'::jsonb,
  'within the cool-down: PT429 (HTTP 429 through the Data API), the wait and the last run''s age'
);
select matches(
  tests.refusal($$select public.begin_sync_run('admin', cooldown_seconds => 300)$$) ->> 'message',
  '^begin_sync_run: a admin sync started 100 s ago; the cool-down is 300 s$',
  'and says why'
);
select tests.act_as_operator();
select is(
  (select count(*)::int from public.model_sync_log where triggered_by = 'admin'), 1,
  'a refused begin adds no run'
);

select tests.act_as(:'admin_id');
select ok(
  public.begin_sync_run('admin', cooldown_seconds => 100) is not null,
  'past the cool-down: the run begins'
);
select ok(
  public.begin_sync_run('admin') is not null,
  'no cool-down asked (force): the run begins even right after another'
);
select throws_ok(
  $$select public.begin_sync_run('admin', cooldown_seconds => -1)$$, '22023',
  'begin_sync_run: cooldown_seconds must be 0 or more',
  'a negative cool-down is refused'
);

select tests.act_as_service_role();
select throws_ok(
  $$select public.begin_sync_run('admin', cooldown_seconds => 300)$$, 'PT429', null,
  'the cool-down holds whoever begins the run: the log is read with the function''s rights'
);

select * from finish();
rollback;

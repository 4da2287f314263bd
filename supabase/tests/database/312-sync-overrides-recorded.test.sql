-- Every override of the gate is recorded on the run as forced, with who asked: force, and a
-- threshold other than the standard one (a direct call with max_inactive_share => 1 used to
-- disable the gate while the run said forced = false).
begin;
\ir _helpers.psql
select plan(5);

select tests.create_user('override-admin@example.test', 'free', true) as admin_id \gset

select tests.act_as_service_role();
select public.sync_openrouter_models(
  jsonb_build_array(tests.catalog_model('override/a')), 'cron', max_inactive_share => 1
) as widened \gset
select public.sync_openrouter_models(
  jsonb_build_array(tests.catalog_model('override/a')), 'cron'
) as standard \gset
select public.sync_openrouter_models(
  jsonb_build_array(tests.catalog_model('override/a')), 'cron', max_inactive_share => 0.2
) as explicit_standard \gset
select tests.act_as(:'admin_id');
select public.sync_openrouter_models(
  jsonb_build_array(tests.catalog_model('override/a')), 'admin', force => true
) as admin_forced \gset

select tests.act_as_operator();
select is(
  (select jsonb_build_object('forced', forced, 'overrides', overrides, 'by', forced_by)
   from public.model_sync_log where id = (:'widened'::jsonb ->> 'sync_log_id')::bigint),
  '{"forced": true, "overrides": {"max_inactive_share": 1}, "by": "service_role"}'::jsonb,
  'max_inactive_share => 1 is recorded as forced, by the service role'
);
select is(
  (:'widened'::jsonb ->> 'forced')::boolean, true,
  'and the answer says forced too'
);
select is(
  (select jsonb_build_object('forced', forced, 'overrides', overrides, 'by', forced_by)
   from public.model_sync_log where id = (:'admin_forced'::jsonb ->> 'sync_log_id')::bigint),
  jsonb_build_object('forced', true, 'overrides', '{"force": true}'::jsonb, 'by', :'admin_id'),
  'force by an admin is recorded with the admin''s user id'
);
select is(
  (select array_agg(forced order by id) from public.model_sync_log
   where id in ((:'standard'::jsonb ->> 'sync_log_id')::bigint,
     (:'explicit_standard'::jsonb ->> 'sync_log_id')::bigint)),
  array[false, false],
  'the standard thresholds, given or not, are no override'
);
select throws_ok(
  $$insert into public.model_sync_log (triggered_by, forced) values ('cron', true)$$,
  '23514', null,
  'a forced run without who asked is refused'
);

select * from finish();
rollback;

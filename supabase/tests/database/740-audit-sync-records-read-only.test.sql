-- The sync log and the price history are written only by the sync (its security definer
-- functions in private, behind invoker entry points in public): an admin, and the service role,
-- read them and get a permission error writing, rewriting or deleting a row.
begin;
\ir _helpers.psql
select plan(16);

delete from public.model_access_rules;
select tests.act_as_operator();
delete from public.model_access;
select tests.create_user('records-admin@example.test', 'free', true) as admin_id \gset

select tests.act_as(:'admin_id');
select public.sync_openrouter_models(jsonb_build_array(tests.catalog_model('t/a')), 'admin')
  as run \gset
select (:'run'::jsonb ->> 'sync_log_id')::bigint as run_id \gset

select is(
  (select sync_status from public.model_sync_log where id = :run_id), 'completed',
  'an admin''s sync writes its run to the sync log'
);
select is(
  (select count(*)::int from public.model_price_history where sync_log_id = :run_id), 1,
  'and the new model''s prices to the price history'
);
select throws_ok(
  $$update public.model_sync_log set sync_status = 'failed', error_message = 'forged'$$,
  '42501', 'permission denied for table model_sync_log',
  'an admin cannot rewrite a sync log row'
);
select throws_ok(
  'delete from public.model_sync_log', '42501', 'permission denied for table model_sync_log',
  'an admin cannot delete a sync log row'
);
select throws_ok(
  $$insert into public.model_sync_log (triggered_by) values ('admin')$$,
  '42501', 'permission denied for table model_sync_log',
  'an admin cannot add a sync log row'
);
select throws_ok(
  'update public.model_price_history set prompt_price = 0', '42501',
  'permission denied for table model_price_history',
  'an admin cannot rewrite a price history row'
);
select throws_ok(
  'delete from public.model_price_history', '42501',
  'permission denied for table model_price_history',
  'an admin cannot delete a price history row'
);
select throws_ok(
  $$insert into public.model_price_history (model_id, effective_from) values ('t/a', now())$$,
  '42501', 'permission denied for table model_price_history',
  'an admin cannot add a price history row'
);

select tests.act_as_service_role();
select throws_ok(
  $$update public.model_sync_log set error_message = 'forged'$$,
  '42501', 'permission denied for table model_sync_log',
  'the service role cannot rewrite a sync log row'
);
select throws_ok(
  'delete from public.model_price_history', '42501',
  'permission denied for table model_price_history',
  'the service role cannot delete a price history row'
);
select is(
  (select count(*)::int from public.model_price_history where sync_log_id = :run_id), 1,
  'the service role reads the price history'
);

select tests.act_as(:'admin_id');
select is(
  (select error_message from public.model_sync_log where id = :run_id), null,
  'an admin still reads the sync log, unchanged'
);
select is(
  (select count(*)::int from public.model_price_history where sync_log_id = :run_id), 1,
  'and the price history, unchanged'
);

select tests.act_as_operator();
select ok(
  (select bool_and(p.prosecdef and p.proconfig @> array['search_path=""'])
   from pg_proc as p
   where p.oid in (
     'private.sync_openrouter_models(jsonb, text, boolean, boolean, numeric, bigint, numeric)'::regprocedure,
     'private.begin_sync_run(text, interval, integer)'::regprocedure,
     'private.log_sync_failure(text, text, jsonb, bigint)'::regprocedure
   )),
  'the sync runs in security definer functions with an empty search_path'
);
select ok(
  not has_function_privilege(
    'anon', 'private.sync_openrouter_models(jsonb, text, boolean, boolean, numeric, bigint, numeric)',
    'execute'
  )
  and not has_function_privilege('anon', 'private.begin_sync_run(text, interval, integer)', 'execute')
  and not has_function_privilege(
    'anon', 'private.log_sync_failure(text, text, jsonb, bigint)', 'execute'
  ),
  'anon cannot run them'
);

-- The definer functions check the request's role, not their owner's.
select tests.create_user('records-user@example.test', 'enterprise') as user_id \gset
select tests.act_as(:'user_id');
select throws_ok(
  $$select private.begin_sync_run('admin')$$, '42501',
  'permission denied: only admins and the service role can sync the model catalog',
  'a user who is not an admin cannot begin a run, even calling the definer directly'
);

select * from finish();
rollback;

-- The admin functions public.update_model_tier_access and public.update_models_access: who may call
-- them (anon, users, admins, the service role); null means "leave as is"; invalid input refused
-- (22023, an unknown model P0002); limits; all or nothing; a model gone upstream stays inactive.
begin;
\ir _helpers.psql
select plan(27);

select tests.act_as_operator();
delete from public.model_access;
insert into public.model_access (model_id, model_name, status, is_free)
values ('t/a', 'A', 'new', false), ('t/b', 'B', 'active', true), ('t/c', 'C', 'active', false);
insert into public.model_access (model_id, model_name, status, upstream_removed_at)
values ('t/gone', 'Gone', 'disabled', now());

select tests.create_user('admin-fn-admin@example.test', 'free', true) as admin_id \gset
select tests.create_user('admin-fn-user@example.test', 'enterprise') as user_id \gset

create temporary view access_state as
select model_id, status, status_before_inactive, is_free, is_pro, is_enterprise, daily_limit,
  monthly_limit
from public.model_access;
grant select on access_state to authenticated, service_role;

-- Who may call ------------------------------------------------------------------------------------
select ok(
  not has_function_privilege('anon', 'public.update_models_access(text[], jsonb)', 'execute')
  and not has_function_privilege(
    'anon', 'public.update_model_tier_access(text, boolean, boolean, boolean, text, integer, integer)',
    'execute'
  ),
  'anon cannot execute the admin functions'
);
select tests.act_as_anon();
select throws_ok(
  $$select public.update_model_tier_access('t/a', true)$$,
  '42501', 'permission denied for function update_model_tier_access',
  'anon cannot call update_model_tier_access'
);
select throws_ok(
  $$select public.update_models_access(array['t/a'], '{"is_free": true}')$$,
  '42501', 'permission denied for function update_models_access',
  'anon cannot call update_models_access'
);

select tests.act_as(:'user_id');
select throws_ok(
  $$select public.update_model_tier_access('t/a', true)$$,
  '42501', 'permission denied: only admins and the service role can change model access',
  'a user who is not an admin (even enterprise) cannot change tier access'
);
select throws_ok(
  $$select public.update_models_access(array['t/a'], '{"is_free": true}')$$,
  '42501', 'permission denied: only admins and the service role can change model access',
  'nor in bulk'
);

-- update_model_tier_access as an admin --------------------------------------------------------------
select tests.act_as(:'admin_id');
select public.update_model_tier_access('t/a', null, true, null, 'active', 5, 50) as r1 \gset
select is(
  :'r1'::jsonb - 'updated_at',
  '{"success": true, "model_id": "t/a"}'::jsonb,
  'an admin changes a model: {success: true, model_id, updated_at}'
);
select is(
  (:'r1'::jsonb ->> 'updated_at')::timestamptz, now(),
  'updated_at is the model''s new updated_at'
);
select is(
  (select to_jsonb(s) from access_state as s where model_id = 't/a'),
  '{"model_id": "t/a", "status": "active", "status_before_inactive": null, "is_free": false,
    "is_pro": true, "is_enterprise": false, "daily_limit": 5, "monthly_limit": 50}'::jsonb,
  'the given values are set, and null arguments leave the others as they were'
);
select is(
  public.update_model_tier_access('t/a', p_is_enterprise => true) ->> 'success', 'true',
  'a single flag can be changed alone'
);
select is(
  (select to_jsonb(s) from access_state as s where model_id = 't/a'),
  '{"model_id": "t/a", "status": "active", "status_before_inactive": null, "is_free": false,
    "is_pro": true, "is_enterprise": true, "daily_limit": 5, "monthly_limit": 50}'::jsonb,
  'and nothing else moves'
);
select throws_ok(
  $$select public.update_model_tier_access('t/a', p_status => 'archived')$$,
  '22023', 'status must be new, active or disabled (inactive is set by the sync only)',
  'an invalid status is refused'
);
select throws_ok(
  $$select public.update_model_tier_access('t/a', p_status => 'inactive')$$,
  '22023', 'status must be new, active or disabled (inactive is set by the sync only)',
  'inactive is set by the sync only'
);
select throws_ok(
  $$select public.update_model_tier_access('t/none', true)$$,
  'P0002', 'unknown model ids: t/none',
  'an unknown model is refused'
);
select throws_ok(
  $$select public.update_model_tier_access('t/a', p_daily_limit => 0)$$,
  '22023', 'daily_limit and monthly_limit must be positive integers, or null for unlimited',
  'a limit must be positive'
);
select is(
  public.update_model_tier_access('t/gone', p_status => 'active') ->> 'success', 'true',
  'an admin can re-enable a model that is gone upstream'
);
select is(
  (select status || ':' || status_before_inactive from access_state where model_id = 't/gone'),
  'inactive:active',
  'it stays inactive until it returns upstream, then becomes active'
);

-- update_models_access: bulk, all or nothing ---------------------------------------------------------
select results_eq(
  $$select model_id, changed, is_pro, daily_limit
    from public.update_models_access(
      array['t/b', 't/c', 't/b'], '{"is_pro": true, "daily_limit": 3}'
    )$$,
  $$values ('t/b', true, true, 3), ('t/c', true, true, 3)$$,
  'bulk: both models change, returned by id (a repeated id counts once)'
);
select results_eq(
  $$select model_id, changed
    from public.update_models_access(array['t/b', 't/c'], '{"is_pro": true}')$$,
  $$values ('t/b', false), ('t/c', false)$$,
  'values that do not change are not written'
);
select is(
  (select daily_limit from public.update_models_access(array['t/b'], '{"daily_limit": null}')),
  null,
  'a JSON null limit makes the model unlimited again'
);
select throws_ok(
  $$select public.update_models_access(array['t/b', 't/none', 't/zzz'], '{"is_free": false}')$$,
  'P0002', 'unknown model ids: t/none, t/zzz',
  'unknown ids are named'
);
select is(
  (select is_free from access_state where model_id = 't/b'), true,
  'and nothing was changed (all or nothing)'
);
select throws_ok(
  $$select public.update_models_access(array['t/b'], '{"is_free": true, "tier": "pro"}')$$,
  '22023',
  'unknown fields: tier (allowed: status, is_free, is_pro, is_enterprise, daily_limit, '
    'monthly_limit, access_managed_by)',
  'unknown fields are refused'
);
select throws_ok(
  $$select public.update_models_access(array['t/b'], '{"is_free": "yes"}')$$,
  '22023', 'is_free, is_pro and is_enterprise must be true or false',
  'tier flags must be booleans'
);
select is(
  (select array_agg(tests.refusal(format(
     'select public.update_models_access(array[%L], %L)', 't/b', c
   )) ->> 'sqlstate' order by c::text)
   from unnest(array[
     '{"monthly_limit": 1.5}', '{"monthly_limit": -1}', '{"daily_limit": "10"}',
     '{"daily_limit": 99999999999}'
   ]::jsonb[]) as c),
  array['22023', '22023', '22023', '22023'],
  'limits must be positive integers (no fraction, no negative, no string, no overflow)'
);
select throws_ok(
  $$select public.update_models_access(array[]::text[], '{"is_free": true}')$$,
  '22023', 'model_ids must name at least one model',
  'model_ids must name a model'
);
select throws_ok(
  $$select public.update_models_access(array['t/b'], '[]')$$,
  '22023', 'changes must be a JSON object',
  'changes must be an object'
);

-- The service role ---------------------------------------------------------------------------------
select tests.act_as_service_role();
select is(
  public.update_model_tier_access('t/c', p_status => 'disabled', p_monthly_limit => 9) ->> 'success',
  'true',
  'the service role can change model access'
);

select * from finish();
rollback;

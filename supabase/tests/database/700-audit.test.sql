-- public.model_access_audit: every change of a model's status, tier flags or limits is recorded with
-- who (JWT sub and database role), when, and the old and new values: through update_models_access
-- as an admin, as the service role, by the sync (inactive and back), and by an operator editing
-- the row directly (postgres, no JWT, as in Studio). Upstream-only changes are not audited. Only
-- admins and the service role read the trail; nobody writes it but the trigger.
begin;
\ir _helpers.psql
select plan(19);

select tests.act_as_operator();
delete from public.model_access;
delete from public.model_access_audit;
insert into public.model_access (model_id, model_name, status, is_free)
values ('t/a', 'A', 'new', false), ('t/b', 'B', 'active', true);

select tests.create_user('audit-admin@example.test', 'free', true) as admin_id \gset
select tests.create_user('audit-user@example.test', 'enterprise') as user_id \gset

-- An admin through update_models_access -------------------------------------------------------------
select tests.act_as(:'admin_id');
select public.update_models_access(array['t/a'], '{"status": "active", "is_pro": true, "daily_limit": 5}');
select is(
  (select jsonb_build_object('model', model_id, 'op', operation, 'user', actor_user_id,
     'role', actor_role, 'old', old_values, 'new', new_values)
   from public.model_access_audit where model_id = 't/a'),
  jsonb_build_object(
    'model', 't/a', 'op', 'update', 'user', :'admin_id', 'role', 'authenticated',
    'old', '{"status": "new", "is_free": false, "is_pro": false, "is_enterprise": false,
             "daily_limit": null, "monthly_limit": null}'::jsonb,
    'new', '{"status": "active", "is_free": false, "is_pro": true, "is_enterprise": false,
             "daily_limit": 5, "monthly_limit": null}'::jsonb
  ),
  'a change by an admin records the admin''s uuid, the role, and old and new values'
);
select ok(
  (select changed_at between now() and clock_timestamp() from public.model_access_audit
   where model_id = 't/a'),
  'and when (wall-clock time of the change)'
);
select is(
  (select model_access_id from public.model_access_audit where model_id = 't/a'),
  (select id from public.model_access where model_id = 't/a'),
  'and which row'
);
select public.update_models_access(array['t/a', 't/b'], '{"is_pro": true}');
select is(
  (select count(*)::int from public.model_access_audit), 2,
  'a change that changes nothing for t/a records only t/b'
);

-- The operator (Studio: postgres, no JWT) ------------------------------------------------------------
select tests.act_as_operator();
update public.model_access set monthly_limit = 100, status = 'disabled' where model_id = 't/b';
select is(
  (select jsonb_build_object('user', actor_user_id, 'role', actor_role,
     'old', old_values -> 'status', 'new', new_values -> 'status',
     'new_limit', new_values -> 'monthly_limit')
   from public.model_access_audit where model_id = 't/b' order by id desc limit 1),
  '{"user": null, "role": "postgres", "old": "active", "new": "disabled", "new_limit": 100}'::jsonb,
  'a direct update by the operator records the database role and no user'
);

-- Upstream-only changes are not audited; deletes are ----------------------------------------------------
update public.model_access set model_description = 'changed upstream', context_length = 4096;
select is(
  (select count(*)::int from public.model_access_audit), 3,
  'a change of upstream data only is not audited'
);

-- The service role and the sync --------------------------------------------------------------------------
select tests.act_as_service_role();
select public.update_model_tier_access('t/b', p_status => 'active');
select is(
  (select actor_role || ':' || coalesce(actor_user_id::text, '-') from public.model_access_audit
   order by id desc limit 1),
  'service_role:-',
  'a change by the service role records service_role'
);
select public.sync_openrouter_models(
  jsonb_build_array(tests.catalog_model('t/a')), 'cron', true
) as sync_result \gset
select is(
  (select jsonb_build_object('model', model_id, 'role', actor_role, 'old', old_values -> 'status',
     'new', new_values -> 'status')
   from public.model_access_audit order by id desc limit 1),
  '{"model": "t/b", "role": "service_role", "old": "active", "new": "inactive"}'::jsonb,
  'a model the sync marks inactive is audited'
);
select is(
  (select count(*)::int from public.model_access_audit where model_id = 't/a'), 1,
  'rewriting upstream data of t/a during the sync is not audited'
);

select tests.act_as_operator();
delete from public.model_access where model_id = 't/a';
select is(
  (select operation || ':' || actor_role || ':' || (new_values is null)
   from public.model_access_audit order by id desc limit 1),
  'delete:postgres:true',
  'deleting a model records its last settings'
);
select tests.act_as_operator();
select count(*)::int as audit_rows from public.model_access_audit \gset

-- Who reads and writes the trail ---------------------------------------------------------------------
select ok(
  not has_table_privilege('anon', 'public.model_access_audit', 'select')
  and not has_table_privilege('authenticated', 'public.model_access_audit', 'insert, update, delete')
  and not has_table_privilege('service_role', 'public.model_access_audit', 'insert, update, delete'),
  'no API role may write the audit trail, and anon may not read it'
);
select ok(
  (select prosecdef and proconfig = array['search_path=""'] from pg_proc
   where oid = 'private.record_model_access_audit()'::regprocedure),
  'the audit trigger function is a security definer with an empty search_path'
);

select tests.act_as_anon();
select throws_ok(
  'select count(*) from public.model_access_audit', '42501',
  'permission denied for table model_access_audit',
  'anon cannot read the audit trail'
);

select tests.act_as(:'user_id');
select is(
  (select count(*)::int from public.model_access_audit), 0,
  'a user who is not an admin (even enterprise) reads nothing'
);
select throws_ok(
  $$insert into public.model_access_audit (model_access_id, model_id, operation, actor_role)
    values (1, 't/a', 'update', 'forged')$$,
  '42501', 'permission denied for table model_access_audit',
  'a user cannot forge an entry'
);
select throws_ok(
  'delete from public.model_access_audit', '42501', 'permission denied for table model_access_audit',
  'a user cannot erase entries'
);

select tests.act_as(:'admin_id');
select is(
  (select count(*)::int from public.model_access_audit), :audit_rows,
  'an admin (on the free tier) reads the whole trail'
);
select throws_ok(
  'delete from public.model_access_audit', '42501', 'permission denied for table model_access_audit',
  'not even an admin can erase entries'
);

select tests.act_as_service_role();
select is(
  (select count(*)::int from public.model_access_audit), :audit_rows,
  'the service role reads the whole trail'
);

select * from finish();
rollback;

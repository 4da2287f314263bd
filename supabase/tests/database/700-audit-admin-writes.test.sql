-- Every write an admin makes to the catalog is audited with the admin, the role and the row before
-- and after: an insert (the whole new row), an update of any column (the changed columns, old and
-- new: a name, a price, the tier flags through update_models_access), and a delete by the service
-- role (the whole old row). An update that changes nothing leaves no entry.
begin;
\ir _helpers.psql
select plan(9);

select tests.act_as_operator();
delete from public.model_access;
delete from public.model_access_audit;
select tests.create_user('audit-admin@example.test', 'free', true) as admin_id \gset

-- The latest audit entry of a model, without its id and timestamp.
create function tests.last_audit(model_id text)
returns jsonb
language sql
stable
set search_path = ''
as $$
  select jsonb_build_object(
    'op', a.operation, 'user', a.actor_user_id, 'role', a.actor_role, 'run', a.sync_log_id,
    'old', a.old_values, 'new', a.new_values
  )
  from public.model_access_audit as a
  where a.model_id = last_audit.model_id
  order by a.id desc
  limit 1;
$$;
grant execute on function tests.last_audit(text) to authenticated, service_role;

select tests.act_as(:'admin_id');

-- Insert: an admin adds a model offered to every tier through the Data API.
insert into public.model_access (model_id, model_name, status, is_free, is_pro, is_enterprise)
values ('t/a', 'A', 'active', true, true, true);
select tests.act_as_operator();
select is(
  tests.last_audit('t/a') - 'new',
  jsonb_build_object(
    'op', 'insert', 'user', :'admin_id', 'role', 'authenticated', 'run', null, 'old', null
  ),
  'an insert by an admin records the admin, the role and no old row'
);
select is(
  tests.last_audit('t/a') -> 'new',
  (select to_jsonb(m) from public.model_access as m where m.model_id = 't/a'),
  'and the whole new row'
);

-- Update of an upstream column: a rename.
select tests.act_as(:'admin_id');
update public.model_access set model_name = 'A renamed' where model_id = 't/a';
select is(
  tests.last_audit('t/a') - 'user',
  '{"op": "update", "role": "authenticated", "run": null,
    "old": {"model_name": "A"}, "new": {"model_name": "A renamed"}}'::jsonb,
  'a rename records the old and the new name (updated_at is not a change of its own)'
);
select is(
  tests.last_audit('t/a') ->> 'user', :'admin_id', 'with the admin who made it'
);

-- Update of prices.
update public.model_access set prompt_price = 0.000002, completion_price = 0.000004
where model_id = 't/a';
select is(
  tests.last_audit('t/a') -> 'old' || jsonb_build_object('new', tests.last_audit('t/a') -> 'new'),
  '{"prompt_price": null, "completion_price": null,
    "new": {"prompt_price": 0.000002, "completion_price": 0.000004}}'::jsonb,
  'a price change records the old and new prices'
);

-- Update of the tier flags and a limit through the admin function.
select public.update_models_access(
  array['t/a'], '{"is_free": false, "is_pro": false, "daily_limit": 5}'
);
select is(
  tests.last_audit('t/a') - 'user',
  '{"op": "update", "role": "authenticated", "run": null,
    "old": {"is_free": true, "is_pro": true, "daily_limit": null,
            "access_managed_by": "rules"},
    "new": {"is_free": false, "is_pro": false, "daily_limit": 5,
            "access_managed_by": "admin"}}'::jsonb,
  'a change of tier flags records the old and new flags (and the hand-over to the admin)'
);

-- A no-op update.
select count(*)::int as audit_rows from public.model_access_audit \gset
update public.model_access set model_name = 'A renamed', is_free = false where model_id = 't/a';
select public.update_models_access(array['t/a'], '{"is_pro": false}');
select is(
  (select count(*)::int from public.model_access_audit), :audit_rows,
  'an update that changes nothing records nothing'
);

-- Delete: admins have no delete right on the catalog; the service role has.
select tests.act_as_operator();
select to_jsonb(m) as last_row from public.model_access as m where m.model_id = 't/a' \gset
select tests.act_as_service_role();
delete from public.model_access where model_id = 't/a';
select tests.act_as_operator();
select is(
  tests.last_audit('t/a') - 'old',
  '{"op": "delete", "user": null, "role": "service_role", "run": null, "new": null}'::jsonb,
  'a delete by the service role records the role and no new row'
);
select is(tests.last_audit('t/a') -> 'old', :'last_row'::jsonb, 'and the whole old row');

select * from finish();
rollback;

-- Edits made in Studio (connected as postgres, no JWT; or with a role switch) are audited like any
-- other write, with the database role as the actor, or the user when Studio impersonates one:
-- inserts, updates, deletes, and a truncate (one entry per model it removes).
begin;
\ir _helpers.psql
select plan(6);

select tests.act_as_operator();
delete from public.model_access;
delete from public.model_access_audit;

-- Studio's SQL editor: the login role itself, no role switch, no JWT.
select set_config('role', 'none', true);
select set_config('request.jwt.claims', '', true);
insert into public.model_access (model_id, model_name) values ('t/a', 'A'), ('t/b', 'B');
select is(
  (select array_agg(operation || ':' || actor_role || ':' || coalesce(actor_user_id::text, '-')
     order by model_id)
   from public.model_access_audit),
  array['insert:' || session_user || ':-', 'insert:' || session_user || ':-'],
  'an insert in the SQL editor records the login role and no user'
);

update public.model_access set status = 'active', is_pro = true, model_name = 'A2'
where model_id = 't/a';
select is(
  (select jsonb_build_object('op', operation, 'role', actor_role, 'old', old_values,
     'new', new_values)
   from public.model_access_audit where model_id = 't/a' order by id desc limit 1),
  jsonb_build_object(
    'op', 'update', 'role', session_user,
    'old', '{"status": "new", "is_pro": false, "model_name": "A", "access_managed_by": "rules"}'::jsonb,
    'new', '{"status": "active", "is_pro": true, "model_name": "A2", "access_managed_by": "admin"}'::jsonb
  ),
  'an update in the SQL editor records the changed columns, old and new'
);

-- Studio's table editor, switched to postgres.
select tests.act_as_operator();
delete from public.model_access where model_id = 't/b';
select is(
  (select operation || ':' || actor_role || ':' || (old_values ->> 'model_name')
     || ':' || (new_values is null)
   from public.model_access_audit where model_id = 't/b' order by id desc limit 1),
  'delete:postgres:B:true',
  'a delete by postgres records the role and the deleted row'
);

-- Studio impersonating a user: the user is recorded beside the role.
select tests.create_user('audit-studio@example.test') as user_id \gset
select set_config(
  'request.jwt.claims', jsonb_build_object('sub', :'user_id', 'role', 'authenticated')::text, true
);
update public.model_access set monthly_limit = 100 where model_id = 't/a';
select is(
  (select actor_role || ':' || actor_user_id from public.model_access_audit
   where model_id = 't/a' order by id desc limit 1),
  'postgres:' || :'user_id',
  'a write with a JWT records auth.uid() as well'
);
select set_config('request.jwt.claims', '', true);

-- A truncate leaves one entry per model it removed, with the model's last row.
insert into public.model_access (model_id) values ('t/c');
select count(*)::int as audit_rows from public.model_access_audit \gset
-- Fire the deferred catalog-version trigger now: a truncate refuses pending trigger events.
set constraints all immediate;
truncate public.model_access cascade;
select is(
  (select array_agg(model_id || ':' || (old_values ->> 'model_id') order by model_id)
   from public.model_access_audit where operation = 'truncate' and actor_role = 'postgres'),
  array['t/a:t/a', 't/c:t/c'],
  'a truncate records every removed model'
);
select is(
  (select count(*)::int from public.model_access_audit), :audit_rows + 2,
  'and nothing else'
);

select * from finish();
rollback;

-- Edits of the tiering rules made in Studio (connected as postgres, no JWT) are audited like any
-- other write, with the database role as the actor: inserts, updates, deletes, and a truncate (one
-- entry per rule it removes).
begin;
\ir _helpers.psql
select plan(5);

select tests.act_as_operator();
delete from public.model_access_rules;
delete from public.model_access_rules_audit;

insert into public.model_access_rules (priority, name, status)
values (1, 'a', 'new'), (2, 'b', 'active');
select is(
  (select array_agg(operation || ':' || actor_role || ':' || coalesce(actor_user_id::text, '-')
     || ':' || (new_values ->> 'name') order by rule_id)
   from public.model_access_rules_audit),
  array['insert:postgres:-:a', 'insert:postgres:-:b'],
  'an insert by an operator records the role, no user and each new rule'
);

update public.model_access_rules set priority = 5 where name = 'a';
select is(
  (select jsonb_build_object('op', operation, 'role', actor_role, 'old', old_values,
     'new', new_values)
   from public.model_access_rules_audit order by id desc limit 1),
  jsonb_build_object(
    'op', 'update', 'role', 'postgres', 'old', '{"priority": 1}'::jsonb,
    'new', '{"priority": 5}'::jsonb
  ),
  'an update by an operator records the changed columns, old and new'
);

delete from public.model_access_rules where name = 'b';
select is(
  (select operation || ':' || actor_role || ':' || (old_values ->> 'name') || ':'
     || (new_values is null)
   from public.model_access_rules_audit order by id desc limit 1),
  'delete:postgres:b:true',
  'a delete by an operator records the role and the deleted rule'
);

insert into public.model_access_rules (priority, name, status) values (3, 'c', 'disabled');
select count(*)::int as audit_rows from public.model_access_rules_audit \gset
truncate public.model_access_rules;
select is(
  (select array_agg(actor_role || ':' || (old_values ->> 'name') order by rule_id)
   from public.model_access_rules_audit where operation = 'truncate'),
  array['postgres:a', 'postgres:c'],
  'a truncate records every removed rule'
);
select is(
  (select count(*)::int from public.model_access_rules_audit), :audit_rows + 2,
  'and nothing else'
);

select * from finish();
rollback;

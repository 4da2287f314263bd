-- Every write an admin makes to the tiering rules is audited with the admin, the role and the rule
-- before and after: an insert (the whole new rule), an update of any column (the changed columns,
-- old and new, not updated_at), a delete (the whole old rule); the service role's writes too. An
-- update that changes nothing leaves no entry.
begin;
\ir _helpers.psql
select plan(8);

select tests.act_as_operator();
delete from public.model_access_rules;
delete from public.model_access_rules_audit;
select tests.create_user('rules-audit-admin@example.test', 'free', true) as admin_id \gset

-- The latest audit entry of a rule, without its id and timestamp.
create function tests.last_rule_audit(rule_id bigint)
returns jsonb
language sql
stable
set search_path = ''
as $$
  select jsonb_build_object(
    'op', a.operation, 'user', a.actor_user_id, 'role', a.actor_role, 'old', a.old_values,
    'new', a.new_values
  )
  from public.model_access_rules_audit as a
  where a.rule_id = last_rule_audit.rule_id
  order by a.id desc
  limit 1;
$$;

-- Insert: an admin adds a rule through the Data API.
select tests.act_as(:'admin_id');
insert into public.model_access_rules (priority, name, match_provider, status, is_pro)
values (10, 'openai to pro', 'openai', 'active', true);
select tests.act_as_operator();
select id as rule_id from public.model_access_rules where name = 'openai to pro' \gset
select is(
  tests.last_rule_audit(:rule_id) - 'new',
  jsonb_build_object('op', 'insert', 'user', :'admin_id', 'role', 'authenticated', 'old', null),
  'an insert by an admin records the admin, the role and no old rule'
);
select is(
  tests.last_rule_audit(:rule_id) -> 'new',
  (select to_jsonb(r) from public.model_access_rules as r where r.id = :rule_id),
  'and the whole new rule'
);

-- Update: the changed columns only, old and new. The rule is dated back first (with the triggers
-- off, unaudited), so that the update moves updated_at, which the trail leaves out.
alter table public.model_access_rules
  disable trigger set_updated_at, disable trigger record_model_access_rules_audit_on_update;
update public.model_access_rules set updated_at = '2000-01-01' where id = :rule_id;
alter table public.model_access_rules
  enable trigger set_updated_at, enable trigger record_model_access_rules_audit_on_update;
select tests.act_as(:'admin_id');
update public.model_access_rules
set is_free = true, match_min_context_length = 8000, name = 'openai to pro'
where id = :rule_id;
select tests.act_as_operator();
select is(
  tests.last_rule_audit(:rule_id),
  jsonb_build_object(
    'op', 'update', 'user', :'admin_id', 'role', 'authenticated',
    'old', '{"is_free": false, "match_min_context_length": null}'::jsonb,
    'new', '{"is_free": true, "match_min_context_length": 8000}'::jsonb
  ),
  'an update by an admin records the changed columns, old and new'
);

-- A no-op update: no entry, though updated_at moves.
select count(*)::int as audit_rows from public.model_access_rules_audit \gset
select tests.act_as(:'admin_id');
update public.model_access_rules set is_free = true where id = :rule_id;
select tests.act_as_operator();
select is(
  (select count(*)::int from public.model_access_rules_audit), :audit_rows,
  'an update that changes nothing leaves no entry'
);

-- The service role's writes: no user, its role.
select tests.act_as_service_role();
update public.model_access_rules set enabled = false where id = :rule_id;
select tests.act_as_operator();
select is(
  tests.last_rule_audit(:rule_id),
  jsonb_build_object(
    'op', 'update', 'user', null, 'role', 'service_role',
    'old', '{"enabled": true}'::jsonb, 'new', '{"enabled": false}'::jsonb
  ),
  'an update by the service role records its role and no user'
);

-- Delete: the whole old rule.
select to_jsonb(r) as last_rule from public.model_access_rules as r where r.id = :rule_id \gset
select tests.act_as(:'admin_id');
delete from public.model_access_rules where id = :rule_id;
select tests.act_as_operator();
select is(
  tests.last_rule_audit(:rule_id) - 'old',
  jsonb_build_object('op', 'delete', 'user', :'admin_id', 'role', 'authenticated', 'new', null),
  'a delete by an admin records the admin, the role and no new rule'
);
select is(
  tests.last_rule_audit(:rule_id) -> 'old', :'last_rule'::jsonb,
  'and the whole deleted rule'
);

select is(
  (select array_agg(operation order by id) from public.model_access_rules_audit),
  array['insert', 'update', 'update', 'delete'],
  'and nothing else'
);

select * from finish();
rollback;

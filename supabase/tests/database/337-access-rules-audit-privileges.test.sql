-- Only admins and the service role read the rules' audit trail; nobody writes it but the trigger,
-- which is a security definer with an empty search_path.
begin;
\ir _helpers.psql
select plan(10);

select tests.act_as_operator();
delete from public.model_access_rules;
delete from public.model_access_rules_audit;
insert into public.model_access_rules (priority, name, status) values (1, 'a', 'new');
select count(*)::int as audit_rows from public.model_access_rules_audit \gset
select tests.create_user('rules-trail-admin@example.test', 'free', true) as admin_id \gset
select tests.create_user('rules-trail-user@example.test', 'enterprise') as user_id \gset

select ok(
  (select prosecdef and proconfig = array['search_path=""'] from pg_proc
   where oid = 'private.record_model_access_rules_audit()'::regprocedure),
  'the audit trigger function is a security definer with an empty search_path'
);

select tests.act_as_anon();
select throws_ok(
  'select count(*) from public.model_access_rules_audit', '42501',
  'permission denied for table model_access_rules_audit',
  'anon cannot read the audit trail'
);

select tests.act_as(:'user_id');
select is(
  (select count(*)::int from public.model_access_rules_audit), 0,
  'a user who is not an admin (even enterprise) reads nothing'
);
select throws_ok(
  $$insert into public.model_access_rules_audit (rule_id, operation, actor_role, new_values)
    values (1, 'insert', 'forged', '{}')$$,
  '42501', 'permission denied for table model_access_rules_audit',
  'a user cannot forge an entry'
);

select tests.act_as(:'admin_id');
select is(
  (select count(*)::int from public.model_access_rules_audit), :audit_rows,
  'an admin (on the free tier) reads the whole trail'
);
select throws_ok(
  $$insert into public.model_access_rules_audit (rule_id, operation, actor_role, new_values)
    values (1, 'insert', 'forged', '{}')$$,
  '42501', 'permission denied for table model_access_rules_audit',
  'not even an admin can forge an entry'
);
select throws_ok(
  $$update public.model_access_rules_audit set actor_role = 'forged'$$, '42501',
  'permission denied for table model_access_rules_audit',
  'nor rewrite entries'
);
select throws_ok(
  'delete from public.model_access_rules_audit', '42501',
  'permission denied for table model_access_rules_audit',
  'nor erase them'
);

select tests.act_as_service_role();
select is(
  (select count(*)::int from public.model_access_rules_audit), :audit_rows,
  'the service role reads the whole trail'
);
select throws_ok(
  'delete from public.model_access_rules_audit', '42501',
  'permission denied for table model_access_rules_audit',
  'nor can the service role erase entries'
);

select * from finish();
rollback;

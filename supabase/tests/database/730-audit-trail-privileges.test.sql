-- Only admins and the service role read the audit trail; nobody writes it but the trigger, which
-- is a security definer with an empty search_path.
begin;
\ir _helpers.psql
select plan(9);

select tests.act_as_operator();
delete from public.model_access;
delete from public.model_access_audit;
insert into public.model_access (model_id) values ('t/a');
select count(*)::int as audit_rows from public.model_access_audit \gset
select tests.create_user('trail-admin@example.test', 'free', true) as admin_id \gset
select tests.create_user('trail-user@example.test', 'enterprise') as user_id \gset

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
  $$insert into public.model_access_audit (model_access_id, model_id, operation, actor_role,
      new_values)
    values (1, 't/a', 'insert', 'forged', '{}')$$,
  '42501', 'permission denied for table model_access_audit',
  'a user cannot forge an entry'
);

select tests.act_as(:'admin_id');
select is(
  (select count(*)::int from public.model_access_audit), :audit_rows,
  'an admin (on the free tier) reads the whole trail'
);
select throws_ok(
  $$update public.model_access_audit set actor_role = 'forged'$$, '42501',
  'permission denied for table model_access_audit',
  'not even an admin can rewrite entries'
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
select throws_ok(
  'delete from public.model_access_audit', '42501', 'permission denied for table model_access_audit',
  'nor can the service role erase entries'
);

select * from finish();
rollback;

-- public.list_models_for_admin: who may call it; the tier filter follows the tier hierarchy
-- (public.subscription_tiers) whatever the status; unknown statuses and tiers are refused; the
-- total comes with every page, also one past the end.
begin;
\ir _helpers.psql
select plan(14);

select tests.act_as_operator();
delete from public.model_access;
insert into public.model_access (model_id, model_name, status, is_free, is_pro, is_enterprise)
values
  ('t/free', 'Free', 'active', true, false, false),
  ('t/pro', 'Pro', 'disabled', false, true, false),
  ('t/ent', 'Ent', 'new', false, false, true),
  ('t/none', 'None', 'active', false, false, false);

select tests.create_user('admin-list-admin@example.test', 'free', true) as admin_id \gset
select tests.create_user('admin-list-user@example.test', 'enterprise') as user_id \gset

create function pg_temp.listed(tier text)
returns text[]
language sql
as $$
  select array_agg(l.model_id order by l.model_id)
  from public.list_models_for_admin(in_tier => tier) as l
$$;
grant execute on function pg_temp.listed(text) to authenticated;

-- Who may call ------------------------------------------------------------------------------------
select ok(
  not has_function_privilege(
    'anon',
    'public.list_models_for_admin(public.model_status, text, text, text, text, integer, integer)',
    'execute'
  ),
  'anon cannot execute list_models_for_admin'
);
select tests.act_as(:'user_id');
select throws_ok(
  $$select * from public.list_models_for_admin()$$,
  '42501', 'permission denied: only admins and the service role can list the whole catalog',
  'a user who is not an admin is refused'
);
select tests.act_as_service_role();
select is(
  (select count(*)::int from public.list_models_for_admin()), 4, 'the service role lists all'
);

-- The tier hierarchy ------------------------------------------------------------------------------
select tests.act_as(:'admin_id');
select is(
  (select count(*)::int from public.list_models_for_admin()), 4, 'an admin lists every status'
);
select is(pg_temp.listed('free'), array['t/free'], 'free: the models flagged is_free');
select is(pg_temp.listed('pro'), array['t/free', 't/pro'], 'pro: is_free or is_pro, any status');
select is(
  pg_temp.listed('enterprise'), array['t/ent', 't/free', 't/pro'], 'enterprise: any flag'
);
select tests.act_as_operator();
update public.subscription_tiers set sees_pro_models = false where tier = 'pro';
select tests.act_as(:'admin_id');
select is(
  pg_temp.listed('pro'), array['t/free'], 'the filter reads the hierarchy from subscription_tiers'
);

-- Refused filters ---------------------------------------------------------------------------------
select throws_ok(
  $$select * from public.list_models_for_admin(in_tier => 'gold')$$,
  '22023', 'unknown tier ''gold''', 'an unknown tier is refused'
);
select throws_ok(
  $$select * from public.list_models_for_admin(with_status => 'archived')$$,
  '23514', 'value for domain model_status violates check constraint "model_status_is_known"',
  'an unknown status is refused by its type'
);

-- Filters and paging ------------------------------------------------------------------------------
select is(
  (select array_agg(l.model_id) from public.list_models_for_admin(with_status => 'active') as l),
  array['t/free', 't/none'], 'status filter'
);
select is(
  (select array_agg(l.total_count)
   from public.list_models_for_admin(matching_text => '_', from_provider => 't') as l),
  array[0], 'the search text is literal: _ is no wildcard'
);
select is(
  (select array_agg(array[l.total_count::text, l.model_id] order by l.model_id)
   from public.list_models_for_admin(page_limit => 2, page_offset => 1) as l),
  array[array['4', 't/free'], array['4', 't/none']], 'a page, each row with the total'
);
select is(
  (select array_agg(array[l.total_count::text, l.model_id])
   from public.list_models_for_admin(page_offset => 10) as l),
  array[array['4', null]], 'past the end: one row with the total and no model'
);

select * from finish();
rollback;

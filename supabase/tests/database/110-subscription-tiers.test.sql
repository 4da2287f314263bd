-- public.subscription_tiers: the one list of tiers and their hierarchy. Profiles must name a tier;
-- users read the tiers and never change them; what a tier's users may use follows the hierarchy.
begin;
\ir _helpers.psql
select plan(7);

select tests.act_as_operator();
delete from public.model_access;
insert into public.model_access (model_id, model_name, status, is_free, is_pro, is_enterprise)
values
  ('t/free', 'Free', 'active', true, false, false),
  ('t/pro', 'Pro', 'active', false, true, false),
  ('t/ent', 'Ent', 'active', false, false, true);
select tests.create_user('tiers-pro@example.test', 'pro') as pro_id \gset

select is(
  (select array_agg(tier order by tier) from public.subscription_tiers),
  array['enterprise', 'free', 'pro'], 'three tiers'
);

select tests.act_as_anon();
select throws_ok(
  $$select * from public.subscription_tiers$$, '42501',
  'permission denied for table subscription_tiers', 'anon cannot read the tiers'
);

select tests.act_as(:'pro_id');
select is(
  (select count(*)::int from public.subscription_tiers), 3, 'a signed-in user reads the tiers'
);
select throws_ok(
  $$update public.subscription_tiers set sees_enterprise_models = true where tier = 'pro'$$,
  '42501', 'permission denied for table subscription_tiers', 'a user cannot change the hierarchy'
);
select is(
  (select array_agg(l.model_id order by l.model_id) from public.get_user_allowed_models_v2() as l),
  array['t/free', 't/pro'], 'pro sees is_free and is_pro'
);

select tests.act_as_operator();
update public.subscription_tiers set sees_enterprise_models = true where tier = 'pro';
select tests.act_as(:'pro_id');
select is(
  (select array_agg(l.model_id order by l.model_id) from public.get_user_allowed_models_v2() as l),
  array['t/ent', 't/free', 't/pro'], 'what a tier may use follows subscription_tiers'
);

select tests.act_as_operator();
select throws_ok(
  format('delete from public.subscription_tiers where tier = %L', 'pro'), '23503', null,
  'a tier that profiles name cannot be removed'
);

select * from finish();
rollback;

-- The integrity gate counts models the rules would demote after an upstream price change, tier by
-- tier as private.tier_models offers them: twenty models leaving the pro tier (still offered to
-- enterprise) are refused like twenty vanishing ones, and the catalog keeps their access.
begin;
\ir _helpers.psql
select plan(4);

select tests.act_as_operator();
delete from public.model_access_rules;
delete from public.model_access;
-- Cheap models for pro and enterprise; dearer ones for enterprise only.
insert into public.model_access_rules (
  priority, name, match_max_prompt_price, status, is_pro, is_enterprise
)
values (1, 'cheap for pro', 0.000005, 'active', true, true);
insert into public.model_access_rules (priority, name, status, is_enterprise)
values (2, 'the rest for enterprise', 'active', true);

select tests.act_as_service_role();
select public.sync_openrouter_models(
  (select jsonb_agg(tests.catalog_model('demote/model-' || i)) from generate_series(1, 20) as i),
  'cron'
);

-- Upstream raises every price: the first rule no longer matches.
select public.sync_openrouter_models(
  (select jsonb_agg(tests.catalog_model('demote/model-' || i, null, '0.00001', '0.00002'))
   from generate_series(1, 20) as i),
  'cron'
) as refused \gset
select is(
  (:'refused'::jsonb ->> 'error') || ' ' || (:'refused'::jsonb #>> '{models_leaving_tiers,demoted}'),
  'integrity_gate 20',
  'a price change that would take twenty models off the pro tier is refused, counted as demoted'
);
select tests.act_as_operator();
select is(
  (select count(*)::int from private.tier_models where tier = 'pro' and model_id like 'demote/%'),
  20,
  'and pro users keep them'
);
select is(
  (select count(*)::int from public.model_price_history where model_id like 'demote/%'), 20,
  'and the refused run records no price change'
);

select tests.act_as_service_role();
select public.sync_openrouter_models(
  (select jsonb_agg(tests.catalog_model('demote/model-' || i, null, '0.00001', '0.00002'))
   from generate_series(1, 20) as i),
  'cron', force => true
);
select tests.act_as_operator();
select is(
  (select count(*)::int from private.tier_models where tier = 'pro' and model_id like 'demote/%')
    || ' ' || (select count(*) from private.tier_models where tier = 'enterprise'
      and model_id like 'demote/%'),
  '0 20',
  'forced, they leave the pro tier and stay offered to enterprise'
);

select * from finish();
rollback;

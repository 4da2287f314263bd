-- The integrity gate tells why each model would leave a tier when the reasons mix in one run: a
-- model missing upstream counts as vanished, one whose record carries a past expiration_date as
-- sunset, and one the rules no longer offer after a price change as demoted; each model once,
-- however many tiers it leaves, and none that stays.
begin;
\ir _helpers.psql
select plan(3);

select tests.act_as_operator();
delete from public.model_access_rules;
delete from public.model_access;
-- Cheap models for every tier, dearer ones for nobody (new).
insert into public.model_access_rules (
  priority, name, match_max_prompt_price, status, is_free, is_pro, is_enterprise
)
values (1, 'cheap for everyone', 0.000005, 'active', true, true, true);

select tests.act_as_service_role();
select public.sync_openrouter_models(
  (select jsonb_agg(tests.catalog_model('mix/model-' || i)) from generate_series(1, 40) as i),
  'cron'
);

-- Models 1 to 3 vanish, 4 to 7 carry a past expiration_date, 8 to 12 become dearer; the rest stay.
select public.sync_openrouter_models(
  (select jsonb_agg(
     case
       when i <= 7 then jsonb_set(tests.catalog_model('mix/model-' || i), '{expiration_date}',
         '"2020-01-01"')
       when i <= 12 then tests.catalog_model('mix/model-' || i, null, '0.00001', '0.00002')
       else tests.catalog_model('mix/model-' || i)
     end)
   from generate_series(4, 40) as i),
  'cron', force => true
) as mixed \gset
select is(
  :'mixed'::jsonb -> 'models_leaving_tiers',
  '{"total": 12, "vanished": 3, "sunset": 4, "demoted": 5}'::jsonb,
  'twelve models leave: three vanished, four sunset, five demoted by the rules'
);
select is(
  (:'mixed'::jsonb ->> 'models_marked_inactive')::int, 3, 'the three missing ones are marked inactive'
);
select tests.act_as_operator();
select is(
  (select count(distinct model_id)::int from private.tier_models where model_id like 'mix/%'), 28,
  'and the other 28 are still offered'
);

select * from finish();
rollback;

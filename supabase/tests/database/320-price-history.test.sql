-- Price history: public.model_price_history across the two fixtures. The first
-- sync records one row per model; the same catalog again records nothing; the 2025-12-02 catalog
-- adds exactly one row for each model whose upstream pricing differs (so those models have two
-- rows, newest first) and one for each new model; a dry run records nothing; the counts reach the
-- sync result and the sync log; who may read and write the table.
begin;
\ir _helpers.psql
select plan(22);

\set old_catalog `cat ../shared/fixtures/openrouter/2025-05-23.json`
\set new_catalog `cat ../shared/fixtures/openrouter/2025-12-02.json`

-- Pricing per id in each fixture (the last record of an id wins, as in the sync).
create temporary table fixture_prices on commit drop as
select
  coalesce(o.model_id, n.model_id) as model_id,
  o.pricing as old_pricing,
  n.pricing as new_pricing,
  o.model_id is not null as in_old,
  n.model_id is not null as in_new
from (
  select e.key as model_id, e.value -> 'pricing' as pricing
  from jsonb_each((
    select jsonb_object_agg(r.value ->> 'id', r.value order by r.ordinality)
    from jsonb_array_elements((:'old_catalog')::jsonb -> 'data') with ordinality as r
  )) as e
) as o
full join (
  select e.key as model_id, e.value -> 'pricing' as pricing
  from jsonb_each((
    select jsonb_object_agg(r.value ->> 'id', r.value order by r.ordinality)
    from jsonb_array_elements((:'new_catalog')::jsonb -> 'data') with ordinality as r
  )) as e
) as n on n.model_id = o.model_id;
grant select on fixture_prices to authenticated, service_role;

select tests.act_as_operator();
delete from public.model_access;
delete from public.model_price_history;

select
  tests.create_user('price-admin@example.com', 'free', true) as admin_id,
  tests.create_user('price-user@example.com', 'enterprise', false) as user_id
\gset

-- First catalog: one row per model.
select tests.act_as_service_role();
select public.sync_openrouter_models((:'old_catalog')::jsonb -> 'data', 'cron') as first \gset
select is(
  (:'first'::jsonb ->> 'models_price_changed')::int,
  (select count(*)::int from fixture_prices where in_old),
  'the first sync counts every model as a price change'
);
select is(
  (select count(*)::int from public.model_price_history),
  (select count(*)::int from fixture_prices where in_old),
  'the first sync records one price row per model'
);
select is(
  (select count(*)::int from public.model_price_history
   where sync_log_id = (:'first'::jsonb ->> 'sync_log_id')::bigint
     and effective_from = (select started_at from public.model_sync_log
                           where id = (:'first'::jsonb ->> 'sync_log_id')::bigint)),
  (select count(*)::int from fixture_prices where in_old),
  'each row names the run that saw it and takes effect at its start'
);
select is(
  (select models_price_changed from public.model_sync_log
   where id = (:'first'::jsonb ->> 'sync_log_id')::bigint),
  (select count(*)::int from fixture_prices where in_old),
  'the sync log counts the price changes'
);
select is(
  (select count(*)::int
   from public.model_price_history as h
   join public.model_access as m on m.model_id = h.model_id
   where (h.prompt_price, h.completion_price, h.request_price, h.image_price,
          h.web_search_price, h.internal_reasoning_price, h.input_cache_read_price,
          h.input_cache_write_price, h.pricing)
     is distinct from
         (m.prompt_price, m.completion_price, m.request_price, m.image_price,
          m.web_search_price, m.internal_reasoning_price, m.input_cache_read_price,
          m.input_cache_write_price, m.openrouter_data -> 'pricing')),
  0,
  'the recorded prices are the catalog''s prices'
);

-- The same catalog again: nothing recorded.
select public.sync_openrouter_models((:'old_catalog')::jsonb -> 'data', 'cron') as again \gset
select is((:'again'::jsonb ->> 'models_price_changed')::int, 0, 'a no-change sync counts none');
select is(
  (select count(*)::int from public.model_price_history),
  (select count(*)::int from fixture_prices where in_old),
  'a no-change sync records nothing'
);

-- A dry run of the new catalog previews the count and records nothing.
select public.sync_openrouter_models(
  (:'new_catalog')::jsonb -> 'data', 'cron', force => true, dry_run => true
) as preview \gset
select is(
  (:'preview'::jsonb ->> 'models_price_changed')::int,
  (select count(*)::int from fixture_prices
   where in_new and (not in_old or old_pricing is distinct from new_pricing)),
  'a dry run counts the price changes it would record'
);
select is(
  (select count(*)::int from public.model_price_history),
  (select count(*)::int from fixture_prices where in_old),
  'a dry run records nothing'
);

-- The new catalog, forced past the gate.
select public.sync_openrouter_models((:'new_catalog')::jsonb -> 'data', 'cron', force => true)
  as second \gset
select ok(
  (select count(*) from fixture_prices where in_old and in_new and old_pricing is distinct from new_pricing) > 0,
  'the fixtures have models whose prices changed'
);
select is(
  (:'second'::jsonb ->> 'models_price_changed')::int,
  (select count(*)::int from fixture_prices
   where in_new and (not in_old or old_pricing is distinct from new_pricing)),
  'the second sync counts the repriced and the new models'
);
select set_eq(
  'select model_id from public.model_price_history group by model_id having count(*) = 2',
  'select model_id from fixture_prices
   where in_old and in_new and old_pricing is distinct from new_pricing',
  'exactly the models whose prices differ between the fixtures have two rows'
);
select is(
  (select count(*)::int from public.model_price_history group by model_id having count(*) > 2),
  null,
  'no model has more than two rows'
);
select is(
  (select count(*)::int from public.model_price_history as h
   join fixture_prices as f on f.model_id = h.model_id
   where f.in_old and f.in_new and f.old_pricing is not distinct from f.new_pricing
   group by h.model_id having count(*) <> 1 limit 1),
  null,
  'models listed in both with the same prices keep their one row'
);
select is(
  (select count(*)::int from public.model_price_history as h
   join fixture_prices as f on f.model_id = h.model_id
   where f.in_old and not f.in_new),
  (select count(*)::int from fixture_prices where in_old and not in_new),
  'models gone upstream keep their row and get no new one'
);
-- The timeline of a repriced model, newest first: the new prices, then the old ones.
select f.model_id as repriced
from fixture_prices as f
where f.in_old and f.in_new and f.old_pricing is distinct from f.new_pricing
order by f.model_id
limit 1
\gset
select results_eq(
  format(
    'select pricing, sync_log_id from public.model_price_history where model_id = %L
     order by effective_from desc, id desc',
    :'repriced'
  ),
  format(
    'values (%L::jsonb, %s::bigint), (%L::jsonb, %s::bigint)',
    (select new_pricing from fixture_prices where model_id = :'repriced'),
    :'second'::jsonb ->> 'sync_log_id',
    (select old_pricing from fixture_prices where model_id = :'repriced'),
    :'first'::jsonb ->> 'sync_log_id'
  ),
  'a repriced model''s timeline: the 2025-12-02 prices, then the 2025-05-23 ones'
);

-- Who may read and write.
select tests.act_as(:'admin_id');
select is(
  (select count(*)::int from public.model_price_history),
  (select count(*)::int from fixture_prices where in_old)
    + (select count(*)::int from fixture_prices
       where in_new and (not in_old or old_pricing is distinct from new_pricing)),
  'admins read the whole price history'
);
select tests.act_as(:'user_id');
select is((select count(*)::int from public.model_price_history), 0, 'users read no price history');
select throws_ok(
  $$insert into public.model_price_history (model_id, effective_from) values ('x/y', now())$$,
  '42501',
  'permission denied for table model_price_history',
  'users cannot add price history'
);
select throws_ok(
  $$delete from public.model_price_history$$,
  '42501',
  'permission denied for table model_price_history',
  'users cannot delete price history'
);
select tests.act_as_anon();
select throws_ok(
  'select count(*) from public.model_price_history',
  '42501',
  'permission denied for table model_price_history',
  'anon cannot read the price history'
);
select tests.act_as_service_role();
select ok(
  (select count(*) from public.model_price_history) > 0,
  'the service role reads the price history'
);

select * from finish();
rollback;

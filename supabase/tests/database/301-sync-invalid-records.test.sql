-- The one parser (private.parse_catalog_records): an invalid record is skipped and counted with its
-- reason, in the answer and the sync log; it never fails the run, and a known model whose record
-- is refused keeps its row as it is (neither updated nor taken for missing upstream).
begin;
\ir _helpers.psql
select plan(9);

-- The listed keys of a jsonb object.
create function tests.pick(j jsonb, keys text[])
returns jsonb
language sql
immutable
set search_path = ''
as $$
  select coalesce(jsonb_object_agg(e.key, e.value), '{}'::jsonb)
  from jsonb_each(pick.j) as e
  where e.key = any (pick.keys);
$$;

select tests.act_as_operator();
delete from public.model_access_rules;
delete from public.model_access;

select tests.act_as_service_role();
select public.sync_openrouter_models(
  jsonb_build_array(tests.catalog_model('bad/known', 'Known'), tests.catalog_model('bad/other')),
  'cron'
);

select public.sync_openrouter_models(
  jsonb_build_array(
    tests.catalog_model('bad/other'),
    -- A price of 16,400 digits: numeric cannot hold its scale.
    jsonb_set(tests.catalog_model('bad/huge-price'), '{pricing,prompt}',
      to_jsonb('0.' || repeat('1', 16400))),
    jsonb_set(tests.catalog_model('bad/word-price'), '{pricing,completion}', '"cheap"'),
    jsonb_set(tests.catalog_model('bad/object-price'), '{pricing,image}', '{"per": "megapixel"}'),
    jsonb_set(tests.catalog_model('bad/known'), '{pricing,prompt}', '"1e999"'),
    jsonb_set(tests.catalog_model('bad/date'), '{expiration_date}', '"2025-02-30"'),
    jsonb_set(tests.catalog_model('bad/created'), '{created}', '"yesterday"'),
    jsonb_set(tests.catalog_model('bad/context'), '{context_length}', '-5'),
    jsonb_set(tests.catalog_model('bad/name'), '{name}', to_jsonb(repeat('n', 501))),
    jsonb_set(tests.catalog_model('bad/description'), '{description}', '{"a": 1}'),
    jsonb_build_object('id', 'not an id'),
    '"not an object"'::jsonb
  ),
  'cron'
) as result \gset

select tests.act_as_operator();
select is(
  tests.pick(:'result'::jsonb, array['success', 'total_processed', 'skipped_invalid', 'models_unchanged']),
  '{"success": true, "total_processed": 1, "skipped_invalid": 11, "models_unchanged": 1}'::jsonb,
  'the run completes: eleven invalid records skipped and counted, the valid one processed'
);
select is(
  :'result'::jsonb -> 'skipped_reasons',
  '{"invalid_price": 4, "invalid_expiration_date": 1, "invalid_created": 1,
    "invalid_context_length": 1, "invalid_name": 1, "invalid_description": 1, "invalid_id": 1,
    "not_an_object": 1}'::jsonb,
  'each with its reason'
);
select ok(
  :'result'::jsonb -> 'skipped_sample' @> '[{"id": "bad/huge-price", "problem": "invalid_price"}]',
  'the answer names skipped records with their reasons'
);

select is(
  (select jsonb_build_object('status', sync_status, 'skipped', skipped_invalid,
     'price', skipped_reasons -> 'invalid_price')
   from public.model_sync_log where id = (:'result'::jsonb ->> 'sync_log_id')::bigint),
  '{"status": "completed", "skipped": 11, "price": 4}'::jsonb,
  'the sync log records them per reason'
);
select is(
  (select count(*)::int from public.model_access where model_id like 'bad/%'), 2,
  'no invalid record is stored'
);
select is(
  (select status || ' ' || prompt_price::text from public.model_access where model_id = 'bad/known'),
  'new 0.000001',
  'a known model whose record is refused keeps its row: not updated, not marked inactive'
);
-- A record sync-models could not pass on (its envelope's `skipped`) is not missing upstream either.
select tests.act_as_service_role();
select public.sync_openrouter_models(
  jsonb_build_object(
    'data', jsonb_build_array(tests.catalog_model('bad/other')),
    'skipped', jsonb_build_array(jsonb_build_object('id', 'bad/known', 'problem', 'too_deeply_nested'))
  ),
  'cron'
) as held \gset
select tests.act_as_operator();
select is(
  tests.pick(:'held'::jsonb, array['success', 'models_listed', 'models_marked_inactive', 'skipped_reasons']),
  '{"success": true, "models_listed": 2, "models_marked_inactive": 0,
    "skipped_reasons": {"too_deeply_nested": 1}}'::jsonb,
  'a record refused by the caller is counted with its reason; its model is still listed'
);
select is(
  (select status || ' ' || (upstream_removed_at is null)::text
   from public.model_access where model_id = 'bad/known'),
  'new true',
  'and its row stays as it is, not marked inactive'
);

select is(
  private.parse_price('0.' || repeat('1', 16400)), null,
  'private.parse_price refuses a price numeric could not hold'
);

select * from finish();
rollback;

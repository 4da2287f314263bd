-- public.get_model_price_history: a model's price timeline in one call, newest first; an unknown
-- model is refused with P0002 (what the admin API answers as 404), a model without prices yet has
-- no rows; admins and the service role read it, users are refused, anon cannot call it.
begin;
\ir _helpers.psql
select plan(9);

select tests.act_as_operator();
delete from public.model_access where model_id like 'ph/%';
insert into public.model_access (model_id, model_name, status)
values ('ph/priced', 'Priced', 'active'), ('ph/unpriced', 'Unpriced', 'new');
insert into public.model_price_history (
  model_id, effective_from, sync_log_id, prompt_price, pricing
)
values
  ('ph/priced', '2026-01-01T00:00:00Z', 11, 0.000001, '{"prompt": "0.000001"}'),
  ('ph/priced', '2026-02-01T00:00:00Z', 12, 0.000002, '{"prompt": "0.000002"}'),
  ('ph/other', '2026-03-01T00:00:00Z', 13, 0.5, '{"prompt": "0.5"}');

select tests.create_user('price-timeline-admin@example.test', 'free', true) as admin_id \gset
select tests.create_user('price-timeline-user@example.test', 'enterprise') as user_id \gset

select ok(
  not has_function_privilege('anon', 'public.get_model_price_history(text)', 'execute'),
  'anon cannot execute get_model_price_history'
);
select tests.act_as_anon();
select throws_ok(
  $$select * from public.get_model_price_history('ph/priced')$$,
  '42501', 'permission denied for function get_model_price_history',
  'anon cannot call it'
);

select tests.act_as(:'user_id');
select throws_ok(
  $$select * from public.get_model_price_history('ph/priced')$$,
  '42501', 'permission denied: only admins and the service role can read the price history',
  'a user who is not an admin cannot read the timeline'
);

select tests.act_as(:'admin_id');
select results_eq(
  $$select effective_from, sync_log_id, prompt_price, pricing
    from public.get_model_price_history('ph/priced')$$,
  $$values
    ('2026-02-01T00:00:00Z'::timestamptz, 12::bigint, 0.000002::numeric,
     '{"prompt": "0.000002"}'::jsonb),
    ('2026-01-01T00:00:00Z'::timestamptz, 11::bigint, 0.000001::numeric,
     '{"prompt": "0.000001"}'::jsonb)$$,
  'an admin reads the model''s timeline, newest first, and only that model''s'
);
select is_empty(
  $$select * from public.get_model_price_history('ph/unpriced')$$,
  'a model without prices yet has no rows'
);
select throws_ok(
  $$select * from public.get_model_price_history('ph/none')$$,
  'P0002', 'unknown model ''ph/none''',
  'an unknown model is refused'
);
select throws_ok(
  $$select * from public.get_model_price_history('ph/other')$$,
  'P0002', 'unknown model ''ph/other''',
  'so is a model that has left the catalog, whatever history remains'
);

select tests.act_as_service_role();
select is(
  (select count(*)::int from public.get_model_price_history('ph/priced')), 2,
  'the service role reads it too'
);
select throws_ok(
  $$select * from public.get_model_price_history('ph/none')$$,
  'P0002', null,
  'and is told of an unknown model the same way'
);

select * from finish();
rollback;

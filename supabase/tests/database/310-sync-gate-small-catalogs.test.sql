-- The integrity gate needs more than ten vanishing models as well as more than the share: a new
-- project lists only its three seeded models, and one of them missing upstream must not block
-- its first sync forever.
begin;
\ir _helpers.psql
select plan(5);

\set catalog `cat ../shared/fixtures/openrouter/2025-12-02.json`

select tests.act_as_service_role();
select public.sync_openrouter_models((:'catalog')::jsonb -> 'data', 'cron') as first_sync \gset
select is(
  (:'first_sync'::jsonb ->> 'success')::boolean, true,
  'a new project''s first sync is not refused when one of its three seeded models is gone upstream'
);
select is(
  (:'first_sync'::jsonb ->> 'models_marked_inactive')::int, 1,
  'the seeded model missing upstream is marked inactive'
);

-- Twelve listed models; a catalog keeping two of them makes ten vanish (83 %): still allowed.
select tests.act_as_operator();
delete from public.model_access;
select tests.act_as_service_role();
select public.sync_openrouter_models(
  (select jsonb_agg(tests.catalog_model('gate/model-' || i)) from generate_series(1, 12) as i),
  'cron'
);
select is(
  (public.sync_openrouter_models(
    (select jsonb_agg(tests.catalog_model('gate/model-' || i)) from generate_series(1, 2) as i),
    'cron'
  ) ->> 'models_marked_inactive')::int,
  10,
  'ten vanishing models do not trip the gate, whatever their share'
);

-- Back to twelve, then a catalog keeping one: eleven vanish, over the share and over ten.
select public.sync_openrouter_models(
  (select jsonb_agg(tests.catalog_model('gate/model-' || i)) from generate_series(1, 12) as i),
  'cron'
);
select public.sync_openrouter_models(
  jsonb_build_array(tests.catalog_model('gate/model-1')), 'cron'
) as refused \gset
select is(
  :'refused'::jsonb ->> 'error', 'integrity_gate',
  'eleven vanishing models over the share are refused'
);
select is(
  (select count(*)::int from public.model_access where status = 'inactive'), 0,
  'the refused run changed nothing'
);

select * from finish();
rollback;

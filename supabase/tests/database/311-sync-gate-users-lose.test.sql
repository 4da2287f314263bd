-- The integrity gate counts what users would lose: records whose past expiration_date would take
-- every offered model off every tier are refused (catalog untouched, a failed run with the
-- numbers); a run that would offer many new models without review is held the same way; force
-- lets both through.
begin;
\ir _helpers.psql
select plan(8);

select tests.act_as_operator();
delete from public.model_access_rules;
delete from public.model_access;

-- Twenty models offered to every tier (admin-managed: active and free by hand).
select tests.act_as_service_role();
select public.sync_openrouter_models(
  (select jsonb_agg(tests.catalog_model('lose/model-' || i)) from generate_series(1, 20) as i),
  'cron'
);
select public.update_models_access(
  (select array_agg('lose/model-' || i) from generate_series(1, 20) as i),
  '{"status": "active", "is_free": true}'::jsonb
);

select public.sync_openrouter_models(
  (select jsonb_agg(jsonb_set(tests.catalog_model('lose/model-' || i), '{expiration_date}',
     '"2020-01-01"')) from generate_series(1, 20) as i),
  'cron'
) as refused \gset
select is(
  (:'refused'::jsonb ->> 'error') || ' ' || (:'refused'::jsonb #>> '{models_leaving_tiers,sunset}'),
  'integrity_gate 20',
  'records whose past expiration_date would take every model off every tier are refused'
);
select tests.act_as_operator();
select is(
  (select count(*)::int from public.model_access where status = 'active'), 20,
  'and the catalog is untouched'
);
select is(
  (select sync_status || ' ' || models_leaving_tiers from public.model_sync_log
   where id = (:'refused'::jsonb ->> 'sync_log_id')::bigint),
  'failed 20',
  'the refused run is failed, with the number of models that would leave a tier'
);

select tests.act_as_service_role();
select is(
  public.sync_openrouter_models(
    (select jsonb_agg(jsonb_set(tests.catalog_model('lose/model-' || i), '{expiration_date}',
       '"2020-01-01"')) from generate_series(1, 20) as i),
    'cron', force => true
  ) ->> 'success',
  'true',
  'force lets the run through'
);

-- A rule that offers every new model at once: twenty new ones among forty is held.
select tests.act_as_operator();
insert into public.model_access_rules (priority, name, status, is_free, is_pro, is_enterprise)
values (1, 'everything for everyone', 'active', true, true, true);
select tests.act_as_service_role();
select public.sync_openrouter_models(
  (select jsonb_agg(tests.catalog_model('lose/model-' || i)) from generate_series(1, 40) as i),
  'cron'
) as held \gset
select is(
  (:'held'::jsonb ->> 'error') || ' ' || (:'held'::jsonb ->> 'models_newly_visible'),
  'integrity_gate 20',
  'a run that would offer twenty new models without review (half the catalog) is held'
);
select is(
  public.sync_openrouter_models(
    (select jsonb_agg(tests.catalog_model('lose/model-' || i)) from generate_series(1, 40) as i),
    'cron', max_new_visible_share => 0.6
  ) ->> 'models_added',
  '20',
  'a higher max_new_visible_share lets it through'
);

-- A project's first sync is not held: its whole catalog is new.
select tests.act_as_operator();
delete from public.model_sync_log;
delete from public.model_access;
select tests.act_as_service_role();
select is(
  public.sync_openrouter_models(
    (select jsonb_agg(tests.catalog_model('first/model-' || i)) from generate_series(1, 40) as i),
    'cron'
  ) ->> 'models_added',
  '40',
  'a first sync offering every model is not held'
);

-- Nor is a catalog emptied by hand, whose log still holds completed runs.
select tests.act_as_operator();
delete from public.model_access;
select tests.act_as_service_role();
select is(
  public.sync_openrouter_models(
    (select jsonb_agg(tests.catalog_model('again/model-' || i)) from generate_series(1, 40) as i),
    'cron'
  ) ->> 'models_added',
  '40',
  'a sync into a catalog emptied by hand, offering every model, is not held'
);

select * from finish();
rollback;

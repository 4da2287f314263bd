-- The sync names its run in the setting model_access.sync_log_id, and its writes are audited in
-- short (access changes only; its inserts not at all) and bump the catalog version once. Any
-- session can set a setting, so a write that names a run outside the sync is refused: an admin
-- (or the service role) cannot pass their own insert, rename or delete off as the sync's to keep it
-- out of the trail.
begin;
\ir _helpers.psql
select plan(6);

select tests.act_as_operator();
delete from public.model_access;
delete from public.model_access_audit;
select tests.create_user('audit-marker-admin@example.test', 'free', true) as admin_id \gset
insert into public.model_access (model_id, model_name) values ('t/kept', 'Kept');
delete from public.model_access_audit;

select tests.act_as(:'admin_id');
select set_config('model_access.sync_log_id', '42', true);
select is(
  tests.refusal($$insert into public.model_access (model_id, model_name, status, is_free)
    values ('t/sneaked', 'Sneaked', 'active', true)$$) ->> 'sqlstate',
  '42501',
  'an insert that names a sync run outside the sync is refused'
);
select is(
  tests.refusal($$update public.model_access set model_name = 'Renamed'
    where model_id = 't/kept'$$) ->> 'sqlstate',
  '42501',
  'so is an update'
);
-- Admins have no delete grant; the service role does.
select tests.act_as_service_role();
select is(
  tests.refusal($$delete from public.model_access where model_id = 't/kept'$$),
  jsonb_build_object(
    'sqlstate', '42501', 'message', 'model_access.sync_log_id is reserved for the catalog sync',
    'detail', null, 'column', null
  ),
  'and a delete by the service role'
);
select set_config('model_access.sync_log_id', '', true);

select tests.act_as_operator();
select is(
  (select string_agg(model_id || ':' || coalesce(model_name, ''), ',' order by model_id)
   from public.model_access),
  't/kept:Kept',
  'the catalog is as it was'
);

-- With the setting cleared the same write is the admin's own, and audited as such.
select tests.act_as(:'admin_id');
update public.model_access set model_name = 'Renamed' where model_id = 't/kept';
select tests.act_as_operator();
select is(
  (select operation || ':' || actor_user_id::text from public.model_access_audit),
  'update:' || :'admin_id',
  'with the setting cleared, the write is audited as the admin''s'
);

-- The sync itself still writes, marked as its run.
select tests.act_as_service_role();
select is(
  public.sync_openrouter_models(jsonb_build_array(tests.catalog_model('t/synced')), 'cron')
    ->> 'models_added',
  '1',
  'the sync still adds models'
);

select * from finish();
rollback;

-- Model lifecycle: upstream expiration_date deprecates an active model until its sunset (admin-
-- and rule-managed) and its withdrawal undoes it; deprecate_models with a replacement; a model past
-- its sunset is neither listed nor callable, and its users' chosen default is kept; leaving
-- `deprecated` clears the deprecation; refusals and who may deprecate. (What a chosen default
-- resolves to: 341 to 343.)
begin;
\ir _helpers.psql
select plan(27);

create function tests.life_model(model_id text, expiration text default null)
returns jsonb
language sql
immutable
set search_path = ''
as $$
  select tests.catalog_model(life_model.model_id)
    || case when life_model.expiration is null then '{}'::jsonb
       else jsonb_build_object('expiration_date', life_model.expiration) end;
$$;

create function tests.catalog(expiring text default null, expiration text default null, without text default null)
returns jsonb
language sql
immutable
set search_path = ''
as $$
  select jsonb_agg(
    tests.life_model(i.id, case when i.id = catalog.expiring then catalog.expiration end)
    order by i.id
  )
  from unnest(array['life/a-old', 'life/b-new', 'life/c-pro', 'life/d-exp', 'liferule/m']) as i (id)
  where i.id is distinct from catalog.without;
$$;

create function tests.state(model_id text)
returns text
language sql
stable
set search_path = ''
as $$
  select m.status || ' ' || coalesce(m.deprecation_source, '-') || ' '
    || coalesce(to_char(m.sunset_at at time zone 'UTC', 'YYYY-MM-DD'), '-')
  from public.model_access as m
  where m.model_id = state.model_id;
$$;

-- Definer (the test's owner): read any profile, whoever the test acts as.
create function tests.default_of(user_id uuid)
returns text
language sql
stable
security definer
set search_path = ''
as $$
  select p.default_model from public.profiles as p where p.id = default_of.user_id;
$$;
grant execute on all functions in schema tests to anon, authenticated, service_role;

select tests.act_as_operator();
delete from public.model_access;
delete from public.model_access_rules;
insert into public.model_access_rules (priority, name, match_provider, status, is_free, is_pro, is_enterprise)
values (1, 'liferule', 'liferule', 'active', true, true, true);

select tests.act_as_service_role();
select public.sync_openrouter_models(tests.catalog(), 'cron');

select tests.act_as_operator();
update public.model_access
set status = 'active', is_free = model_id <> 'life/c-pro', is_pro = true, is_enterprise = true
where model_id like 'life/%';

select
  tests.create_user('life-admin@example.com', 'free', true) as admin_id,
  tests.create_user('life-free@example.com', 'free') as free_id
\gset
update public.profiles set default_model = 'life/a-old' where id = :'free_id';

-- Upstream announces an expiration date.
select tests.act_as_service_role();
select public.sync_openrouter_models(tests.catalog('life/d-exp', '2099-01-31'), 'cron');
select is(tests.state('life/d-exp'), 'deprecated upstream 2099-01-31', 'expiration_date deprecates an active model');
select isnt(
  (select deprecated_at from public.model_access where model_id = 'life/d-exp'), null,
  'with the time it was deprecated'
);
select is(
  (select sunset_at from public.get_user_allowed_models_v2(:'free_id') where model_id = 'life/d-exp'),
  '2099-01-31 00:00:00+00'::timestamptz,
  'still listed before its sunset, with the sunset'
);
select public.sync_openrouter_models(tests.catalog('liferule/m', '2099-02-01T12:00:00Z'), 'cron');
select is(tests.state('liferule/m'), 'deprecated upstream 2099-02-01', 'a rule-managed active model too (ISO timestamp: its day)');
select is(tests.state('life/d-exp'), 'active - -', 'upstream withdrawing the date makes the model active again');
select is(
  (select access_managed_by from public.model_access where model_id = 'liferule/m'), 'rules',
  'and it stays rule-managed'
);
select public.sync_openrouter_models(tests.catalog('life/d-exp', '2025-02-30'), 'cron') as bad_date \gset
select is((:'bad_date'::jsonb ->> 'success')::boolean, true, 'an impossible date fails nothing');
select is(tests.state('life/d-exp'), 'active - -', 'and is ignored');
select public.sync_openrouter_models(tests.catalog(), 'cron');

-- Deprecated models gone upstream are inactive and come back deprecated.
select public.sync_openrouter_models(tests.catalog('liferule/m', '2099-02-01', 'liferule/m'), 'cron');
select public.sync_openrouter_models(tests.catalog('life/d-exp', '2099-01-31'), 'cron');
select public.sync_openrouter_models(tests.catalog('life/d-exp', '2099-01-31', 'life/d-exp'), 'cron');
select is(
  (select status || '/' || status_before_inactive from public.model_access where model_id = 'life/d-exp'),
  'inactive/deprecated',
  'a deprecated model gone upstream is inactive, remembering deprecated'
);
select public.sync_openrouter_models(tests.catalog('life/d-exp', '2099-01-31'), 'cron');
select is(tests.state('life/d-exp'), 'deprecated upstream 2099-01-31', 'and comes back deprecated');

-- An admin deprecates life/a-old in favour of life/b-new, sunset later.
select tests.act_as(:'admin_id');
select results_eq(
  $$select model_id, status::text, sunset_at > now()
    from public.deprecate_models(array['life/a-old'], 'life/b-new', now() + interval '30 days')$$,
  $$values ('life/a-old', 'deprecated', true)$$,
  'deprecate_models answers with the deprecated catalog rows'
);
select is(
  (select status || ' ' || deprecation_source || ' ' || replacement_model_id || ' ' || access_managed_by
   from public.model_access where model_id = 'life/a-old'),
  'deprecated admin life/b-new admin',
  'deprecated by an admin, with its replacement; admin-managed'
);
select tests.act_as(:'free_id');
select is(
  (select replacement_model_id from public.get_user_allowed_models_v2() where model_id = 'life/a-old'),
  'life/b-new',
  'the user''s list shows the replacement'
);
select is(
  (select count(*)::int from public.model_access where model_id = 'life/a-old'), 1,
  'users can read a deprecated model'
);

-- The sunset is brought forward to the past: unavailable, and the user's choice is kept.
select tests.act_as(:'admin_id');
select public.deprecate_models(array['life/a-old'], 'life/b-new', now() - interval '1 minute');
select is(
  (select count(*)::int from private.tier_models where model_id = 'life/a-old'), 0,
  'a model past its sunset is in no tier'
);
select tests.act_as(:'free_id');
select is(public.can_use_model('life/a-old'), false, 'and cannot be called');
select is(
  (select count(*)::int from public.get_user_allowed_models_v2() where model_id = 'life/a-old'), 0,
  'nor is it listed'
);
select is(tests.default_of(:'free_id'), 'life/a-old', 'the user''s chosen default is kept');

-- Leaving deprecated clears the deprecation.
select tests.act_as(:'admin_id');
select public.update_models_access(array['life/a-old'], '{"status": "active"}');
select is(tests.state('life/a-old'), 'active - -', 'setting active undoes a deprecation');
select is(
  (select replacement_model_id from public.model_access where model_id = 'life/a-old'), null,
  'and clears the replacement'
);

-- Refusals.
select public.update_models_access(array['life/c-pro'], '{"status": "disabled"}');
select throws_ok(
  $$select public.deprecate_models(array['nobody/none'])$$,
  'P0002', 'unknown model ids: nobody/none', 'unknown models'
);
select throws_ok(
  $$select public.deprecate_models(array['life/a-old'], 'life/a-old')$$,
  '22023', 'a model cannot be its own replacement', 'a model is not its own replacement'
);
select throws_ok(
  $$select public.deprecate_models(array['life/a-old'], 'nobody/none')$$,
  '22023', 'unknown replacement model: nobody/none', 'an unknown replacement'
);
select throws_ok(
  $$select public.deprecate_models(array['life/c-pro'])$$,
  '55000', 'only active or deprecated models can be deprecated: life/c-pro',
  'only active or deprecated models can be deprecated'
);
select tests.act_as(:'free_id');
select throws_ok(
  $$select public.deprecate_models(array['life/a-old'])$$,
  '42501',
  'permission denied: only admins and the service role can deprecate models',
  'users cannot deprecate'
);
select is_empty(
  $$update public.model_access set sunset_at = now() where model_id = 'life/a-old' returning 1$$,
  'users cannot change a sunset'
);
select tests.act_as_anon();
select throws_ok(
  $$select public.deprecate_models(array['life/a-old'])$$,
  '42501',
  null,
  'anon cannot deprecate'
);

select * from finish();
rollback;

-- Model lifecycle (issue 6 part 3): upstream expiration_date deprecates an active model until its
-- sunset (admin- and rule-managed) and its withdrawal undoes it; deprecate_models with a
-- replacement; a model past its sunset is neither listed nor callable; users whose default model
-- becomes unavailable (sunset, disabled, no longer flagged for their tier, gone upstream, tier
-- downgrade) are moved to the replacement or their tier's default, with an activity entry; leaving
-- `deprecated` clears the deprecation; refusals and who may deprecate.
begin;
\ir _helpers.psql
select plan(41);

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

-- Definer (the test's owner): read any profile and list for any user, whoever the test acts as.
create function tests.default_of(user_id uuid)
returns text
language sql
stable
security definer
set search_path = ''
as $$
  select p.default_model from public.profiles as p where p.id = default_of.user_id;
$$;

create function tests.first_listed(user_id uuid)
returns text
language sql
stable
security definer
set search_path = ''
as $$
  select l.model_id from public.get_user_allowed_models_v2(first_listed.user_id) as l limit 1;
$$;

create function tests.last_move(user_id uuid)
returns jsonb
language sql
stable
security definer
set search_path = ''
as $$
  select a.details from public.user_activity as a
  where a.user_id = last_move.user_id and a.activity_type = 'default_model_replaced'
  order by a.id desc limit 1;
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
  tests.create_user('life-free@example.com', 'free') as free_id,
  tests.create_user('life-pro@example.com', 'pro') as pro_id,
  tests.create_user('life-ent@example.com', 'enterprise') as ent_id
\gset
update public.profiles set default_model = 'life/a-old' where id in (:'free_id', :'ent_id');
update public.profiles set default_model = 'life/c-pro' where id = :'pro_id';

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

-- An admin deprecates life/a-old in favour of life/b-new, sunset later: nobody moves yet.
select tests.act_as(:'admin_id');
select public.deprecate_models(array['life/a-old'], 'life/b-new', now() + interval '30 days') as dep \gset
select is((:'dep'::jsonb ->> 'success')::boolean, true, 'deprecate_models succeeds');
select is(
  (select status || ' ' || deprecation_source || ' ' || replacement_model_id || ' ' || access_managed_by
   from public.model_access where model_id = 'life/a-old'),
  'deprecated admin life/b-new admin',
  'deprecated by an admin, with its replacement; admin-managed'
);
select is(tests.default_of(:'free_id'), 'life/a-old', 'before the sunset, defaults stay');
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

-- The sunset is brought forward to the past: unavailable, and defaults move to the replacement.
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
select tests.act_as_operator();
select is(tests.default_of(:'free_id'), 'life/b-new', 'a free user''s default moves to the replacement');
select is(tests.default_of(:'ent_id'), 'life/b-new', 'an enterprise user''s too');
select is(
  tests.last_move(:'free_id'),
  '{"from": "life/a-old", "to": "life/b-new", "via": "replacement", "reason": "sunset"}'::jsonb,
  'the move is in the user''s activity log'
);
select tests.act_as(:'free_id');
select is(
  (select count(*)::int from public.user_activity where activity_type = 'default_model_replaced'), 1,
  'which the user can read'
);

-- The replacement is not available to the tier: the tier's default.
select tests.act_as_operator();
update public.profiles set default_model = 'life/b-new' where id = :'pro_id';
select tests.act_as(:'admin_id');
select public.update_models_access(array['life/b-new'], '{"is_free": false, "is_pro": false}');
select is(
  tests.default_of(:'free_id'),
  tests.first_listed(:'free_id'),
  'a model leaving the free tier moves free users to the tier''s default'
);
select is(
  tests.last_move(:'free_id') ->> 'reason',
  'not_in_tier',
  'logged as no longer in the tier'
);
select is(tests.default_of(:'ent_id'), 'life/b-new', 'enterprise users keep it');
select is(
  tests.default_of(:'pro_id'),
  tests.first_listed(:'pro_id'),
  'pro users move too'
);

-- Disabled: users move to their tier's default.
select tests.act_as_operator();
update public.profiles set default_model = 'life/c-pro' where id = :'pro_id';
select tests.act_as(:'admin_id');
select public.update_models_access(array['life/c-pro'], '{"status": "disabled"}');
select isnt(tests.default_of(:'pro_id'), 'life/c-pro', 'a disabled model''s users are moved');
select is(
  (tests.last_move(:'pro_id') ->> 'reason') || '/' || (tests.last_move(:'pro_id') ->> 'via'),
  'disabled/tier_default',
  'to their tier''s default'
);

-- Gone upstream (inactive): moved.
select tests.act_as_operator();
update public.profiles set default_model = 'life/d-exp' where id = :'ent_id';
select tests.act_as_service_role();
select public.sync_openrouter_models(tests.catalog('life/d-exp', '2099-01-31', 'life/d-exp'), 'cron');
select isnt(tests.default_of(:'ent_id'), 'life/d-exp', 'a model gone upstream: its users are moved');
select is(
  tests.last_move(:'ent_id') ->> 'reason',
  'inactive',
  'logged as inactive'
);

-- A tier downgrade: the enterprise-only default goes.
select tests.act_as_operator();
update public.profiles set default_model = 'life/b-new' where id = :'ent_id';
update public.profiles set subscription_tier = 'free' where id = :'ent_id';
select is(
  tests.default_of(:'ent_id'),
  tests.first_listed(:'ent_id'),
  'a downgraded user gets the new tier''s default'
);

-- Leaving deprecated clears the deprecation.
select tests.act_as(:'admin_id');
select public.update_models_access(array['life/a-old'], '{"status": "active"}');
select is(tests.state('life/a-old'), 'active - -', 'setting active undoes a deprecation');
select is(
  (select replacement_model_id from public.model_access where model_id = 'life/a-old'), null,
  'and clears the replacement'
);

-- Refusals.
select is(
  public.deprecate_models(array['nobody/none']) ->> 'error', 'unknown_models', 'unknown models'
);
select is(
  public.deprecate_models(array['life/a-old'], 'life/a-old') ->> 'error', 'invalid_replacement',
  'a model is not its own replacement'
);
select is(
  public.deprecate_models(array['life/a-old'], 'nobody/none') ->> 'error', 'invalid_replacement',
  'an unknown replacement'
);
select is(
  public.deprecate_models(array['life/c-pro']) ->> 'error', 'invalid_status',
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

-- The sync's own planner settings (no nested loops, no merge joins) would otherwise hold for the
-- re-pointing it triggers, which then scans and sorts the whole catalog.
select tests.act_as_operator();
select ok(
  (select p.proconfig @> array['enable_nestloop=on', 'enable_mergejoin=on']
   from pg_proc as p where p.oid = 'private.repoint_default_models(uuid[])'::regprocedure),
  're-pointing defaults plans with nested loops and merge joins, even inside a sync'
);

select * from finish();
rollback;

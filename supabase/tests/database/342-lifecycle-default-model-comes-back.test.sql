-- A user's chosen default model is never rewritten: while it is unavailable (gone upstream for a
-- sync, disabled, out of a downgraded tier) they resolve to its replacement or their tier's
-- default, and when it comes back they have their choice again.
begin;
\ir _helpers.psql
select plan(12);

create function tests.catalog(without text default null)
returns jsonb
language sql
immutable
set search_path = ''
as $$
  select jsonb_agg(tests.catalog_model(i.id, i.name) order by i.id)
  from (values
    ('back/a-first', 'A first'), ('back/b-mine', 'B mine'), ('back/c-next', 'C next'),
    ('back/d-pro', 'D pro'), ('back/e-more', 'E more'), ('back/f-more', 'F more')
  ) as i (id, name)
  where i.id is distinct from catalog.without;
$$;

create function tests.my_default()
returns text
language sql
volatile
set search_path = ''
as $$
  select d.resolved || ' (' || d.reason || ')' from public.get_my_default_model() as d;
$$;

-- Definer (the test's owner): the stored profile, whoever the test acts as.
create function tests.profile_of(user_id uuid)
returns text
language sql
stable
security definer
set search_path = ''
as $$
  select p.default_model || ' ' || p.updated_at::text
  from public.profiles as p
  where p.id = profile_of.user_id;
$$;
grant execute on all functions in schema tests to anon, authenticated, service_role;

select tests.act_as_operator();
delete from public.model_access;
delete from public.model_access_rules;
select tests.act_as_service_role();
select public.sync_openrouter_models(tests.catalog(), 'cron') ->> 'success' as first_sync \gset
select tests.act_as_operator();
update public.model_access
set status = 'active', is_free = model_id <> 'back/d-pro', is_pro = true, is_enterprise = true;

select
  tests.create_user('back-admin@example.com', 'free', true) as admin_id,
  tests.create_user('back-user@example.com', 'free') as user_id,
  tests.create_user('back-pro@example.com', 'pro') as pro_id
\gset
select tests.act_as(:'user_id');
select public.update_user_preferences(:'user_id', 'model', '{"default_model": "back/b-mine"}')
  ->> 'success' as chose_mine \gset
select tests.act_as(:'pro_id');
select public.update_user_preferences(:'pro_id', 'model', '{"default_model": "back/d-pro"}')
  ->> 'success' as chose_pro \gset
select tests.act_as_operator();
select tests.profile_of(:'user_id') as user_profile, tests.profile_of(:'pro_id') as pro_profile
\gset

select tests.act_as(:'user_id');
select is(tests.my_default(), 'back/b-mine (chosen)', 'the user''s choice');

-- Gone upstream for one sync, back in the next.
select tests.act_as_service_role();
select public.sync_openrouter_models(tests.catalog('back/b-mine'), 'cron') ->> 'success' as gone \gset
select tests.act_as(:'user_id');
select is(tests.my_default(), 'back/a-first (tier_default)', 'gone upstream: the tier''s default');
select tests.act_as_service_role();
select public.sync_openrouter_models(tests.catalog(), 'cron') ->> 'success' as back \gset
select tests.act_as(:'user_id');
select is(tests.my_default(), 'back/b-mine (chosen)', 'back upstream: the choice again');

-- Deprecated with a replacement, then gone upstream and back before its sunset.
select tests.act_as(:'admin_id');
select count(*) as deprecated
from public.deprecate_models(array['back/b-mine'], 'back/c-next', now() + interval '30 days')
\gset
select tests.act_as_service_role();
select public.sync_openrouter_models(tests.catalog('back/b-mine'), 'cron') ->> 'success' as gone \gset
select tests.act_as(:'user_id');
select is(tests.my_default(), 'back/c-next (replacement)', 'gone upstream: its replacement');
select tests.act_as_service_role();
select public.sync_openrouter_models(tests.catalog(), 'cron') ->> 'success' as back \gset
select tests.act_as(:'user_id');
select is(
  tests.my_default(), 'back/b-mine (chosen)', 'back, deprecated before its sunset: the choice'
);

-- Disabled by an admin, then active again.
select tests.act_as(:'admin_id');
select count(*) as disabled
from public.update_models_access(array['back/b-mine'], '{"status": "disabled"}') \gset
select tests.act_as(:'user_id');
select is(tests.my_default(), 'back/a-first (tier_default)', 'disabled: the tier''s default');
select tests.act_as(:'admin_id');
select count(*) as enabled
from public.update_models_access(array['back/b-mine'], '{"status": "active"}') \gset
select tests.act_as(:'user_id');
select is(tests.my_default(), 'back/b-mine (chosen)', 'active again: the choice');

-- A tier downgrade, then the tier back.
select tests.act_as_service_role();
update public.profiles set subscription_tier = 'free' where id = :'pro_id';
select tests.act_as(:'pro_id');
select is(tests.my_default(), 'back/a-first (tier_default)', 'downgraded: the new tier''s default');
select tests.act_as_service_role();
update public.profiles set subscription_tier = 'pro' where id = :'pro_id';
select tests.act_as(:'pro_id');
select is(tests.my_default(), 'back/d-pro (chosen)', 'the tier back: the choice');

-- Nothing rewrote the choice.
select tests.act_as_operator();
select is(tests.profile_of(:'user_id'), :'user_profile', 'the user''s profile was never written');
select is(
  (select default_model from public.profiles where id = :'pro_id'), 'back/d-pro',
  'the downgraded user''s choice was never rewritten'
);
select is(
  (select count(*)::int from public.user_activity
   where user_id in (:'user_id', :'pro_id') and activity_type <> 'preferences_updated'),
  0,
  'and no activity was logged for them but their own choice'
);

select * from finish();
rollback;

-- What a user's chosen default model resolves to (public.get_my_default_model): the choice while
-- their tier may use it; else its replacement when the tier may use that, also when the chosen
-- model is hidden from users (gone upstream); else the tier's first listed model; else none.
-- Each user sees only their own; a user without a profile gets the free tier's default; anon and
-- the service role may not call it.
begin;
\ir _helpers.psql
select plan(17);

-- Definer (the test's owner): the first model of a user's list, whoever the test acts as.
create function tests.first_listed(user_id uuid)
returns text
language sql
stable
security definer
set search_path = ''
as $$
  select l.model_id from public.get_user_allowed_models_v2(first_listed.user_id) as l limit 1;
$$;

create function tests.my_default()
returns text
language sql
volatile
set search_path = ''
as $$
  select d.chosen || ' -> ' || coalesce(d.resolved, '-') || ' (' || d.reason || ')'
  from public.get_my_default_model() as d;
$$;
grant execute on all functions in schema tests to anon, authenticated, service_role;

select tests.act_as_operator();
delete from public.model_access;
-- Names order the lists: the free tier's default is res/b-first (by name), not res/a-chosen.
insert into public.model_access (model_id, model_name, status, is_free, is_pro, is_enterprise)
values
  ('res/a-chosen', 'M chosen', 'active', true, true, true),
  ('res/b-first', 'A first', 'active', true, true, true),
  ('res/c-old', 'O old', 'active', true, true, true),
  ('res/d-pro', 'P pro', 'active', false, true, true),
  ('res/e-gone', 'G gone', 'active', true, true, true);

select
  tests.create_user('res-free@example.com', 'free') as free_id,
  tests.create_user('res-pro@example.com', 'pro') as pro_id,
  tests.create_user('res-free-old@example.com', 'free') as free_old_id,
  tests.create_user('res-other@example.com', 'free') as other_id
\gset
update public.profiles set default_model = 'res/a-chosen' where id = :'free_id';
update public.profiles set default_model = 'res/c-old' where id in (:'pro_id', :'free_old_id');
update public.profiles set default_model = 'res/e-gone' where id = :'other_id';

-- Each reason.
select tests.act_as(:'free_id');
select is(tests.my_default(), 'res/a-chosen -> res/a-chosen (chosen)', 'an available choice is used');
select is(
  (select count(*)::int from public.get_my_default_model()), 1, 'one row'
);

select tests.act_as_operator();
update public.model_access
set status = 'deprecated', sunset_at = now() - interval '1 minute', replacement_model_id = 'res/a-chosen'
where model_id = 'res/c-old';
select tests.act_as(:'pro_id');
select is(
  tests.my_default(), 'res/c-old -> res/a-chosen (replacement)',
  'past its sunset, the replacement'
);

select tests.act_as_operator();
update public.model_access set replacement_model_id = 'res/d-pro' where model_id = 'res/c-old';
select tests.act_as(:'pro_id');
select is(
  tests.my_default(), 'res/c-old -> res/d-pro (replacement)', 'a replacement the tier may use'
);
select tests.act_as(:'free_old_id');
select is(
  tests.my_default(), 'res/c-old -> res/b-first (tier_default)',
  'a replacement the tier may not use: the tier''s default'
);
select is(
  (select resolved from public.get_my_default_model()), tests.first_listed(:'free_old_id'),
  'which is the first model of the user''s list'
);

-- A deprecated model gone upstream is hidden from users, its replacement still counts.
select tests.act_as_operator();
update public.model_access
set status = 'inactive', status_before_inactive = 'deprecated', upstream_removed_at = now()
where model_id = 'res/c-old';
select tests.act_as(:'pro_id');
select is(
  (select count(*)::int from public.model_access where model_id = 'res/c-old'), 0,
  'users cannot read a model gone upstream'
);
select is(
  tests.my_default(), 'res/c-old -> res/d-pro (replacement)',
  'yet its replacement is what they resolve to'
);

select tests.act_as_operator();
update public.model_access set status = 'disabled' where model_id = 'res/e-gone';
select tests.act_as(:'other_id');
select is(
  tests.my_default(), 'res/e-gone -> res/b-first (tier_default)',
  'disabled without a replacement: the tier''s default'
);

select tests.act_as_operator();
update public.model_access set is_free = false;
select tests.act_as(:'other_id');
select is(tests.my_default(), 'res/e-gone -> - (none)', 'a tier without models: none');

-- Roles.
select tests.act_as_operator();
update public.model_access set is_free = true where model_id <> 'res/d-pro';
update public.model_access set status = 'active' where model_id = 'res/e-gone';
select tests.act_as(:'free_id');
select is(tests.my_default(), 'res/a-chosen -> res/a-chosen (chosen)', 'a user sees their own');
select tests.act_as(:'free_old_id');
select is(
  tests.my_default(), 'res/c-old -> res/b-first (tier_default)', 'so does each user'
);
select tests.act_as(:'other_id');
select is(
  tests.my_default(), 'res/e-gone -> res/e-gone (chosen)', 'and another user theirs'
);
select tests.act_as_operator();
delete from public.profiles where id = :'other_id';
select tests.act_as(:'other_id');
select is(
  (select coalesce(chosen, '-') || ' -> ' || resolved || ' (' || reason || ')'
   from public.get_my_default_model()),
  '- -> res/b-first (tier_default)',
  'a user without a profile: the free tier''s default'
);
select tests.act_as_anon();
select throws_ok(
  'select * from public.get_my_default_model()', '42501',
  'permission denied for function get_my_default_model', 'anon cannot ask'
);
select throws_ok(
  'select * from private.resolve_default_model(''res/a-chosen'', ''free'')', '42501', null,
  'nor resolve a choice directly'
);
select tests.act_as_service_role();
select throws_ok(
  'select * from public.get_my_default_model()', '42501',
  'permission denied for function get_my_default_model', 'the service role has no default model'
);

select * from finish();
rollback;

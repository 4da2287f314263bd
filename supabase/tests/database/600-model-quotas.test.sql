-- Listed ⇔ callable, with quotas: privileges and RLS of public.model_usage and the quota functions
-- for anon, users, admins and the service role; consume_model_quota exactly at the daily and the
-- monthly limit (denied calls count nothing, reset times are the next UTC midnight and the first
-- of the next month); models a user may not call; and, over a synced catalog with every kind of
-- access setting, for every tier and every model: listed by get_user_allowed_models_v2 ⇔
-- can_use_model ⇔ consume_model_quota does not answer not_allowed.
-- (The exactness of concurrent consumption needs several sessions: tests/quotas.test.ts.)
begin;
\ir _helpers.psql
select plan(75);

-- A realistic catalog with every access setting the rule distinguishes ----------------------------
\set catalog `cat ../shared/fixtures/openrouter/2025-12-02.json`
select tests.act_as_operator();
select public.sync_openrouter_models((:'catalog')::jsonb -> 'data', 'manual', true) is not null
  as synced \gset

create temporary table access_pattern on commit drop as
select m.model_id, (row_number() over (order by m.model_id) - 1) % 8 as kind
from public.model_access as m
where m.upstream_removed_at is null;

update public.model_access as m
set
  status = case p.kind
    when 4 then 'disabled' when 5 then 'new' when 7 then 'inactive' else 'active'
  end,
  status_before_inactive = case when p.kind = 7 then 'active' end,
  upstream_removed_at = case when p.kind = 7 then now() end,
  is_free = p.kind in (0, 4, 5, 7),
  is_pro = p.kind in (1, 3, 4, 5, 7),
  is_enterprise = p.kind in (2, 3, 4, 5, 7),
  daily_limit = null,
  monthly_limit = null
from access_pattern as p
where p.model_id = m.model_id;

-- Named models: the nth model of a kind.
create temporary table named_models on commit drop as
select
  (select model_id from access_pattern where kind = 0 order by 1 offset 0 limit 1) as daily,
  (select model_id from access_pattern where kind = 0 order by 1 offset 1 limit 1) as monthly,
  (select model_id from access_pattern where kind = 0 order by 1 offset 2 limit 1) as carried,
  (select model_id from access_pattern where kind = 0 order by 1 offset 3 limit 1) as unlimited,
  (select model_id from access_pattern where kind = 1 order by model_id limit 1) as pro_only,
  (select model_id from access_pattern where kind = 2 order by model_id limit 1) as enterprise_only,
  (select model_id from access_pattern where kind = 4 order by model_id limit 1) as disabled,
  (select model_id from access_pattern where kind = 5 order by model_id limit 1) as new,
  (select model_id from access_pattern where kind = 6 order by model_id limit 1) as unflagged,
  (select model_id from access_pattern where kind = 7 order by model_id limit 1) as inactive;
grant select on named_models to authenticated, service_role;
select * from named_models \gset m_

update public.model_access set daily_limit = 3 where model_id = :'m_daily';
update public.model_access set daily_limit = 10, monthly_limit = 2 where model_id = :'m_monthly';
update public.model_access set monthly_limit = 5 where model_id = :'m_carried';

-- When the current periods reset, computed here independently of private.quota_periods().
select
  ((now() at time zone 'utc')::date + 1)::text || 'T00:00:00Z' as next_midnight,
  (date_trunc('month', (now() at time zone 'utc')::date) + interval '1 month')::date::text
    || 'T00:00:00Z' as next_month,
  (now() at time zone 'utc')::date as today,
  date_trunc('month', (now() at time zone 'utc')::date)::date as this_month
\gset

select tests.create_user('quota-free@example.test', 'free') as free_id \gset
select tests.create_user('quota-free-2@example.test', 'free') as other_id \gset
select tests.create_user('quota-pro@example.test', 'pro') as pro_id \gset
select tests.create_user('quota-enterprise@example.test', 'enterprise') as enterprise_id \gset
select tests.create_user('quota-admin@example.test', 'free', true) as admin_id \gset

-- Privileges and structure ------------------------------------------------------------------------
select ok(
  (select relrowsecurity from pg_class where oid = 'public.model_usage'::regclass),
  'model_usage has row level security enabled'
);
select ok(
  not has_table_privilege('anon', 'public.model_usage', 'select'),
  'anon cannot read model_usage'
);
select ok(
  has_table_privilege('authenticated', 'public.model_usage', 'select'),
  'authenticated may read model_usage (its own rows, by RLS)'
);
select ok(
  not has_table_privilege('authenticated', 'public.model_usage', 'insert')
  and not has_table_privilege('authenticated', 'public.model_usage', 'update')
  and not has_table_privilege('authenticated', 'public.model_usage', 'delete'),
  'authenticated cannot write model_usage'
);
select ok(
  has_table_privilege('service_role', 'public.model_usage', 'select, insert, update, delete'),
  'service_role may read and write model_usage'
);
select ok(
  not has_function_privilege('anon', 'public.can_use_model(text, uuid)', 'execute')
  and not has_function_privilege('anon', 'public.consume_model_quota(text, uuid)', 'execute')
  and not has_function_privilege('anon', 'private.consume_model_quota(uuid, text)', 'execute'),
  'anon cannot execute can_use_model or consume_model_quota'
);
select ok(
  has_function_privilege('authenticated', 'public.can_use_model(text, uuid)', 'execute')
  and has_function_privilege('authenticated', 'public.consume_model_quota(text, uuid)', 'execute'),
  'authenticated may execute can_use_model and consume_model_quota'
);
select ok(
  has_function_privilege('service_role', 'public.can_use_model(text, uuid)', 'execute')
  and has_function_privilege('service_role', 'public.consume_model_quota(text, uuid)', 'execute'),
  'service_role may execute can_use_model and consume_model_quota'
);
select is(
  (select array_agg(p.oid::regprocedure::text order by p.oid::regprocedure::text)
   from pg_proc as p
   where p.oid in (
     'public.can_use_model(text, uuid)'::regprocedure,
     'public.consume_model_quota(text, uuid)'::regprocedure,
     'public.get_user_allowed_models_v2(uuid)'::regprocedure
   ) and not p.prosecdef and p.proconfig = array['search_path=""']),
  array[
    'can_use_model(text,uuid)', 'consume_model_quota(text,uuid)', 'get_user_allowed_models_v2(uuid)'
  ],
  'the public functions are security invoker with an empty search_path'
);
select ok(
  (select prosecdef and proconfig = array['search_path=""'] from pg_proc
   where oid = 'private.consume_model_quota(uuid, text)'::regprocedure),
  'the counting function is a security definer with an empty search_path, in private'
);
select ok(
  (select reloptions @> array['security_invoker=true'] from pg_class
   where oid = 'private.tier_models'::regclass),
  'the rule (private.tier_models) is a security invoker view'
);

-- anon --------------------------------------------------------------------------------------------
select tests.act_as_anon();
select throws_ok(
  format('select public.consume_model_quota(%L)', :'m_daily'), '42501',
  'permission denied for function consume_model_quota',
  'anon cannot consume'
);
select throws_ok(
  format('select public.can_use_model(%L)', :'m_daily'), '42501',
  'permission denied for function can_use_model',
  'anon cannot ask can_use_model'
);
select throws_ok(
  'select count(*) from public.model_usage', '42501', 'permission denied for table model_usage',
  'anon cannot read usage'
);

-- Consuming exactly up to the daily limit (3) -----------------------------------------------------
select tests.act_as(:'free_id');
select is(
  (select array_agg((public.consume_model_quota(:'m_daily') ->> 'allowed')::boolean)
   from generate_series(1, 3)),
  array[true, true, true],
  'daily limit 3: the first three calls are allowed'
);
select is(
  public.consume_model_quota(:'m_daily'),
  jsonb_build_object(
    'allowed', false,
    'reason', 'daily_limit_reached',
    'model_id', :'m_daily',
    'daily', jsonb_build_object(
      'limit', 3, 'used', 3, 'remaining', 0, 'resets_at', :'next_midnight'
    ),
    'monthly', jsonb_build_object(
      'limit', null, 'used', 3, 'remaining', null, 'resets_at', :'next_month'
    )
  ),
  'the fourth is denied: used 3, remaining 0, resets at the next UTC midnight'
);
select is(
  public.consume_model_quota(:'m_daily') ->> 'allowed', 'false',
  'and so is the fifth'
);
select is(
  (select array_agg(u.period || '=' || u.request_count order by u.period)
   from public.model_usage as u where u.model_id = :'m_daily'),
  array['day=3', 'month=3'],
  'denied calls counted nothing: both counters stay at 3'
);
select ok(
  public.can_use_model(:'m_daily'),
  'an exhausted quota does not change can_use_model (the model stays listed)'
);
select ok(
  :'m_daily' in (select model_id from public.get_user_allowed_models_v2()),
  'and the model stays in the list'
);

-- The monthly limit (2), independent of the daily limit (10) --------------------------------------
select is(
  public.consume_model_quota(:'m_monthly') -> 'monthly',
  jsonb_build_object('limit', 2, 'used', 1, 'remaining', 1, 'resets_at', :'next_month'),
  'monthly limit 2: the first call leaves one'
);
select is(
  public.consume_model_quota(:'m_monthly') -> 'daily',
  jsonb_build_object('limit', 10, 'used', 2, 'remaining', 8, 'resets_at', :'next_midnight'),
  'the second is allowed, with 8 left today'
);
select is(
  public.consume_model_quota(:'m_monthly') - 'model_id',
  jsonb_build_object(
    'allowed', false,
    'reason', 'monthly_limit_reached',
    'daily', jsonb_build_object(
      'limit', 10, 'used', 2, 'remaining', 8, 'resets_at', :'next_midnight'
    ),
    'monthly', jsonb_build_object(
      'limit', 2, 'used', 2, 'remaining', 0, 'resets_at', :'next_month'
    )
  ),
  'the third is denied by the month although the day has room; it resets on the first of the '
    || 'next month'
);

-- Usage from earlier days of the month counts against the month, not against today ----------------
select tests.act_as_operator();
insert into public.model_usage (user_id, period, period_start, model_id, request_count)
values
  (:'free_id', 'month', :'this_month', :'m_carried', 4),
  (:'free_id', 'day', (:'today'::date - 1), :'m_daily', 3);
select tests.act_as(:'free_id');
select is(
  public.consume_model_quota(:'m_carried') -> 'monthly' ->> 'used', '5',
  'monthly limit 5 with 4 used on earlier days: one more is allowed'
);
select is(
  public.consume_model_quota(:'m_carried') ->> 'reason', 'monthly_limit_reached',
  'then the month is full'
);
select is(
  (select u.request_count from public.model_usage as u
   where u.model_id = :'m_carried' and u.period = 'day' and u.period_start = :'today'),
  1,
  'today counts only today''s allowed request'
);
select tests.act_as_operator();
update public.model_access set daily_limit = 3 where model_id = :'m_carried';
select tests.act_as(:'other_id');
select is(
  public.consume_model_quota(:'m_daily') -> 'daily' ->> 'used', '1',
  'another user has a quota of their own'
);

-- Unlimited models are counted but never denied ---------------------------------------------------
select tests.act_as(:'free_id');
select is(
  public.consume_model_quota(:'m_unlimited'),
  jsonb_build_object(
    'allowed', true,
    'reason', null,
    'model_id', :'m_unlimited',
    'daily', jsonb_build_object(
      'limit', null, 'used', 1, 'remaining', null, 'resets_at', :'next_midnight'
    ),
    'monthly', jsonb_build_object(
      'limit', null, 'used', 1, 'remaining', null, 'resets_at', :'next_month'
    )
  ),
  'a model without limits is allowed, and its use is counted'
);

-- Models the caller may not call ------------------------------------------------------------------
select is(
  public.consume_model_quota('no-such/model'),
  jsonb_build_object(
    'allowed', false, 'reason', 'not_allowed', 'model_id', 'no-such/model',
    'daily', null, 'monthly', null
  ),
  'an unknown model is not_allowed'
);
select is(
  public.consume_model_quota(:'m_pro_only') ->> 'reason', 'not_allowed',
  'a pro model is not_allowed for a free user'
);
select is(
  public.consume_model_quota(:'m_enterprise_only') ->> 'reason', 'not_allowed',
  'an enterprise model is not_allowed for a free user'
);
select is(
  public.consume_model_quota(:'m_unflagged') ->> 'reason', 'not_allowed',
  'a model flagged for no tier is not_allowed'
);
select is(
  (select count(*)::int from public.model_usage as u
   where u.model_id in ('no-such/model', :'m_pro_only', :'m_enterprise_only', :'m_unflagged')),
  0,
  'refused models count nothing'
);
select ok(not public.can_use_model('no-such/model'), 'can_use_model: unknown model, false');
select ok(not public.can_use_model(:'m_pro_only'), 'can_use_model: pro model for free, false');

select tests.act_as(:'pro_id');
select ok(public.can_use_model(:'m_pro_only'), 'can_use_model: pro model for pro, true');
select is(
  public.consume_model_quota(:'m_pro_only') ->> 'allowed', 'true',
  'a pro user may consume the pro model'
);
select is(
  public.consume_model_quota(:'m_enterprise_only') ->> 'reason', 'not_allowed',
  'an enterprise model is not_allowed for a pro user'
);

select tests.act_as(:'enterprise_id');
select ok(
  public.can_use_model(:'m_enterprise_only') and public.can_use_model(:'m_pro_only')
  and public.can_use_model(:'m_daily'),
  'enterprise may use enterprise, pro and free models'
);
select is(
  (select array_agg(public.consume_model_quota(x) ->> 'reason' order by x)
   from unnest(array[:'m_new', :'m_disabled', :'m_inactive']) as x),
  array['not_allowed', 'not_allowed', 'not_allowed'],
  'new, disabled and inactive models are not_allowed even with every tier flag'
);
select ok(
  not public.can_use_model(:'m_new') and not public.can_use_model(:'m_disabled')
  and not public.can_use_model(:'m_inactive'),
  'can_use_model is false for new, disabled and inactive models'
);

-- Whose quota: users only their own; the service role anyone --------------------------------------
select tests.act_as(:'free_id');
select throws_ok(
  format('select public.consume_model_quota(%L, %L)', :'m_unlimited', :'other_id'), '42501',
  'permission denied: users can only consume their own quota',
  'a user cannot consume another user''s quota'
);
select throws_ok(
  format('select private.consume_model_quota(%L, %L)', :'other_id', :'m_unlimited'), '42501',
  'permission denied: users can only consume their own quota',
  'not even by calling the private counting function'
);
select throws_ok(
  format('select public.can_use_model(%L, %L)', :'m_unlimited', :'other_id'), '42501',
  'permission denied: users can only ask about their own access',
  'a user cannot ask can_use_model about another user'
);
select lives_ok(
  format('select public.consume_model_quota(%L, %L)', :'m_unlimited', :'free_id'),
  'naming themselves is fine'
);

select tests.act_as_service_role();
select is(
  public.consume_model_quota(:'m_unlimited', :'other_id') -> 'daily' ->> 'used', '1',
  'the service role may consume on behalf of a user'
);
select ok(
  public.can_use_model(:'m_pro_only', :'pro_id')
  and not public.can_use_model(:'m_pro_only', :'other_id'),
  'the service role may ask can_use_model about any user'
);
select throws_ok(
  format('select public.consume_model_quota(%L)', :'m_unlimited'), '22023',
  'user_uuid is required when the caller is not a signed-in user',
  'the service role must name the user'
);
select is(
  public.consume_model_quota(:'m_daily', :'free_id') ->> 'reason', 'daily_limit_reached',
  'the service role hits the same limits for the user'
);

-- Reading usage: own rows only; admins and the service role all -----------------------------------
select tests.act_as(:'free_id');
select is(
  (select count(*)::int from public.model_usage where user_id <> :'free_id'), 0,
  'a user sees no one else''s usage'
);
select is(
  (select count(*)::int from public.model_usage where user_id = :'free_id'), 9,
  'a user sees their own usage (day and month rows of each model used)'
);
select throws_ok(
  format(
    'insert into public.model_usage (user_id, period, period_start, model_id) '
      || 'values (%L, %L, %L, %L)',
    :'free_id', 'day', :'today', :'m_pro_only'
  ),
  '42501', 'permission denied for table model_usage',
  'a user cannot insert usage'
);
select throws_ok(
  'update public.model_usage set request_count = 0', '42501',
  'permission denied for table model_usage',
  'a user cannot reset their usage'
);
select throws_ok(
  'delete from public.model_usage', '42501', 'permission denied for table model_usage',
  'a user cannot delete their usage'
);
select tests.act_as(:'other_id');
select is(
  (select count(*)::int from public.model_usage), 4,
  'the other user sees exactly their own rows'
);
select tests.act_as(:'admin_id');
select ok(
  (select count(distinct user_id) from public.model_usage) >= 3,
  'an admin reads everyone''s usage'
);
select tests.act_as_service_role();
select is(
  (select count(*)::int from public.model_usage where user_id = :'free_id'), 9,
  'the service role reads everyone''s usage'
);
select lives_ok(
  format(
    'delete from public.model_usage where user_id = %L and model_id = %L', :'other_id', :'m_daily'
  ),
  'the service role may reset usage'
);

-- The default model follows the same rule (private.tier_models) -----------------------------------
select tests.act_as(:'free_id');
select throws_ok(
  format('update public.profiles set default_model = %L where id = %L', :'m_pro_only', :'free_id'),
  '23514', format('model %s is not available to the free tier', :'m_pro_only'),
  'a free user cannot pick a pro model as default'
);
select lives_ok(
  format('update public.profiles set default_model = %L where id = %L', :'m_daily', :'free_id'),
  'a free user may pick a listed model as default'
);

-- Listed ⇔ callable, for every tier and every model -----------------------------------------------
select tests.act_as_operator();
select is(
  (select array_agg(distinct status::text order by status::text) from public.model_access),
  array['active', 'disabled', 'inactive', 'new'],
  'the catalog has models of every status'
);

-- How many models of the catalog (as far as the caller can see it) break "listed ⇔ can_use_model"
-- for the user (null: the caller).
create function tests.listed_vs_can_use(user_uuid uuid default null)
returns integer
language sql
stable
set search_path = ''
as $$
  select count(*)::int
  from public.model_access as m
  where m.model_id in (
      select l.model_id from public.get_user_allowed_models_v2(listed_vs_can_use.user_uuid) as l
    ) is distinct from public.can_use_model(m.model_id, listed_vs_can_use.user_uuid);
$$;

-- The same for "listed ⇔ consume_model_quota does not answer not_allowed" (counts requests).
create function tests.listed_vs_consume(user_uuid uuid)
returns integer
language sql
volatile
set search_path = ''
as $$
  select count(*)::int
  from public.model_access as m
  where m.model_id in (
      select l.model_id from public.get_user_allowed_models_v2(listed_vs_consume.user_uuid) as l
    ) is distinct from (
      public.consume_model_quota(m.model_id, listed_vs_consume.user_uuid) ->> 'reason'
        is distinct from 'not_allowed'
    );
$$;

grant execute on all functions in schema tests to authenticated, service_role;

select tests.act_as(:'free_id');
select is(
  tests.listed_vs_can_use(), 0, 'free: every model is listed exactly when can_use_model allows it'
);
select cmp_ok(
  (select count(*)::int from public.get_user_allowed_models_v2()), '>', 20,
  'free: the list is a real one'
);
select tests.act_as(:'pro_id');
select is(
  tests.listed_vs_can_use(), 0, 'pro: every model is listed exactly when can_use_model allows it'
);
select tests.act_as(:'enterprise_id');
select is(
  tests.listed_vs_can_use(), 0,
  'enterprise: every model is listed exactly when can_use_model allows it'
);

-- Users read the active catalog only; the service role sees every row, so it checks the same
-- equivalence over the whole table, for each tier.
select tests.act_as_service_role();
select is(tests.listed_vs_can_use(:'free_id'), 0, 'free, whole catalog: listed ⇔ can_use_model');
select is(tests.listed_vs_can_use(:'pro_id'), 0, 'pro, whole catalog: listed ⇔ can_use_model');
select is(
  tests.listed_vs_can_use(:'enterprise_id'), 0,
  'enterprise, whole catalog: listed ⇔ can_use_model'
);

-- The tiers' lists really differ: free ⊂ pro ⊂ enterprise, each strictly.
select ok(
  (select count(*) from public.get_user_allowed_models_v2(:'free_id'))
    < (select count(*) from public.get_user_allowed_models_v2(:'pro_id'))
  and (select count(*) from public.get_user_allowed_models_v2(:'pro_id'))
    < (select count(*) from public.get_user_allowed_models_v2(:'enterprise_id')),
  'the catalog gives each tier a different list'
);

-- And enforcement agrees: consuming every model of the catalog is refused with not_allowed exactly
-- for the models not listed (fresh users, so no quota is exhausted).
select tests.act_as_operator();
select tests.create_user('parity-free@example.test', 'free') as parity_free \gset
select tests.create_user('parity-pro@example.test', 'pro') as parity_pro \gset
select tests.create_user('parity-enterprise@example.test', 'enterprise') as parity_enterprise \gset
select tests.act_as_service_role();
select is(
  tests.listed_vs_consume(:'parity_free'), 0,
  'free: consume_model_quota refuses exactly the models not listed'
);
select is(
  tests.listed_vs_consume(:'parity_pro'), 0,
  'pro: consume_model_quota refuses exactly the models not listed'
);
select is(
  tests.listed_vs_consume(:'parity_enterprise'), 0,
  'enterprise: consume_model_quota refuses exactly the models not listed'
);
select is(
  (select count(distinct u.model_id)::int from public.model_usage as u
   where u.user_id = :'parity_pro'),
  (select count(*)::int from public.get_user_allowed_models_v2(:'parity_pro')),
  'and it counted one request for each listed model'
);

-- Limits never change what is listed: a limit on every model leaves each list as it was.
select tests.act_as_operator();
create temporary table lists_before on commit drop as
select 'free' as tier, l.model_id from public.get_user_allowed_models_v2(:'free_id') as l
union all
select 'enterprise', l.model_id from public.get_user_allowed_models_v2(:'enterprise_id') as l;
update public.model_access set daily_limit = 1, monthly_limit = 1;
select set_eq(
  format('select model_id from public.get_user_allowed_models_v2(%L)', :'enterprise_id'),
  'select model_id from lists_before where tier = ''enterprise''',
  'limits do not change the enterprise list'
);
select set_eq(
  format('select model_id from public.get_user_allowed_models_v2(%L)', :'free_id'),
  'select model_id from lists_before where tier = ''free''',
  'limits do not change the free list'
);

select * from finish();
rollback;

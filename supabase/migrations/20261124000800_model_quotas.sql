-- Listed ⇔ callable, with quotas: public.can_use_model (the same rule as the list:
-- private.tier_models), per-user usage counters in public.model_usage, and
-- public.consume_model_quota, which a client app's chat route calls before each LLM request.
--
-- Why: a user must be able to call exactly the models they are listed, and the per-model
-- daily_limit / monthly_limit of public.model_access must be enforced per user. The list
-- (get_user_allowed_models_v2), can_use_model, consume_model_quota and the
-- default-model check on profiles all read the same view, so a new condition (a lifecycle rule such
-- as "deprecated past its sunset date") is added in exactly one place: private.tier_models.
--
-- Quotas count requests per user, model and UTC period (the calendar day and the calendar month).
-- Every allowed request is counted, also for models without limits, so admins see usage and a limit
-- set mid-period applies to what was already used. A denied request counts nothing.

-- The quota periods, computed in one place from the transaction time in UTC. PL/pgSQL, not SQL:
-- a SQL function that cannot be inlined (`set search_path`) is planned again at every call (about
-- 70 us, on every consume and every enhanced list); PL/pgSQL keeps its plan for the session.
create function private.quota_periods()
returns table (
  day_start date,
  day_resets_at text,
  month_start date,
  month_resets_at text
)
language plpgsql
stable
security invoker
-- One row: the planner's guess for a function returning a table is a thousand.
rows 1
set search_path = ''
as $$
begin
  return query
  select
    d.day::date,
    to_char(d.day + interval '1 day', 'YYYY-MM-DD"T"HH24:MI:SS"Z"'),
    d.month::date,
    to_char(d.month + interval '1 month', 'YYYY-MM-DD"T"HH24:MI:SS"Z"')
  from (
    select
      date_trunc('day', now() at time zone 'utc') as day,
      date_trunc('month', now() at time zone 'utc') as month
  ) as d;
end;
$$;

comment on function private.quota_periods() is
  'The current UTC day and month (their first date) and when each resets (the next UTC midnight '
  'and the first of the next month, as RFC 3339 text like 2026-11-25T00:00:00Z). Stable: one '
  'value per transaction.';

revoke execute on function private.quota_periods() from public, anon, authenticated, service_role;
grant execute on function private.quota_periods() to authenticated, service_role;

-- can_use_model -----------------------------------------------------------------------------------

create function public.can_use_model(model_id text, user_uuid uuid default null)
returns boolean
language plpgsql
stable
security invoker
set search_path = ''
as $$
declare
  v_user_id uuid := private.acting_user(can_use_model.user_uuid, 'ask about their own access');
  v_tier text;
begin

  v_tier := private.user_tier(v_user_id);

  return exists (
    select 1
    from private.tier_models as a
    where a.model_id = can_use_model.model_id
      and a.tier = v_tier
  );
end;
$$;

comment on function public.can_use_model(text, uuid) is
  'True when the user (default: the caller) may use the model: exactly when '
  'get_user_allowed_models_v2 lists it. False for unknown models. A user asking about anyone else '
  'gets 42501; the service role may ask about anyone.';

revoke execute on function public.can_use_model(text, uuid)
  from public, anon, authenticated, service_role;
grant execute on function public.can_use_model(text, uuid) to authenticated, service_role;

-- Usage counters ----------------------------------------------------------------------------------

create table public.model_usage (
  user_id uuid not null references auth.users (id) on delete cascade,
  period text not null,
  period_start date not null,
  model_id text not null references public.model_access (model_id) on delete cascade,
  request_count integer not null default 0,
  last_request_at timestamptz,
  constraint model_usage_pkey primary key (user_id, period, period_start, model_id),
  constraint model_usage_period_check check (period in ('day', 'month')),
  constraint model_usage_month_starts_on_the_first
    check (period = 'day' or extract(day from period_start) = 1),
  constraint model_usage_request_count_not_negative check (request_count >= 0)
);

comment on table public.model_usage is
  'Requests each user made per model and UTC period, counted by consume_model_quota (the only '
  'writer besides the service role). Users read their own rows; admins read all.';
comment on column public.model_usage.period is
  'day (a UTC calendar day) or month (a UTC calendar month).';
comment on column public.model_usage.period_start is
  'The UTC date the period starts: the day itself, or the first of the month.';
comment on column public.model_usage.request_count is
  'Requests allowed in the period; a denied request is not counted.';
comment on column public.model_usage.last_request_at is 'When the latest counted request was made.';

-- The primary key serves the per-user reads (user, period, current start); this one serves
-- per-model reads and the cascade when a model is deleted.
create index model_usage_model_id_idx on public.model_usage (model_id);

alter table public.model_usage enable row level security;

revoke all on table public.model_usage from anon, authenticated, service_role;
grant select on table public.model_usage to authenticated;
grant select, insert, update, delete on table public.model_usage to service_role;

create policy "Users can read their own usage; admins can read all"
  on public.model_usage
  for select
  to authenticated
  using (user_id = (select auth.uid()) or (select private.is_admin()));

-- consume_model_quota -----------------------------------------------------------------------------

-- Security definer: users must not write their own counters, so the table grants them no writes;
-- this function writes as the owner, only for the caller's own user id when called with a user JWT
-- (the service role's JWT, or none for an operator, may name any user), and only after the same
-- rule as the list. Exactness under concurrency: both counter rows are created if missing, then
-- locked in a fixed order (day, then month) before they are read, so concurrent calls for the same
-- user and model queue up, each sees the count its predecessor left, and both counters move
-- together or not at all.
create function private.consume_model_quota(user_id uuid, model_id text)
returns jsonb
language plpgsql
volatile
security definer
set search_path = ''
as $$
declare
  v_claim_role text := (select auth.jwt()) ->> 'role';
  v_tier text;
  v_periods record;
  v_daily_limit integer;
  v_monthly_limit integer;
  v_day_used integer;
  v_month_used integer;
  v_reason text;
begin
  if consume_model_quota.user_id is distinct from (select auth.uid())
    and v_claim_role is distinct from 'service_role'
    and (select auth.jwt()) is not null then
    raise exception using
      errcode = '42501',
      message = 'permission denied: users can only consume their own quota';
  end if;

  v_tier := private.user_tier(consume_model_quota.user_id);

  select m.daily_limit, m.monthly_limit
  into v_daily_limit, v_monthly_limit
  from public.model_access as m
  join private.tier_models as a on a.model_id = m.model_id
  where m.model_id = consume_model_quota.model_id
    and a.tier = v_tier;

  if not found then
    return jsonb_build_object(
      'allowed', false,
      'reason', 'not_allowed',
      'model_id', consume_model_quota.model_id,
      'daily', null,
      'monthly', null
    );
  end if;

  select * into v_periods from private.quota_periods();

  insert into public.model_usage as u (user_id, period, period_start, model_id)
  values
    (consume_model_quota.user_id, 'day', v_periods.day_start, consume_model_quota.model_id),
    (consume_model_quota.user_id, 'month', v_periods.month_start, consume_model_quota.model_id)
  on conflict on constraint model_usage_pkey do nothing;

  select
    max(u.request_count) filter (where u.period = 'day'),
    max(u.request_count) filter (where u.period = 'month')
  into v_day_used, v_month_used
  from (
    select u.period, u.request_count
    from public.model_usage as u
    where u.user_id = consume_model_quota.user_id
      and u.model_id = consume_model_quota.model_id
      and (
        (u.period = 'day' and u.period_start = v_periods.day_start)
        or (u.period = 'month' and u.period_start = v_periods.month_start)
      )
    order by u.period
    for update
  ) as u;

  -- The limit that blocks longest names the reason: a full month outlasts a full day.
  v_reason := case
    when v_month_used >= v_monthly_limit then 'monthly_limit_reached'
    when v_day_used >= v_daily_limit then 'daily_limit_reached'
  end;

  if v_reason is null then
    update public.model_usage as u
    set request_count = u.request_count + 1,
        last_request_at = now()
    where u.user_id = consume_model_quota.user_id
      and u.model_id = consume_model_quota.model_id
      and (
        (u.period = 'day' and u.period_start = v_periods.day_start)
        or (u.period = 'month' and u.period_start = v_periods.month_start)
      );
    v_day_used := v_day_used + 1;
    v_month_used := v_month_used + 1;
  end if;

  return jsonb_build_object(
    'allowed', v_reason is null,
    'reason', v_reason,
    'model_id', consume_model_quota.model_id,
    'daily', jsonb_build_object(
      'limit', v_daily_limit,
      'used', v_day_used,
      'remaining',
        case when v_daily_limit is not null then greatest(v_daily_limit - v_day_used, 0) end,
      'resets_at', v_periods.day_resets_at
    ),
    'monthly', jsonb_build_object(
      'limit', v_monthly_limit,
      'used', v_month_used,
      'remaining',
        case when v_monthly_limit is not null then greatest(v_monthly_limit - v_month_used, 0) end,
      'resets_at', v_periods.month_resets_at
    )
  );
end;
$$;

comment on function private.consume_model_quota(uuid, text) is
  'Counts one request of the user for the model against its daily and monthly limits, atomically; '
  'see public.consume_model_quota for the answer. A caller with a user JWT may only consume for '
  'themselves.';

revoke execute on function private.consume_model_quota(uuid, text)
  from public, anon, authenticated, service_role;
grant execute on function private.consume_model_quota(uuid, text) to authenticated, service_role;

-- Invoker: decides whose quota it is with the caller's role, as get_user_allowed_models_v2 does;
-- the counting itself is private.consume_model_quota's.
create function public.consume_model_quota(model_id text, user_uuid uuid default null)
returns jsonb
language plpgsql
volatile
security invoker
set search_path = ''
as $$
declare
  v_user_id uuid := private.acting_user(consume_model_quota.user_uuid, 'consume their own quota');
begin
  if v_user_id is null then
    raise exception using
      errcode = '22023',
      message = 'user_uuid is required when the caller is not a signed-in user';
  end if;

  return private.consume_model_quota(v_user_id, consume_model_quota.model_id);
end;
$$;

comment on function public.consume_model_quota(text, uuid) is
  'Call before each LLM request. When the user (default: the caller) may use the model and '
  'both its daily and monthly limits (UTC day and month; null = unlimited) have room, counts the '
  'request and answers {allowed: true}; otherwise counts nothing and answers allowed false with '
  'reason not_allowed, daily_limit_reached or monthly_limit_reached. The answer: {allowed, reason, '
  'model_id, daily: {limit, used, remaining, resets_at}, monthly: {...}} (daily and monthly are '
  'null when not_allowed; remaining is null when unlimited). Exact under concurrent calls. A user '
  'may only consume their own quota; the service role may name any user.';

revoke execute on function public.consume_model_quota(text, uuid)
  from public, anon, authenticated, service_role;
grant execute on function public.consume_model_quota(text, uuid) to authenticated, service_role;

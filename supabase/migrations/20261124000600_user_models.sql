-- private.tier_models (the rule of who may use what), public.get_user_allowed_models_v2 and
-- public.get_my_tier: what a user may use.
--
-- Why: the models endpoint lists the models of the caller's tier (free sees is_free; pro sees
-- is_free or is_pro; enterprise sees all three flags) that are active, or deprecated and not past
-- their sunset, and reports the tier. A user may ask only about themselves; only the service role
-- (or an operator) may ask about someone else. Security invoker: a user reads their own profile
-- and the catalog through RLS.

-- The rule ----------------------------------------------------------------------------------------

-- The tier hierarchy: which tiers a model's flags offer it to, whatever its status (the admin
-- list's tier filter). The hierarchy itself is data, in public.subscription_tiers. It carries the
-- status and sunset so that tier_models, built on it, stays one scan of the catalog.
create view private.tier_offered_models
with (security_invoker = true)
as
select
  t.tier,
  m.model_id,
  m.status,
  m.sunset_at
from public.subscription_tiers as t
cross join public.model_access as m
where m.is_free
  or (m.is_pro and t.sees_pro_models)
  or (m.is_enterprise and t.sees_enterprise_models);

comment on view private.tier_offered_models is
  'THE tier hierarchy: one row per (tier, model_id) such that the model''s flags offer it to the '
  'tier (public.subscription_tiers: every tier sees is_free; sees_pro_models adds is_pro; '
  'sees_enterprise_models adds is_enterprise), whatever the model''s status. private.tier_models '
  'adds whether it may be used now; the admin list filters by tier with it.';

revoke all on table private.tier_offered_models from public, anon, authenticated, service_role;
grant select on table private.tier_offered_models to authenticated, service_role;

-- A view rather than a boolean function: the planner inlines it, so the list filters the catalog
-- in one scan and can_use_model is one index lookup (a SQL function with `set search_path`, which
-- the advisors require, is never inlined). Security invoker: callers see the catalog through
-- their own RLS; the predicate itself admits only models that every user may read. Deprecated
-- models count until their sunset, at read time, so no job has to flip them at the right second.
create view private.tier_models
with (security_invoker = true)
as
select
  o.tier,
  o.model_id
from private.tier_offered_models as o
where o.status = 'active'
  or (o.status = 'deprecated' and (o.sunset_at is null or o.sunset_at > now()));

comment on view private.tier_models is
  'THE rule of who may use what: one row per (tier, model_id) such that users of that tier may '
  'list and call the model (active, or deprecated before its sunset_at; and offered to the tier '
  'by private.tier_offered_models, the hierarchy). Read by '
  'get_user_allowed_models_v2, can_use_model, consume_model_quota, the default-model check and '
  'resolve_default_model; add any further condition here and nowhere else.';
comment on column private.tier_models.tier is 'A tier of public.subscription_tiers.';

revoke all on table private.tier_models from public, anon, authenticated, service_role;
grant select on table private.tier_models to authenticated, service_role;

-- Invoker: a user reads their own profile through RLS, the service role any profile. PL/pgSQL, not
-- SQL: a SQL function called from PL/pgSQL keeps its plan for the rest of the transaction, RLS
-- filter included, even after the role changes; PL/pgSQL's plan cache replans for the new role.
create function private.user_tier(user_id uuid)
returns text
language plpgsql
stable
security invoker
set search_path = ''
as $$
begin
  return coalesce(
    (select p.subscription_tier from public.profiles as p where p.id = user_tier.user_id),
    'free'
  );
end;
$$;

comment on function private.user_tier(uuid) is
  'The subscription tier of a user: free when the user has no profile (or the caller cannot '
  'read it).';

revoke execute on function private.user_tier(uuid) from public, anon, authenticated, service_role;
grant execute on function private.user_tier(uuid) to authenticated, service_role;

-- Who a user-facing function acts for: the user it is given, else the caller. A signed-in user
-- (or anon) acts only for themselves; the service role and operators for anyone. `acting` says
-- what the function does, for the error: "users can only <acting>".
create function private.acting_user(user_uuid uuid, acting text)
returns uuid
language plpgsql
stable
security invoker
set search_path = ''
as $$
declare
  v_user_id uuid := coalesce(acting_user.user_uuid, (select auth.uid()));
begin
  if current_user in ('anon', 'authenticated')
    and v_user_id is distinct from (select auth.uid()) then
    raise exception using
      errcode = '42501',
      message = 'permission denied: users can only ' || acting_user.acting;
  end if;
  return v_user_id;
end;
$$;

comment on function private.acting_user(uuid, text) is
  'The user a user-facing function acts for: user_uuid, else auth.uid(); 42501 when a signed-in '
  'user names someone else.';

revoke execute on function private.acting_user(uuid, text)
  from public, anon, authenticated, service_role;
grant execute on function private.acting_user(uuid, text) to authenticated, service_role;

create function public.get_user_allowed_models_v2(user_uuid uuid default null)
returns table (
  model_id text,
  model_name text,
  model_description text,
  context_length integer,
  prompt_price numeric,
  completion_price numeric,
  modality text,
  input_modalities text[],
  output_modalities text[],
  supported_parameters text[],
  daily_limit integer,
  monthly_limit integer,
  created_timestamp bigint,
  deprecated_at timestamptz,
  sunset_at timestamptz,
  replacement_model_id text
)
language plpgsql
stable
security invoker
set search_path = ''
as $$
declare
  v_user_id uuid := private.acting_user(
    get_user_allowed_models_v2.user_uuid, 'list their own models'
  );
  v_tier text;
begin

  v_tier := private.user_tier(v_user_id);

  return query
  select
    m.model_id,
    m.model_name,
    m.model_description,
    m.context_length,
    m.prompt_price,
    m.completion_price,
    m.modality,
    m.input_modalities,
    m.output_modalities,
    m.supported_parameters,
    m.daily_limit,
    m.monthly_limit,
    m.created_timestamp,
    case when m.status = 'deprecated' then m.deprecated_at end,
    case when m.status = 'deprecated' then m.sunset_at end,
    case when m.status = 'deprecated' then m.replacement_model_id end
  from public.model_access as m
  join private.tier_models as a on a.model_id = m.model_id and a.tier = v_tier
  order by
    case when m.is_free then 0 when m.is_pro then 1 else 2 end,
    m.model_name,
    m.model_id;
end;
$$;

comment on function public.get_user_allowed_models_v2(uuid) is
  'The models the user''s tier may use (private.tier_models), free first, then pro, then '
  'enterprise, then by name and id; deprecated models carry deprecated_at, sunset_at and '
  'replacement_model_id (null otherwise). user_uuid defaults to the caller; a user asking about '
  'anyone else gets 42501; the service role may ask about anyone. Unknown users (no profile) get '
  'the free tier. A model is listed exactly when can_use_model is true for it.';

revoke execute on function public.get_user_allowed_models_v2(uuid)
  from public, anon, authenticated, service_role;
grant execute on function public.get_user_allowed_models_v2(uuid) to authenticated, service_role;

create function public.get_my_tier()
returns text
language sql
stable
security invoker
set search_path = ''
as $$
  select coalesce(
    (select p.subscription_tier from public.profiles as p where p.id = (select auth.uid())),
    'free'
  );
$$;

comment on function public.get_my_tier() is
  'The caller''s subscription tier (free | pro | enterprise); free when the caller has no profile.';

revoke execute on function public.get_my_tier() from public, anon, authenticated, service_role;
grant execute on function public.get_my_tier() to authenticated, service_role;

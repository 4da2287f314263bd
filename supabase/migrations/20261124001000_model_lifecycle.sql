-- Model lifecycle: the behaviour of status `deprecated` (its columns deprecated_at, sunset_at,
-- replacement_model_id and deprecation_source are in public.model_access), public.deprecate_models,
-- and private.repoint_default_models, which moves users whose default_model became unavailable to
-- the replacement or to their tier's default.
--
-- Why: upstream announces retirements (`expiration_date`) and admins retire models too. A
-- deprecated model stays listed and callable until its sunset, then it is unavailable
-- (private.tier_models, the single rule of who may list and call a model, says so at read time,
-- so no job has to flip it at the right second). Users must not be stranded with a default model
-- they can no longer use: whenever access changes (any update of status, tier flags or sunset),
-- and at each sync after a sunset passed, their default is re-pointed and the change is written to
-- their activity log.

-- Leaving `deprecated` (an admin sets active, new or disabled) clears the deprecation.
create function private.clear_model_deprecation()
returns trigger
language plpgsql
security invoker
set search_path = ''
as $$
begin
  new.deprecated_at := null;
  new.sunset_at := null;
  new.replacement_model_id := null;
  new.deprecation_source := null;
  return new;
end;
$$;

comment on function private.clear_model_deprecation() is
  'BEFORE UPDATE trigger on model_access: a model leaving status deprecated (other than to '
  'inactive) loses its deprecation columns.';

revoke execute on function private.clear_model_deprecation()
  from public, anon, authenticated, service_role;

create trigger clear_model_deprecation
  before update of status on public.model_access
  for each row
  when (old.status = 'deprecated' and new.status not in ('deprecated', 'inactive'))
  execute function private.clear_model_deprecation();

-- Re-pointing default models ------------------------------------------------------------------

-- Security definer: it moves other users' defaults and writes their activity log, which no API
-- role may do directly. It only ever replaces a default that is unavailable to its user's tier,
-- with a model that is available, so calling it can never take anything away from anyone. The
-- log entries have the shape private.log_user_activity writes; they are inserted in one statement
-- here because that function logs one entry and only for the caller's own user.
create function private.repoint_default_models(user_ids uuid[] default null)
returns integer
language plpgsql
volatile
security definer
set search_path = ''
-- A function's SET options hold for everything it runs, triggers included: called under the sync,
-- which turns nested loops and merge joins off for its own statement, re-pointing would look up a
-- few users' models with hash joins over the whole catalog. It plans with the server's defaults.
set enable_nestloop = on
set enable_mergejoin = on
as $$
declare
  v_count integer;
begin
  with
  tier_defaults as (
    -- A tier's default: the first model of its list (get_user_allowed_models_v2's order).
    select distinct on (a.tier) a.tier, a.model_id
    from private.tier_models as a
    join public.model_access as m on m.model_id = a.model_id
    order by
      a.tier,
      case when m.is_free then 0 when m.is_pro then 1 else 2 end,
      m.model_name,
      m.model_id
  ),
  stranded as (
    select p.id, p.default_model, p.subscription_tier as tier
    from public.profiles as p
    where (repoint_default_models.user_ids is null or p.id = any (repoint_default_models.user_ids))
      and not exists (
        select 1
        from private.tier_models as a
        where a.tier = p.subscription_tier and a.model_id = p.default_model
      )
  ),
  chosen as (
    select
      s.id,
      s.default_model as old_model,
      coalesce(r.model_id, d.model_id) as new_model,
      case when r.model_id is not null then 'replacement' else 'tier_default' end as via,
      case
        when m.model_id is null then 'unknown_model'
        when m.status = 'deprecated' then 'sunset'
        when m.status = 'active' then 'not_in_tier'
        else m.status
      end as reason
    from stranded as s
    left join public.model_access as m on m.model_id = s.default_model
    left join private.tier_models as r on r.tier = s.tier and r.model_id = m.replacement_model_id
    left join tier_defaults as d on d.tier = s.tier
  ),
  moved as (
    update public.profiles as p
    set default_model = c.new_model
    from chosen as c
    where p.id = c.id
      and c.new_model is not null
    returning p.id, c.old_model, c.new_model, c.via, c.reason
  ),
  logged as (
    insert into public.user_activity (user_id, activity_type, details)
    select
      mv.id,
      'default_model_replaced',
      jsonb_build_object(
        'from', mv.old_model, 'to', mv.new_model, 'via', mv.via, 'reason', mv.reason
      )
    from moved as mv
    returning 1
  )
  select count(*) into v_count from logged;
  return v_count;
end;
$$;

comment on function private.repoint_default_models(uuid[]) is
  'Moves every user (or those in user_ids) whose default_model their tier may not use '
  '(private.tier_models: inactive, disabled, deprecated past sunset, not flagged for the tier, '
  'unknown) to the model''s replacement_model_id when their tier may use it, else to their tier''s '
  'first listed model, and logs default_model_replaced {from, to, via, reason} in their activity. '
  'Users whose tier has no model keep their default. Returns how many were moved.';

revoke execute on function private.repoint_default_models(uuid[])
  from public, anon, authenticated, service_role;
-- The sync (security invoker) calls it after a sunset has passed.
grant execute on function private.repoint_default_models(uuid[]) to authenticated, service_role;

-- Definer for the same reason as repoint_default_models, which it calls.
create function private.repoint_default_models_after_access_change()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
begin
  if exists (
    select 1
    from old_rows as o
    join new_rows as n on n.id = o.id
    where (o.status, o.is_free, o.is_pro, o.is_enterprise, o.sunset_at)
      is distinct from (n.status, n.is_free, n.is_pro, n.is_enterprise, n.sunset_at)
  ) then
    perform private.repoint_default_models();
  end if;
  return null;
end;
$$;

comment on function private.repoint_default_models_after_access_change() is
  'Statement-level AFTER UPDATE trigger on model_access: when a statement changed any status, '
  'tier flag or sunset, re-points the default models that became unavailable.';

revoke execute on function private.repoint_default_models_after_access_change()
  from public, anon, authenticated, service_role;

create trigger repoint_default_models_after_access_change
  after update on public.model_access
  referencing old table as old_rows new table as new_rows
  for each statement
  execute function private.repoint_default_models_after_access_change();

-- Definer for the same reason as repoint_default_models, which it calls.
create function private.repoint_default_model_after_tier_change()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
begin
  perform private.repoint_default_models(array[new.id]);
  return null;
end;
$$;

comment on function private.repoint_default_model_after_tier_change() is
  'AFTER UPDATE OF subscription_tier trigger on profiles: a user whose new tier may not use their '
  'default model is moved to their tier''s default.';

revoke execute on function private.repoint_default_model_after_tier_change()
  from public, anon, authenticated, service_role;

create trigger repoint_default_model_after_tier_change
  after update of subscription_tier on public.profiles
  for each row
  when (old.subscription_tier is distinct from new.subscription_tier)
  execute function private.repoint_default_model_after_tier_change();

-- Deprecating by hand -------------------------------------------------------------------------

create function public.deprecate_models(
  model_ids text[],
  replacement_model_id text default null,
  sunset_at timestamptz default null
)
returns jsonb
language plpgsql
volatile
security invoker
set search_path = ''
as $$
declare
  v_ids text[];
  v_unknown_ids text[];
  v_invalid_ids text[];
  v_models jsonb;
begin
  if not private.can_manage_catalog() then
    raise exception using
      errcode = '42501',
      message = 'permission denied: only admins and the service role can deprecate models';
  end if;

  select array_agg(distinct x order by x)
  into v_ids
  from unnest(deprecate_models.model_ids) as x
  where x is not null;
  if v_ids is null then
    return jsonb_build_object(
      'success', false, 'error', 'invalid_model_ids', 'message', 'model_ids must name at least one model'
    );
  end if;

  select array_agg(x order by x)
  into v_unknown_ids
  from unnest(v_ids) as x
  where not exists (select 1 from public.model_access as m where m.model_id = x);
  if v_unknown_ids is not null then
    return jsonb_build_object(
      'success', false,
      'error', 'unknown_models',
      'message', 'unknown model ids: ' || array_to_string(v_unknown_ids, ', '),
      'unknown_ids', to_jsonb(v_unknown_ids)
    );
  end if;

  if deprecate_models.replacement_model_id is not null then
    if deprecate_models.replacement_model_id = any (v_ids) then
      return jsonb_build_object(
        'success', false,
        'error', 'invalid_replacement',
        'message', 'a model cannot be its own replacement'
      );
    end if;
    if not exists (
      select 1 from public.model_access as m
      where m.model_id = deprecate_models.replacement_model_id
    ) then
      return jsonb_build_object(
        'success', false,
        'error', 'invalid_replacement',
        'message', 'unknown replacement model: ' || deprecate_models.replacement_model_id
      );
    end if;
  end if;

  select array_agg(m.model_id order by m.model_id)
  into v_invalid_ids
  from public.model_access as m
  where m.model_id = any (v_ids)
    and m.status not in ('active', 'deprecated');
  if v_invalid_ids is not null then
    return jsonb_build_object(
      'success', false,
      'error', 'invalid_status',
      'message', 'only active or deprecated models can be deprecated: '
        || array_to_string(v_invalid_ids, ', '),
      'invalid_ids', to_jsonb(v_invalid_ids)
    );
  end if;

  -- The status change makes the models admin-managed (trigger mark_access_admin_managed); the
  -- statement trigger re-points the defaults this makes unavailable (a sunset in the past).
  update public.model_access as m
  set
    status = 'deprecated',
    deprecated_at = case when m.status = 'deprecated' then m.deprecated_at else now() end,
    sunset_at = deprecate_models.sunset_at,
    replacement_model_id = deprecate_models.replacement_model_id,
    deprecation_source = 'admin'
  where m.model_id = any (v_ids);

  select jsonb_agg(
    jsonb_build_object(
      'model_id', m.model_id,
      'status', m.status,
      'deprecated_at', m.deprecated_at,
      'sunset_at', m.sunset_at,
      'replacement_model_id', m.replacement_model_id
    )
    order by m.model_id
  )
  into v_models
  from public.model_access as m
  where m.model_id = any (v_ids);

  return jsonb_build_object('success', true, 'models', v_models);
end;
$$;

comment on function public.deprecate_models(text[], text, timestamptz) is
  'Admin: deprecates active (or re-deprecates deprecated) models: status deprecated, sunset_at '
  '(null = no date yet; in the past = unavailable now) and replacement_model_id, where users whose '
  'default model becomes unavailable are moved. Makes the models admin-managed. Setting the status '
  'back to active (update_models_access) undoes it. Returns {success, models} or {success: false, '
  'error: invalid_model_ids | unknown_models | invalid_replacement | invalid_status, message}. '
  'Admins and the service role only.';

revoke execute on function public.deprecate_models(text[], text, timestamptz)
  from public, anon, authenticated, service_role;
grant execute on function public.deprecate_models(text[], text, timestamptz)
  to authenticated, service_role;

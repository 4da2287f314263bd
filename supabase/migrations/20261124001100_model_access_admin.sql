-- public.update_models_access and public.update_model_tier_access: the admin functions that change
-- a model's status, tier flags and limits.
--
-- Why: these settings decide what each tier gets, so only admins and the service role may change
-- them, all or nothing, with invalid input answered as data ({success: false, error}) for the API
-- to turn into a 400. Security invoker: admins write with their own rights (RLS on model_access),
-- and the audit trigger records every change with the admin's JWT sub.

create function public.update_models_access(model_ids text[], changes jsonb)
returns jsonb
language plpgsql
volatile
security invoker
set search_path = ''
as $$
declare
  v_ids text[];
  v_unknown_ids text[];
  v_unknown_fields text[];
  v_status text;
  v_updated_count integer;
  v_models jsonb;
begin
  if not private.can_manage_catalog() then
    raise exception using
      errcode = '42501',
      message = 'permission denied: only admins and the service role can change model access';
  end if;

  select array_agg(distinct x order by x)
  into v_ids
  from unnest(update_models_access.model_ids) as x
  where x is not null;

  if v_ids is null then
    return jsonb_build_object(
      'success', false, 'error', 'invalid_model_ids', 'message', 'model_ids must name at least one model'
    );
  end if;
  if update_models_access.changes is null or jsonb_typeof(update_models_access.changes) <> 'object' then
    return jsonb_build_object(
      'success', false, 'error', 'invalid_changes', 'message', 'changes must be a JSON object'
    );
  end if;

  select array_agg(k order by k)
  into v_unknown_fields
  from jsonb_object_keys(update_models_access.changes) as k
  where k not in ('status', 'is_free', 'is_pro', 'is_enterprise', 'daily_limit', 'monthly_limit');
  if v_unknown_fields is not null then
    return jsonb_build_object(
      'success', false,
      'error', 'invalid_changes',
      'message', 'unknown fields: ' || array_to_string(v_unknown_fields, ', ')
        || ' (allowed: status, is_free, is_pro, is_enterprise, daily_limit, monthly_limit)'
    );
  end if;

  if exists (
    select 1
    from jsonb_each(update_models_access.changes) as c
    where c.key in ('is_free', 'is_pro', 'is_enterprise') and jsonb_typeof(c.value) <> 'boolean'
  ) then
    return jsonb_build_object(
      'success', false,
      'error', 'invalid_changes',
      'message', 'is_free, is_pro and is_enterprise must be true or false'
    );
  end if;

  if update_models_access.changes ? 'status' then
    v_status := update_models_access.changes ->> 'status';
    if jsonb_typeof(update_models_access.changes -> 'status') <> 'string'
      or v_status not in ('new', 'active', 'disabled') then
      return jsonb_build_object(
        'success', false,
        'error', 'invalid_status',
        'message', 'status must be new, active or disabled (inactive is set by the sync only)'
      );
    end if;
  end if;

  if exists (
    select 1
    from jsonb_each(update_models_access.changes) as c
    where c.key in ('daily_limit', 'monthly_limit')
      and jsonb_typeof(c.value) <> 'null'
      and not (
        jsonb_typeof(c.value) = 'number'
        and c.value::text ~ '^[0-9]{1,10}$'
        and c.value::text::bigint between 1 and 2147483647
      )
  ) then
    return jsonb_build_object(
      'success', false,
      'error', 'invalid_limit',
      'message', 'daily_limit and monthly_limit must be positive integers, or null for unlimited'
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

  -- One statement: all rows or none. A model that is gone upstream stays inactive when set to
  -- new/active, and gets that status back when it returns.
  with target as (
    select
      m.id,
      case when update_models_access.changes ? 'status' then
        case when v_status in ('new', 'active') and m.upstream_removed_at is not null
          then 'inactive' else v_status end
      else m.status end as status,
      case when update_models_access.changes ? 'status' then
        case when v_status in ('new', 'active') and m.upstream_removed_at is not null
          then v_status end
      else m.status_before_inactive end as status_before_inactive,
      case when update_models_access.changes ? 'is_free'
        then (update_models_access.changes ->> 'is_free')::boolean else m.is_free end as is_free,
      case when update_models_access.changes ? 'is_pro'
        then (update_models_access.changes ->> 'is_pro')::boolean else m.is_pro end as is_pro,
      case when update_models_access.changes ? 'is_enterprise'
        then (update_models_access.changes ->> 'is_enterprise')::boolean
        else m.is_enterprise end as is_enterprise,
      case when update_models_access.changes ? 'daily_limit'
        then (update_models_access.changes ->> 'daily_limit')::integer
        else m.daily_limit end as daily_limit,
      case when update_models_access.changes ? 'monthly_limit'
        then (update_models_access.changes ->> 'monthly_limit')::integer
        else m.monthly_limit end as monthly_limit
    from public.model_access as m
    where m.model_id = any (v_ids)
  ),
  changed as (
    update public.model_access as m
    set
      status = t.status,
      status_before_inactive = t.status_before_inactive,
      is_free = t.is_free,
      is_pro = t.is_pro,
      is_enterprise = t.is_enterprise,
      daily_limit = t.daily_limit,
      monthly_limit = t.monthly_limit
    from target as t
    where m.id = t.id
      and (
        m.status, m.status_before_inactive, m.is_free, m.is_pro, m.is_enterprise, m.daily_limit,
        m.monthly_limit
      ) is distinct from (
        t.status, t.status_before_inactive, t.is_free, t.is_pro, t.is_enterprise, t.daily_limit,
        t.monthly_limit
      )
    returning m.id
  )
  select count(*) into v_updated_count from changed;

  select jsonb_agg(
    jsonb_build_object(
      'model_id', m.model_id,
      'status', m.status,
      'is_free', m.is_free,
      'is_pro', m.is_pro,
      'is_enterprise', m.is_enterprise,
      'daily_limit', m.daily_limit,
      'monthly_limit', m.monthly_limit,
      'updated_at', m.updated_at
    )
    order by m.model_id
  )
  into v_models
  from public.model_access as m
  where m.model_id = any (v_ids);

  return jsonb_build_object(
    'success', true,
    'updated_count', v_updated_count,
    'unchanged_count', cardinality(v_ids) - v_updated_count,
    'models', v_models
  );
end;
$$;

comment on function public.update_models_access(text[], jsonb) is
  'Admin: applies `changes` (any of status, is_free, is_pro, is_enterprise, daily_limit, '
  'monthly_limit; a JSON null limit means unlimited) to every model in model_ids, all or nothing. '
  'Returns {success, updated_count, unchanged_count, models} or {success: false, error: '
  'invalid_model_ids | invalid_changes | invalid_status | invalid_limit | unknown_models, message, '
  'unknown_ids}. Rows whose values do not change are not written. Admins and the service role only.';

revoke execute on function public.update_models_access(text[], jsonb)
  from public, anon, authenticated, service_role;
grant execute on function public.update_models_access(text[], jsonb) to authenticated, service_role;

create function public.update_model_tier_access(
  p_model_id text,
  p_is_free boolean default null,
  p_is_pro boolean default null,
  p_is_enterprise boolean default null,
  p_status text default null,
  p_daily_limit integer default null,
  p_monthly_limit integer default null
)
returns jsonb
language plpgsql
volatile
security invoker
set search_path = ''
as $$
declare
  v_result jsonb;
begin
  if not private.can_manage_catalog() then
    raise exception using
      errcode = '42501',
      message = 'permission denied: only admins and the service role can change model access';
  end if;
  if update_model_tier_access.p_model_id is null then
    return jsonb_build_object(
      'success', false, 'error', 'model_not_found', 'message', 'p_model_id is required'
    );
  end if;

  -- Null arguments mean "leave as is", so they are left out of the changes.
  v_result := public.update_models_access(
    array[update_model_tier_access.p_model_id],
    jsonb_strip_nulls(jsonb_build_object(
      'is_free', update_model_tier_access.p_is_free,
      'is_pro', update_model_tier_access.p_is_pro,
      'is_enterprise', update_model_tier_access.p_is_enterprise,
      'status', update_model_tier_access.p_status,
      'daily_limit', update_model_tier_access.p_daily_limit,
      'monthly_limit', update_model_tier_access.p_monthly_limit
    ))
  );

  if not (v_result ->> 'success')::boolean then
    if v_result ->> 'error' = 'unknown_models' then
      return jsonb_build_object(
        'success', false,
        'error', 'model_not_found',
        'message', 'model not found: ' || update_model_tier_access.p_model_id
      );
    end if;
    return v_result - 'unknown_ids';
  end if;

  return jsonb_build_object(
    'success', true,
    'model_id', update_model_tier_access.p_model_id,
    'updated_at', v_result -> 'models' -> 0 -> 'updated_at'
  );
end;
$$;

comment on function public.update_model_tier_access(text, boolean, boolean, boolean, text, integer, integer) is
  'Admin: changes one model''s tier flags, status and limits; null arguments leave the value as '
  'is (use update_models_access to make a limit unlimited again). Returns {success: true, '
  'model_id, updated_at} or {success: false, error: model_not_found | invalid_status | '
  'invalid_limit, message}. Admins and the service role only.';

revoke execute on function
  public.update_model_tier_access(text, boolean, boolean, boolean, text, integer, integer)
  from public, anon, authenticated, service_role;
grant execute on function
  public.update_model_tier_access(text, boolean, boolean, boolean, text, integer, integer)
  to authenticated, service_role;

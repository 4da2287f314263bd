-- public.update_models_access and public.update_model_tier_access: the admin functions that change
-- a model's status, tier flags and limits.
--
-- Why: these settings decide what each tier gets, so only admins and the service role may change
-- them, all or nothing, with invalid input refused with a SQLSTATE and a message for the API to
-- answer as a 400 or 404. Security invoker: admins write with their own rights (RLS on
-- model_access), and the audit trigger records every change with the admin's JWT sub.

-- Invoker: reads the catalog with the caller's rights.
create function private.models_access_state(model_ids text[])
returns jsonb
language sql
stable
security invoker
set search_path = ''
as $$
  select coalesce(jsonb_object_agg(m.model_id, jsonb_build_array(
    m.status, m.status_before_inactive, m.is_free, m.is_pro, m.is_enterprise, m.daily_limit,
    m.monthly_limit, m.access_managed_by
  )), '{}'::jsonb)
  from public.model_access as m
  where m.model_id = any (models_access_state.model_ids);
$$;

comment on function private.models_access_state(text[]) is
  'The access settings (status, status_before_inactive, tier flags, limits, access_managed_by) of '
  'the models, by id: what update_models_access compares to count the models it changed.';

revoke execute on function private.models_access_state(text[])
  from public, anon, authenticated, service_role;
grant execute on function private.models_access_state(text[]) to authenticated, service_role;

-- Invoker: admins write with their own rights. Returns the changed catalog rows so that a caller
-- (the admin API) has the outcome in one call; invalid input is raised with a SQLSTATE and a
-- message the API passes on.
create function public.update_models_access(model_ids text[], changes jsonb)
returns table (
  changed boolean,
  model_id text,
  model_name text,
  model_description text,
  status text,
  is_free boolean,
  is_pro boolean,
  is_enterprise boolean,
  daily_limit integer,
  monthly_limit integer,
  prompt_price numeric,
  completion_price numeric,
  request_price numeric,
  image_price numeric,
  web_search_price numeric,
  internal_reasoning_price numeric,
  input_cache_read_price numeric,
  input_cache_write_price numeric,
  context_length integer,
  max_completion_tokens integer,
  modality text,
  input_modalities text[],
  output_modalities text[],
  supported_parameters text[],
  created_timestamp bigint,
  canonical_slug text,
  hugging_face_id text,
  is_moderated boolean,
  status_before_inactive text,
  access_managed_by text,
  deprecated_at timestamptz,
  sunset_at timestamptz,
  replacement_model_id text,
  deprecation_source text,
  upstream_removed_at timestamptz,
  last_synced_at timestamptz,
  openrouter_last_seen timestamptz,
  created_at timestamptz,
  updated_at timestamptz
)
language plpgsql
volatile
security invoker
set search_path = ''
as $$
#variable_conflict use_column
declare
  v_ids text[];
  v_unknown_ids text[];
  v_unknown_fields text[];
  v_status text;
  v_changed_ids text[];
  v_hand_back boolean := update_models_access.changes ? 'access_managed_by';
  v_access_before jsonb;
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
    raise exception using
      errcode = '22023', message = 'model_ids must name at least one model';
  end if;
  if update_models_access.changes is null or jsonb_typeof(update_models_access.changes) <> 'object' then
    raise exception using
      errcode = '22023', message = 'changes must be a JSON object';
  end if;

  select array_agg(k order by k)
  into v_unknown_fields
  from jsonb_object_keys(update_models_access.changes) as k
  where k not in (
    'status', 'is_free', 'is_pro', 'is_enterprise', 'daily_limit', 'monthly_limit',
    'access_managed_by'
  );
  if v_unknown_fields is not null then
    raise exception using
      errcode = '22023',
      message = 'unknown fields: ' || array_to_string(v_unknown_fields, ', ')
        || ' (allowed: status, is_free, is_pro, is_enterprise, daily_limit, monthly_limit, '
        || 'access_managed_by)';
  end if;

  -- Handing models back to the rules lets the rules decide status and flags: not both at once.
  if v_hand_back and (
    update_models_access.changes -> 'access_managed_by' is distinct from '"rules"'::jsonb
    or update_models_access.changes ?| array['status', 'is_free', 'is_pro', 'is_enterprise']
  ) then
    raise exception using
      errcode = '22023',
      column = 'access_managed_by',
      message = 'access_managed_by can only be "rules", which then decide status and tier flags: '
        || 'do not set them too';
  end if;

  if exists (
    select 1
    from jsonb_each(update_models_access.changes) as c
    where c.key in ('is_free', 'is_pro', 'is_enterprise') and jsonb_typeof(c.value) <> 'boolean'
  ) then
    raise exception using
      errcode = '22023', message = 'is_free, is_pro and is_enterprise must be true or false';
  end if;

  if update_models_access.changes ? 'status' then
    v_status := update_models_access.changes ->> 'status';
    if jsonb_typeof(update_models_access.changes -> 'status') <> 'string'
      or v_status not in ('new', 'active', 'disabled') then
      raise exception using
        errcode = '22023',
        column = 'status',
        message = 'status must be new, active or disabled (inactive is set by the sync only)';
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
    raise exception using
      errcode = '22023',
      message = 'daily_limit and monthly_limit must be positive integers, or null for unlimited';
  end if;

  -- The detail lists the unknown ids as a JSON array, for callers to name them.
  select array_agg(x order by x)
  into v_unknown_ids
  from unnest(v_ids) as x
  where not exists (select 1 from public.model_access as m where m.model_id = x);
  if v_unknown_ids is not null then
    raise exception using
      errcode = 'P0002',
      message = 'unknown model ids: ' || array_to_string(v_unknown_ids, ', '),
      detail = to_jsonb(v_unknown_ids)::text;
  end if;

  if v_hand_back then
    v_access_before := private.models_access_state(v_ids);
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
  written as (
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
    returning m.model_id
  )
  select array_agg(w.model_id) into v_changed_ids from written as w;

  -- Back to the rules, which apply at once; a model counts as changed when any of its access
  -- settings moved, by the limits above or by the rules.
  if v_hand_back then
    -- Its refusals (no ids, unknown ids) are ruled out above.
    perform public.hand_models_to_rules(v_ids);
    select array_agg(a.key)
    into v_changed_ids
    from jsonb_each(private.models_access_state(v_ids)) as a
    where a.value is distinct from v_access_before -> a.key;
  end if;

  return query
  select
    coalesce(m.model_id = any (v_changed_ids), false),
    m.model_id, m.model_name, m.model_description, m.status::text, m.is_free, m.is_pro,
    m.is_enterprise, m.daily_limit, m.monthly_limit, m.prompt_price, m.completion_price,
    m.request_price, m.image_price, m.web_search_price, m.internal_reasoning_price,
    m.input_cache_read_price, m.input_cache_write_price, m.context_length,
    m.max_completion_tokens, m.modality, m.input_modalities, m.output_modalities,
    m.supported_parameters, m.created_timestamp, m.canonical_slug, m.hugging_face_id,
    m.is_moderated, m.status_before_inactive, m.access_managed_by, m.deprecated_at, m.sunset_at,
    m.replacement_model_id, m.deprecation_source, m.upstream_removed_at, m.last_synced_at,
    m.openrouter_last_seen, m.created_at, m.updated_at
  from public.model_access as m
  where m.model_id = any (v_ids)
  order by m.model_id;
end;
$$;

comment on function public.update_models_access(text[], jsonb) is
  'Admin: applies `changes` (any of status, is_free, is_pro, is_enterprise, daily_limit, '
  'monthly_limit; a JSON null limit means unlimited; or access_managed_by: "rules" with limits '
  'at most, which hands the models back to the rules, applied at once) to every model in '
  'model_ids, all or nothing. Returns the models'' catalog rows (the columns admins read) by id, '
  'each with `changed`: whether any of its access settings moved; rows whose values do not '
  'change are not written. Refuses invalid input with 22023 (column names the field, where one '
  'is to blame) and unknown ids with P0002 (detail: their JSON array). Admins and the service '
  'role only.';

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
  v_updated_at timestamptz;
begin
  if not private.can_manage_catalog() then
    raise exception using
      errcode = '42501',
      message = 'permission denied: only admins and the service role can change model access';
  end if;
  if update_model_tier_access.p_model_id is null then
    raise exception using errcode = '22023', message = 'p_model_id is required';
  end if;

  -- Null arguments mean "leave as is", so they are left out of the changes.
  select u.updated_at
  into v_updated_at
  from public.update_models_access(
    array[update_model_tier_access.p_model_id],
    jsonb_strip_nulls(jsonb_build_object(
      'is_free', update_model_tier_access.p_is_free,
      'is_pro', update_model_tier_access.p_is_pro,
      'is_enterprise', update_model_tier_access.p_is_enterprise,
      'status', update_model_tier_access.p_status,
      'daily_limit', update_model_tier_access.p_daily_limit,
      'monthly_limit', update_model_tier_access.p_monthly_limit
    ))
  ) as u;

  return jsonb_build_object(
    'success', true,
    'model_id', update_model_tier_access.p_model_id,
    'updated_at', v_updated_at
  );
end;
$$;

comment on function public.update_model_tier_access(text, boolean, boolean, boolean, text, integer, integer) is
  'Admin: changes one model''s tier flags, status and limits; null arguments leave the value as '
  'is (use update_models_access to make a limit unlimited again). Returns {success: true, '
  'model_id, updated_at}; refuses what update_models_access refuses, with its errors (an unknown '
  'model: P0002). Admins and the service role only.';

revoke execute on function
  public.update_model_tier_access(text, boolean, boolean, boolean, text, integer, integer)
  from public, anon, authenticated, service_role;
grant execute on function
  public.update_model_tier_access(text, boolean, boolean, boolean, text, integer, integer)
  to authenticated, service_role;

-- The admin list, filtered and paged in one call -------------------------------------------------

-- Invoker: admins read the whole catalog through RLS. PL/pgSQL to refuse an unknown tier with a
-- clear error; an unknown status is refused by its type (public.model_status) on the way in.
create function public.list_models_for_admin(
  with_status public.model_status default null,
  in_tier text default null,
  from_provider text default null,
  matching_text text default null,
  with_output_modality text default null,
  page_limit integer default 50,
  page_offset integer default 0
)
returns table (
  total_count integer,
  model_id text,
  model_name text,
  model_description text,
  status text,
  is_free boolean,
  is_pro boolean,
  is_enterprise boolean,
  daily_limit integer,
  monthly_limit integer,
  prompt_price numeric,
  completion_price numeric,
  request_price numeric,
  image_price numeric,
  web_search_price numeric,
  internal_reasoning_price numeric,
  input_cache_read_price numeric,
  input_cache_write_price numeric,
  context_length integer,
  max_completion_tokens integer,
  modality text,
  input_modalities text[],
  output_modalities text[],
  supported_parameters text[],
  created_timestamp bigint,
  canonical_slug text,
  hugging_face_id text,
  is_moderated boolean,
  status_before_inactive text,
  access_managed_by text,
  deprecated_at timestamptz,
  sunset_at timestamptz,
  replacement_model_id text,
  deprecation_source text,
  upstream_removed_at timestamptz,
  last_synced_at timestamptz,
  openrouter_last_seen timestamptz,
  created_at timestamptz,
  updated_at timestamptz
)
language plpgsql
stable
security invoker
set search_path = ''
as $$
#variable_conflict use_column
declare
  -- The search text anywhere in the id or name, its LIKE wildcards taken literally.
  v_pattern text := '%' || replace(replace(replace(
    list_models_for_admin.matching_text, '\', '\\'), '%', '\%'), '_', '\_') || '%';
begin
  if not private.can_manage_catalog() then
    raise exception using
      errcode = '42501',
      message = 'permission denied: only admins and the service role can list the whole catalog';
  end if;
  if list_models_for_admin.in_tier is not null and not exists (
    select 1 from public.subscription_tiers as t where t.tier = list_models_for_admin.in_tier
  ) then
    raise exception using
      errcode = '22023',
      message = format('unknown tier %L', list_models_for_admin.in_tier);
  end if;

  -- The total and the page in one statement; a page past the end is one row of nulls with the
  -- total, so the caller always learns it.
  return query
  with matching as (
    select m.*
    from public.model_access as m
    where (list_models_for_admin.with_status is null
        or m.status = list_models_for_admin.with_status)
      and (list_models_for_admin.in_tier is null or m.model_id in (
        select o.model_id
        from private.tier_offered_models as o
        where o.tier = list_models_for_admin.in_tier
      ))
      and (list_models_for_admin.from_provider is null
        or starts_with(m.model_id, list_models_for_admin.from_provider || '/'))
      and (list_models_for_admin.with_output_modality is null
        or list_models_for_admin.with_output_modality = any (m.output_modalities))
      and (list_models_for_admin.matching_text is null
        or m.model_id ilike v_pattern or m.model_name ilike v_pattern)
  )
  select
    t.total_count,
    p.model_id, p.model_name, p.model_description, p.status::text, p.is_free, p.is_pro,
    p.is_enterprise, p.daily_limit, p.monthly_limit, p.prompt_price, p.completion_price,
    p.request_price, p.image_price, p.web_search_price, p.internal_reasoning_price,
    p.input_cache_read_price, p.input_cache_write_price, p.context_length,
    p.max_completion_tokens, p.modality, p.input_modalities, p.output_modalities,
    p.supported_parameters, p.created_timestamp, p.canonical_slug, p.hugging_face_id,
    p.is_moderated, p.status_before_inactive, p.access_managed_by, p.deprecated_at, p.sunset_at,
    p.replacement_model_id, p.deprecation_source, p.upstream_removed_at, p.last_synced_at,
    p.openrouter_last_seen, p.created_at, p.updated_at
  from (select count(*)::integer as total_count from matching) as t
  left join lateral (
    select *
    from matching as m
    order by m.model_id
    limit list_models_for_admin.page_limit
    offset list_models_for_admin.page_offset
  ) as p on true
  order by p.model_id;
end;
$$;

comment on function public.list_models_for_admin(
  public.model_status, text, text, text, text, integer, integer
) is
  'Admin: the catalog filtered by status, tier (the models private.tier_offered_models offers to '
  'it, whatever their status), provider (ids starting with `<provider>/`), text (in id or name, '
  'literally) and output modality, ordered by id and paged; every row carries total_count, and a '
  'page past the end is one row of nulls with it. An unknown status or tier is refused (23514, '
  '22023). Admins and the service role only.';

revoke execute on function public.list_models_for_admin(
  public.model_status, text, text, text, text, integer, integer
) from public, anon, authenticated, service_role;
grant execute on function public.list_models_for_admin(
  public.model_status, text, text, text, text, integer, integer
) to authenticated, service_role;

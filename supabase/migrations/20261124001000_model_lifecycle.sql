-- Model lifecycle: the behaviour of status `deprecated` (its columns deprecated_at, sunset_at,
-- replacement_model_id and deprecation_source are in public.model_access), public.deprecate_models,
-- and private.resolve_default_model with public.get_my_default_model: which model a user should
-- use when the one they chose is unavailable.
--
-- Why: upstream announces retirements (`expiration_date`) and admins retire models too. A
-- deprecated model stays listed and callable until its sunset, then it is unavailable
-- (private.tier_models, the single rule of who may list and call a model, says so at read time,
-- so no job has to flip it at the right second). Users must not be stranded with a default model
-- they can no longer use, nor lose their choice to a model that is gone only for a while (a day
-- missing upstream, a disabled model enabled again, a tier downgrade undone): their choice is kept
-- as they made it, and what to use instead is resolved when it is read, at read time too.

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

-- Resolving default models --------------------------------------------------------------------

-- Security definer: a chosen model its user's tier no longer lists (disabled, gone upstream) is on
-- a catalog row that RLS hides from users, and so is its replacement_model_id. It answers only
-- with models the tier may use (private.tier_models), which any user of the tier can list anyway.
create function private.resolve_default_model(chosen text, tier text)
returns table (resolved text, reason text)
language plpgsql
stable
security definer
set search_path = ''
as $$
declare
  v_resolved text;
begin
  if exists (
    select 1
    from private.tier_models as a
    where a.tier = resolve_default_model.tier and a.model_id = resolve_default_model.chosen
  ) then
    return query select resolve_default_model.chosen, 'chosen'::text;
    return;
  end if;

  select a.model_id
  into v_resolved
  from public.model_access as m
  join private.tier_models as a
    on a.model_id = m.replacement_model_id and a.tier = resolve_default_model.tier
  where m.model_id = resolve_default_model.chosen;
  if v_resolved is not null then
    return query select v_resolved, 'replacement'::text;
    return;
  end if;

  -- The tier's default is the first model of its list: get_user_allowed_models_v2's order.
  select a.model_id
  into v_resolved
  from private.tier_models as a
  join public.model_access as m on m.model_id = a.model_id
  where a.tier = resolve_default_model.tier
  order by
    case when m.is_free then 0 when m.is_pro then 1 else 2 end,
    m.model_name,
    m.model_id
  limit 1;
  return query
  select v_resolved, case when v_resolved is null then 'none' else 'tier_default' end;
end;
$$;

comment on function private.resolve_default_model(text, text) is
  'THE rule of which model a user of tier should use when they chose chosen: chosen while the '
  'tier may use it (private.tier_models); else its replacement_model_id when the tier may use '
  'that; else the tier''s first listed model; else none. Returns one row {resolved, reason: '
  'chosen | replacement | tier_default | none}. Reads the choice, never writes it: when the model '
  'comes back, it resolves to it again.';

revoke execute on function private.resolve_default_model(text, text)
  from public, anon, authenticated, service_role;
-- get_my_default_model (security invoker) calls it as the user; operators may resolve anyone's.
grant execute on function private.resolve_default_model(text, text) to authenticated, service_role;

-- Invoker: the caller reads their own profile through RLS.
create function public.get_my_default_model()
returns table (chosen text, resolved text, reason text)
language plpgsql
stable
security invoker
set search_path = ''
as $$
declare
  v_chosen text := (
    select p.default_model from public.profiles as p where p.id = (select auth.uid())
  );
begin
  return query
  select v_chosen, r.resolved, r.reason
  from private.resolve_default_model(v_chosen, private.user_tier((select auth.uid()))) as r;
end;
$$;

comment on function public.get_my_default_model() is
  'The caller''s default model: chosen (profiles.default_model, as they set it; null without a '
  'profile), resolved (the model to use now: private.resolve_default_model) and reason (chosen | '
  'replacement | tier_default | none). Signed-in users only.';

revoke execute on function public.get_my_default_model()
  from public, anon, authenticated, service_role;
grant execute on function public.get_my_default_model() to authenticated;

-- Deprecating by hand -------------------------------------------------------------------------

create function public.deprecate_models(
  model_ids text[],
  replacement_model_id text default null,
  sunset_at timestamptz default null
)
returns setof public.model_access
language plpgsql
volatile
security invoker
set search_path = ''
as $$
declare
  v_ids text[];
  v_unknown_ids text[];
  v_invalid_ids text[];
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
    raise exception using
      errcode = '22023', message = 'model_ids must name at least one model';
  end if;

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

  if deprecate_models.replacement_model_id is not null then
    if deprecate_models.replacement_model_id = any (v_ids) then
      raise exception using
        errcode = '22023',
        column = 'replacement_model_id',
        message = 'a model cannot be its own replacement';
    end if;
    if not exists (
      select 1 from public.model_access as m
      where m.model_id = deprecate_models.replacement_model_id
    ) then
      raise exception using
        errcode = '22023',
        column = 'replacement_model_id',
        message = 'unknown replacement model: ' || deprecate_models.replacement_model_id;
    end if;
  end if;

  select array_agg(m.model_id order by m.model_id)
  into v_invalid_ids
  from public.model_access as m
  where m.model_id = any (v_ids)
    and m.status not in ('active', 'deprecated');
  if v_invalid_ids is not null then
    -- 55000: the models are not in a state that can be deprecated; the detail lists them.
    raise exception using
      errcode = '55000',
      message = 'only active or deprecated models can be deprecated: '
        || array_to_string(v_invalid_ids, ', '),
      detail = to_jsonb(v_invalid_ids)::text;
  end if;

  -- The status change makes the models admin-managed (trigger mark_access_admin_managed).
  update public.model_access as m
  set
    status = 'deprecated',
    deprecated_at = case when m.status = 'deprecated' then m.deprecated_at else now() end,
    sunset_at = deprecate_models.sunset_at,
    replacement_model_id = deprecate_models.replacement_model_id,
    deprecation_source = 'admin'
  where m.model_id = any (v_ids);

  return query
  select m.*
  from public.model_access as m
  where m.model_id = any (v_ids)
  order by m.model_id;
end;
$$;

comment on function public.deprecate_models(text[], text, timestamptz) is
  'Admin: deprecates active (or re-deprecates deprecated) models: status deprecated, sunset_at '
  '(null = no date yet; in the past = unavailable now) and replacement_model_id, what users who '
  'chose the model resolve to once it is unavailable. Makes the models admin-managed. Setting the status '
  'back to active (update_models_access) undoes it. Returns the deprecated catalog rows by id. '
  'Refuses no ids or an invalid replacement with 22023, unknown ids with P0002 and models neither '
  'active nor deprecated with 55000 (detail: the ids as a JSON array). Admins and the service '
  'role only.';

revoke execute on function public.deprecate_models(text[], text, timestamptz)
  from public, anon, authenticated, service_role;
grant execute on function public.deprecate_models(text[], text, timestamptz)
  to authenticated, service_role;

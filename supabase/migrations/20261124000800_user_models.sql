-- public.get_user_allowed_models_v2 and public.get_my_tier: what a user may use.
--
-- Why: the models endpoint lists the active models of the caller's tier (free sees is_free; pro
-- sees is_free or is_pro; enterprise sees all three flags) and reports the tier. A user may ask
-- only about themselves; only the service role (or an operator) may ask about someone else.
-- Security invoker: a user reads their own profile and the active catalog through RLS.

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
  created_timestamp bigint
)
language plpgsql
stable
security invoker
set search_path = ''
as $$
declare
  v_user_id uuid := coalesce(get_user_allowed_models_v2.user_uuid, (select auth.uid()));
  v_tier text;
begin
  if current_user in ('anon', 'authenticated')
    and v_user_id is distinct from (select auth.uid()) then
    raise exception using
      errcode = '42501',
      message = 'permission denied: users can only list their own models';
  end if;

  select p.subscription_tier
  into v_tier
  from public.profiles as p
  where p.id = v_user_id;
  v_tier := coalesce(v_tier, 'free');

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
    m.created_timestamp
  from public.model_access as m
  where m.status = 'active'
    and (
      m.is_free
      or (m.is_pro and v_tier in ('pro', 'enterprise'))
      or (m.is_enterprise and v_tier = 'enterprise')
    )
  order by
    case when m.is_free then 0 when m.is_pro then 1 else 2 end,
    m.model_name,
    m.model_id;
end;
$$;

comment on function public.get_user_allowed_models_v2(uuid) is
  'Active models the user''s tier may use, free first, then pro, then enterprise, then by name and '
  'id. user_uuid defaults to the caller; a user asking about anyone else gets 42501; the service '
  'role may ask about anyone. Unknown users (no profile) get the free tier.';

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

-- User preferences: public.update_user_preferences, the public.user_activity log it writes through
-- private.log_user_activity (with its retention, private.prune_user_activity),
-- private.jsonb_deep_merge, the size limit of the ui and session preferences, and a trigger that
-- admits as a new profiles.default_model only a model the user's tier may use.
--
-- Why: users change their own UI, session and model preferences, and nothing else. A default
-- model they choose must be one their tier may use, whichever way it is written (this function or
-- a direct Data API update), so a trigger enforces it too. Once chosen it is never rewritten: when
-- it becomes unavailable, public.get_my_default_model (model lifecycle) resolves what to use
-- instead. Preference changes are logged in an activity table that users can read but not write.
-- Any signed-in user can write both, as often as they like: the preferences have a size limit and
-- the log a bounded history, so that no user can fill the database.

create table public.user_activity (
  id bigint generated always as identity primary key,
  user_id uuid not null references auth.users (id) on delete cascade,
  activity_type text not null,
  details jsonb not null default '{}'::jsonb,
  created_at timestamptz not null default now(),
  constraint user_activity_activity_type_not_blank check (btrim(activity_type) <> ''),
  constraint user_activity_details_is_object check (jsonb_typeof(details) = 'object')
);

comment on table public.user_activity is
  'What users did to their own account (e.g. preferences_updated). Written only through '
  'private.log_user_activity; each user reads their own entries.';
comment on column public.user_activity.activity_type is 'Kind of activity, e.g. preferences_updated.';
comment on column public.user_activity.details is 'Activity detail, e.g. the preference type and change.';

create index user_activity_user_id_created_at_idx on public.user_activity (user_id, created_at desc);

alter table public.user_activity enable row level security;

revoke all on table public.user_activity from anon, authenticated, service_role;
grant select on table public.user_activity to authenticated, service_role;

create policy "Users can read their own activity"
  on public.user_activity
  for select
  to authenticated
  using (user_id = (select auth.uid()));

-- Invoker: run by log_user_activity (as its owner) and by the pg_cron job
-- prune-user-activity; no API role may call it.
create function private.prune_user_activity(only_user_id uuid default null)
returns bigint
language sql
volatile
security invoker
set search_path = ''
as $$
  with
  ranked as (
    select
      a.id,
      a.created_at,
      row_number() over (partition by a.user_id order by a.created_at desc, a.id desc) as newness
    from public.user_activity as a
    where prune_user_activity.only_user_id is null
      or a.user_id = prune_user_activity.only_user_id
  ),
  pruned as (
    delete from public.user_activity as a
    using ranked as r
    where a.id = r.id
      and (r.created_at < now() - interval '90 days' or r.newness > 1000)
    returning 1
  )
  select count(*) from pruned;
$$;

comment on function private.prune_user_activity(uuid) is
  'Deletes user_activity entries older than 90 days and all but the newest 1000 of each user '
  '(only only_user_id''s, when given); returns how many. Run on every write for the writer, and '
  'daily for everyone by the pg_cron job prune-user-activity.';

revoke execute on function private.prune_user_activity(uuid)
  from public, anon, authenticated, service_role;

-- Security definer: users must not be able to write (forge) activity entries directly, so the
-- table grants them no insert; this function inserts as the owner, and only for the caller's own
-- user id when called with a user JWT.
create function private.log_user_activity(user_id uuid, activity_type text, details jsonb default '{}')
returns bigint
language plpgsql
volatile
security definer
set search_path = ''
as $$
declare
  v_id bigint;
begin
  if (select auth.uid()) is not null and log_user_activity.user_id is distinct from (select auth.uid()) then
    raise exception using
      errcode = '42501',
      message = 'permission denied: users can only log their own activity';
  end if;
  insert into public.user_activity (user_id, activity_type, details)
  values (
    log_user_activity.user_id,
    log_user_activity.activity_type,
    coalesce(log_user_activity.details, '{}'::jsonb)
  )
  returning id into v_id;
  -- The writer's own history stays bounded however often they write.
  perform private.prune_user_activity(log_user_activity.user_id);
  return v_id;
end;
$$;

comment on function private.log_user_activity(uuid, text, jsonb) is
  'Appends an entry to public.user_activity and returns its id, then prunes that user''s history '
  '(private.prune_user_activity). A caller with a user JWT may only log for themselves.';

revoke execute on function private.log_user_activity(uuid, text, jsonb)
  from public, anon, authenticated, service_role;
grant execute on function private.log_user_activity(uuid, text, jsonb) to authenticated, service_role;

create function private.jsonb_deep_merge(target jsonb, patch jsonb)
returns jsonb
language sql
immutable
security invoker
set search_path = ''
as $$
  select case
    when jsonb_typeof(jsonb_deep_merge.target) = 'object'
      and jsonb_typeof(jsonb_deep_merge.patch) = 'object' then
      coalesce(
        (
          select jsonb_object_agg(
            coalesce(t.key, p.key),
            case
              when p.key is null then t.value
              when t.key is null then p.value
              else private.jsonb_deep_merge(t.value, p.value)
            end
          )
          from jsonb_each(jsonb_deep_merge.target) as t
          full join jsonb_each(jsonb_deep_merge.patch) as p on p.key = t.key
          where p.value is null or jsonb_typeof(p.value) <> 'null'
        ),
        '{}'::jsonb
      )
    else jsonb_deep_merge.patch
  end;
$$;

comment on function private.jsonb_deep_merge(jsonb, jsonb) is
  'Merges patch into target recursively: objects merge key by key, a JSON null in patch removes '
  'the key, anything else in patch replaces the value in target.';

revoke execute on function private.jsonb_deep_merge(jsonb, jsonb)
  from public, anon, authenticated, service_role;
grant execute on function private.jsonb_deep_merge(jsonb, jsonb) to authenticated, service_role;

-- Size limit of the JSON preferences ------------------------------------------------------------

create function private.preferences_size_limit()
returns integer
language sql
immutable
security invoker
set search_path = ''
as $$
  select 16384;
$$;

comment on function private.preferences_size_limit() is
  'Bytes that profiles.ui_preferences and session_preferences may each take as JSON text (16 KB). '
  'Checked by the constraints profiles_*_preferences_within_size_limit.';

-- The constraints are evaluated as whoever writes the profile (a user through the Data API too).
revoke execute on function private.preferences_size_limit() from public, anon, authenticated, service_role;
grant execute on function private.preferences_size_limit() to authenticated, service_role;

alter table public.profiles
  add constraint profiles_ui_preferences_within_size_limit
    check (octet_length(ui_preferences::text) <= private.preferences_size_limit()),
  add constraint profiles_session_preferences_within_size_limit
    check (octet_length(session_preferences::text) <= private.preferences_size_limit());

-- The one check of a chosen default model: its tier may use it (the rule is private.tier_models).
-- Invoker: runs with the rights of whoever writes the profile.
create function private.check_default_model_allowed(tier text, model_id text)
returns void
language plpgsql
stable
security invoker
set search_path = ''
as $$
begin
  if not exists (
    select 1
    from private.tier_models as a
    where a.model_id = check_default_model_allowed.model_id
      and a.tier = check_default_model_allowed.tier
  ) then
    raise exception using
      errcode = '23514',
      message = format(
        'model %s is not available to the %s tier',
        check_default_model_allowed.model_id, check_default_model_allowed.tier
      ),
      hint = 'Choose one of the models listed by get_user_allowed_models_v2().';
  end if;
end;
$$;

comment on function private.check_default_model_allowed(text, text) is
  'Refuses (23514) a default model that users of the tier may not use (private.tier_models).';

revoke execute on function private.check_default_model_allowed(text, text)
  from public, anon, authenticated, service_role;
grant execute on function private.check_default_model_allowed(text, text)
  to authenticated, service_role;

-- Invoker: runs with the rights of whoever updates the profile.
create function private.check_profile_default_model()
returns trigger
language plpgsql
security invoker
set search_path = ''
as $$
begin
  perform private.check_default_model_allowed(new.subscription_tier, new.default_model);
  return new;
end;
$$;

comment on function private.check_profile_default_model() is
  'BEFORE UPDATE OF default_model trigger on profiles: the new default model must be one the '
  'profile''s tier may use (private.check_default_model_allowed).';

revoke execute on function private.check_profile_default_model()
  from public, anon, authenticated, service_role;

create trigger check_default_model
  before update of default_model on public.profiles
  for each row
  when (new.default_model is distinct from old.default_model)
  execute function private.check_profile_default_model();

create function public.update_user_preferences(
  user_uuid uuid,
  preference_type text,
  preferences jsonb
)
returns jsonb
language plpgsql
volatile
security invoker
set search_path = ''
as $$
declare
  v_unknown_fields text[];
  v_model text;
  v_column text;
  v_size integer;
  v_merged jsonb;
  v_result jsonb;
  v_tier text;
begin
  if current_user in ('anon', 'authenticated')
    and update_user_preferences.user_uuid is distinct from (select auth.uid()) then
    raise exception using
      errcode = '42501',
      message = 'permission denied: users can only change their own preferences';
  end if;

  if update_user_preferences.preference_type is null
    or update_user_preferences.preference_type not in ('ui', 'session', 'model') then
    raise exception using
      errcode = '22023',
      message = 'preference_type must be ui, session or model',
      column = 'preference_type';
  end if;
  if update_user_preferences.preferences is null
    or jsonb_typeof(update_user_preferences.preferences) <> 'object' then
    raise exception using
      errcode = '22023', message = 'preferences must be a JSON object', column = 'preferences';
  end if;

  if update_user_preferences.preference_type in ('ui', 'session') then
    v_column := update_user_preferences.preference_type || '_preferences';
    -- The change is logged in user_activity: it may take no more than the preferences themselves.
    v_size := octet_length(update_user_preferences.preferences::text);
    if v_size > private.preferences_size_limit() then
      raise exception using
        errcode = '22023',
        message = format(
          'a change of %s may take at most %s bytes as JSON; this one takes %s',
          v_column, private.preferences_size_limit(), v_size
        ),
        column = v_column;
    end if;
    -- Locked, so that no concurrent change is merged away.
    select private.jsonb_deep_merge(to_jsonb(p) -> v_column, update_user_preferences.preferences)
    into v_merged
    from public.profiles as p
    where p.id = update_user_preferences.user_uuid
    for update;
    -- The constraints refuse it too; this says by how much.
    v_size := octet_length(v_merged::text);
    if v_size > private.preferences_size_limit() then
      raise exception using
        errcode = '22023',
        message = format(
          '%s may take at most %s bytes as JSON; this change would make them %s',
          v_column, private.preferences_size_limit(), v_size
        ),
        column = v_column;
    end if;
    update public.profiles as p
    set
      ui_preferences = case when v_column = 'ui_preferences' then v_merged else p.ui_preferences end,
      session_preferences = case when v_column = 'session_preferences'
        then v_merged else p.session_preferences end
    where p.id = update_user_preferences.user_uuid
    returning jsonb_build_object(v_column, v_merged) into v_result;
  else
    select array_agg(k order by k)
    into v_unknown_fields
    from jsonb_object_keys(update_user_preferences.preferences) as k
    where k not in ('default_model', 'temperature', 'system_prompt');
    if v_unknown_fields is not null then
      raise exception using
        errcode = '22023',
        message = 'unknown model preferences: ' || array_to_string(v_unknown_fields, ', ')
          || ' (allowed: default_model, temperature, system_prompt)',
        detail = to_jsonb(v_unknown_fields)::text,
        column = 'preferences';
    end if;
    if update_user_preferences.preferences ? 'default_model' then
      if jsonb_typeof(update_user_preferences.preferences -> 'default_model') <> 'string' then
        raise exception using
          errcode = '22023', message = 'default_model must be a string', column = 'default_model';
      end if;
      v_model := update_user_preferences.preferences ->> 'default_model';
    end if;
    if update_user_preferences.preferences ? 'temperature'
      and not (
        jsonb_typeof(update_user_preferences.preferences -> 'temperature') = 'number'
        and (update_user_preferences.preferences ->> 'temperature')::numeric between 0 and 2
      ) then
      raise exception using
        errcode = '22023',
        message = 'temperature must be a number between 0 and 2',
        column = 'temperature';
    end if;
    if jsonb_typeof(update_user_preferences.preferences -> 'system_prompt') not in ('string', 'null')
      or char_length(update_user_preferences.preferences ->> 'system_prompt') > 20000 then
      raise exception using
        errcode = '22023',
        message = 'system_prompt must be a string of at most 20000 characters, or null',
        column = 'system_prompt';
    end if;

    update public.profiles as p
    set
      default_model = coalesce(v_model, p.default_model),
      temperature = case when update_user_preferences.preferences ? 'temperature'
        then (update_user_preferences.preferences ->> 'temperature')::numeric
        else p.temperature end,
      system_prompt = case when update_user_preferences.preferences ? 'system_prompt'
        then update_user_preferences.preferences ->> 'system_prompt'
        else p.system_prompt end
    where p.id = update_user_preferences.user_uuid
    returning jsonb_build_object(
      'default_model', p.default_model,
      'temperature', p.temperature,
      'system_prompt', p.system_prompt
    ), p.subscription_tier into v_result, v_tier;
  end if;

  if v_result is null then
    raise exception using
      errcode = '22023', message = 'no profile for this user', column = 'user_uuid';
  end if;
  -- A model chosen again is checked too (its refusal undoes the update): the trigger
  -- check_default_model sees only a change, and a model the tier no longer offers must not be
  -- taken as chosen.
  if v_model is not null then
    perform private.check_default_model_allowed(v_tier, v_model);
  end if;

  perform private.log_user_activity(
    update_user_preferences.user_uuid,
    'preferences_updated',
    jsonb_build_object(
      'preference_type', update_user_preferences.preference_type,
      'changes', update_user_preferences.preferences
    )
  );

  return jsonb_build_object(
    'success', true,
    'preference_type', update_user_preferences.preference_type,
    'preferences', v_result
  );
end;
$$;

comment on function public.update_user_preferences(uuid, text, jsonb) is
  'Changes the preferences of user_uuid, who must be the caller (the service role may act for '
  'anyone): ui and session deep-merge into their JSON column (the change and the result at most '
  'private.preferences_size_limit() bytes each); model sets default_model (a model the tier may '
  'use: private.check_default_model_allowed), temperature (0 to 2) and system_prompt. Logs the '
  'change in user_activity. Returns {success, preference_type, preferences}; refuses invalid '
  'input with 22023 (column names the field; a user without a profile too) and a model the tier '
  'may not use with 23514, and writes nothing then.';

revoke execute on function public.update_user_preferences(uuid, text, jsonb)
  from public, anon, authenticated, service_role;
grant execute on function public.update_user_preferences(uuid, text, jsonb)
  to authenticated, service_role;

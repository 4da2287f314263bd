-- public.profiles: one row per auth user with their subscription tier, admin flag and preferences,
-- created by a trigger on auth.users; plus private.is_admin(), the one place admin rights come from.
--
-- Why: tiers decide which models a user may use, so the tier and the admin flag must never be
-- writable by the user. The older design kept a hard-coded `allowed_models` list here; the catalog
-- in public.model_access replaces it, so the column is dropped when an older table is upgraded.
-- Admin rights come from profiles.is_admin (never user_metadata, which users can edit).
-- public.subscription_tiers is the one list of tiers and of what each sees: the profile's tier is
-- a foreign key to it, and private.tier_models reads the hierarchy from it.

create table public.subscription_tiers (
  tier text primary key,
  sees_pro_models boolean not null,
  sees_enterprise_models boolean not null
);

insert into public.subscription_tiers (tier, sees_pro_models, sees_enterprise_models)
values ('free', false, false), ('pro', true, false), ('enterprise', true, true);

comment on table public.subscription_tiers is
  'The subscription tiers and their hierarchy: every tier sees the models flagged is_free; a tier '
  'with sees_pro_models also those flagged is_pro, with sees_enterprise_models those flagged '
  'is_enterprise. Read by private.tier_models and the admin list''s tier filter; '
  'profiles.subscription_tier must name one.';
comment on column public.subscription_tiers.sees_pro_models is
  'Users of this tier may use the models flagged is_pro.';
comment on column public.subscription_tiers.sees_enterprise_models is
  'Users of this tier may use the models flagged is_enterprise.';

alter table public.subscription_tiers enable row level security;

revoke all on table public.subscription_tiers from anon, authenticated, service_role;
grant select on table public.subscription_tiers to authenticated, service_role;

create policy "Signed-in users can read the tiers"
  on public.subscription_tiers
  for select
  to authenticated
  using (true);

create table if not exists public.profiles (
  id uuid primary key references auth.users (id) on delete cascade,
  email text,
  subscription_tier text not null default 'free',
  default_model text not null default 'deepseek/deepseek-r1-0528:free',
  temperature numeric(3, 2) not null default 0.7,
  system_prompt text,
  ui_preferences jsonb not null default '{}'::jsonb,
  session_preferences jsonb not null default '{}'::jsonb,
  is_admin boolean not null default false,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);

-- An older profiles table (the hard-coded-list design) is brought to the shape above.
alter table public.profiles
  drop column if exists allowed_models,
  add column if not exists email text,
  add column if not exists subscription_tier text not null default 'free',
  add column if not exists default_model text not null default 'deepseek/deepseek-r1-0528:free',
  add column if not exists temperature numeric(3, 2) not null default 0.7,
  add column if not exists system_prompt text,
  add column if not exists ui_preferences jsonb not null default '{}'::jsonb,
  add column if not exists session_preferences jsonb not null default '{}'::jsonb,
  add column if not exists is_admin boolean not null default false,
  add column if not exists created_at timestamptz not null default now(),
  add column if not exists updated_at timestamptz not null default now();

alter table public.profiles
  drop constraint if exists profiles_subscription_tier_check,
  drop constraint if exists profiles_subscription_tier_fkey,
  add constraint profiles_subscription_tier_fkey
    foreign key (subscription_tier) references public.subscription_tiers (tier),
  drop constraint if exists profiles_temperature_range,
  add constraint profiles_temperature_range check (temperature between 0 and 2),
  drop constraint if exists profiles_system_prompt_length,
  add constraint profiles_system_prompt_length check (char_length(system_prompt) <= 20000),
  drop constraint if exists profiles_ui_preferences_is_object,
  add constraint profiles_ui_preferences_is_object check (jsonb_typeof(ui_preferences) = 'object'),
  drop constraint if exists profiles_session_preferences_is_object,
  add constraint profiles_session_preferences_is_object
    check (jsonb_typeof(session_preferences) = 'object');

comment on table public.profiles is
  'One row per auth user: subscription tier, admin flag and chat preferences. Created by a trigger '
  'on auth.users. Users read and update only their own row and never their tier or admin flag.';
comment on column public.profiles.email is 'Copy of auth.users.email, kept current by trigger.';
comment on column public.profiles.subscription_tier is
  'One of public.subscription_tiers (free | pro | enterprise): decides which models of public.model_access the user may use. '
  'Not writable by the user.';
comment on column public.profiles.default_model is
  'OpenRouter model id the user chose for requests that name none; must be a model the tier may '
  'use when a user changes it, and is kept as chosen: public.get_my_default_model resolves what '
  'to use while it is unavailable.';
comment on column public.profiles.temperature is 'Default sampling temperature, 0 to 2.';
comment on column public.profiles.system_prompt is 'Default system prompt (at most 20000 characters).';
comment on column public.profiles.ui_preferences is
  'Free-form UI settings (a JSON object), deep-merged by public.update_user_preferences.';
comment on column public.profiles.session_preferences is
  'Free-form chat session settings (a JSON object), deep-merged by public.update_user_preferences.';
comment on column public.profiles.is_admin is
  'Grants admin rights (catalog management, sync log and audit). The only source of admin rights; '
  'not writable by the user.';

alter table public.profiles enable row level security;

revoke all on table public.profiles from anon, authenticated, service_role;
grant select on table public.profiles to authenticated;
-- Users may change their preferences only: tier, admin flag, email and timestamps stay out of reach.
grant update (default_model, temperature, system_prompt, ui_preferences, session_preferences)
  on table public.profiles to authenticated;
grant select, insert, update, delete on table public.profiles to service_role;

create policy "Users can read their own profile"
  on public.profiles
  for select
  to authenticated
  using (id = (select auth.uid()));

create policy "Users can update their own profile"
  on public.profiles
  for update
  to authenticated
  using (id = (select auth.uid()))
  with check (id = (select auth.uid()));

drop trigger if exists set_updated_at on public.profiles;
create trigger set_updated_at
  before update on public.profiles
  for each row
  execute function private.set_updated_at();

-- Security definer: policies on other tables call this for users who cannot read other profiles,
-- and it must not depend on the caller's RLS. It reads only the caller's own admin flag.
create function private.is_admin()
returns boolean
language sql
stable
security definer
set search_path = ''
as $$
  select coalesce(
    (select p.is_admin from public.profiles as p where p.id = (select auth.uid())),
    false
  );
$$;

comment on function private.is_admin() is
  'True when the caller (auth.uid() of the request JWT) has profiles.is_admin. Security definer so '
  'RLS policies can use it; reveals nothing but the caller''s own flag.';

revoke execute on function private.is_admin() from public, anon, authenticated, service_role;
grant execute on function private.is_admin() to authenticated, service_role;

-- Security definer: runs as the auth service's role on auth.users, which has no rights on
-- public.profiles. Creates the profile of a new user and keeps its email current.
create function private.handle_auth_user_saved()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
begin
  insert into public.profiles (id, email)
  values (new.id, new.email)
  on conflict (id) do update
    set email = excluded.email
    where public.profiles.email is distinct from excluded.email;
  return new;
end;
$$;

comment on function private.handle_auth_user_saved() is
  'AFTER INSERT OR UPDATE OF email trigger on auth.users: creates the user''s profile (free tier, '
  'not admin) and keeps profiles.email current.';

revoke execute on function private.handle_auth_user_saved()
  from public, anon, authenticated, service_role;

drop trigger if exists on_auth_user_saved on auth.users;
create trigger on_auth_user_saved
  after insert or update of email on auth.users
  for each row
  execute function private.handle_auth_user_saved();

-- Users who signed up before this migration get their profile now.
insert into public.profiles (id, email)
select u.id, u.email
from auth.users as u
on conflict (id) do nothing;

-- Local development data, loaded by the local stack (and `supabase db reset`) after migrations.
-- Never applied to hosted projects unless you push with --include-seed yourself.

-- The three free models, active for every tier. Upstream data is minimal here; the first sync
-- fills it in (or marks a model inactive if OpenRouter no longer lists it).
insert into public.model_access (
  model_id, model_name, model_description, context_length, modality, input_modalities,
  output_modalities, prompt_price, completion_price, openrouter_data, status, is_free, is_pro,
  is_enterprise
)
values
  (
    'deepseek/deepseek-r1-0528:free', 'DeepSeek: R1 0528 (free)',
    'DeepSeek R1 0528, free variant.', 163840, 'text->text', array['text'], array['text'], 0, 0,
    '{"id": "deepseek/deepseek-r1-0528:free", "name": "DeepSeek: R1 0528 (free)"}',
    'active', true, true, true
  ),
  (
    'google/gemini-2.0-flash-exp:free', 'Google: Gemini 2.0 Flash Experimental (free)',
    'Gemini 2.0 Flash Experimental, free variant.', 1048576, 'text+image->text',
    array['image', 'text'], array['text'], 0, 0,
    '{"id": "google/gemini-2.0-flash-exp:free", "name": "Google: Gemini 2.0 Flash Experimental (free)"}',
    'active', true, true, true
  ),
  (
    'qwen/qwen3-coder:free', 'Qwen: Qwen3 Coder 480B A35B (free)',
    'Qwen3 Coder, free variant.', 262144, 'text->text', array['text'], array['text'], 0, 0,
    '{"id": "qwen/qwen3-coder:free", "name": "Qwen: Qwen3 Coder 480B A35B (free)"}',
    'active', true, true, true
  )
on conflict (model_id) do update
set status = excluded.status,
  is_free = excluded.is_free,
  is_pro = excluded.is_pro,
  is_enterprise = excluded.is_enterprise;

-- Default tiering rules (public.model_access_rules; see docs/DATABASE.md). The sync applies the
-- first matching rule to every model it first sees and to rule-managed models whose upstream data
-- changes; a model no rule matches stays `new`, with no tier flag, for an admin to review.
--   100: `:free` variants priced at zero (prompt and completion 0; routers, priced -1, do not
--        match) are active for every tier. When such a model starts charging, the rule no longer
--        matches and the next sync takes it off every tier (back to `new`).
insert into public.model_access_rules (
  priority, name, match_is_free_variant, match_min_prompt_price, match_max_prompt_price,
  match_min_completion_price, match_max_completion_price, status, is_free, is_pro, is_enterprise
)
values
  (100, 'Zero-priced :free variants: active for every tier', true, 0, 0, 0, 0, 'active', true, true, true);

-- Demo users, local only (password: password123). Their profiles are created by the trigger on
-- auth.users; the tier and admin flag are set below. The admin is on the free tier on purpose:
-- admin rights come from profiles.is_admin, not from the tier.
insert into auth.users (
  instance_id, id, aud, role, email, encrypted_password, email_confirmed_at, raw_app_meta_data,
  raw_user_meta_data, created_at, updated_at
)
select
  '00000000-0000-0000-0000-000000000000',
  u.id,
  'authenticated',
  'authenticated',
  u.email,
  extensions.crypt('password123', extensions.gen_salt('bf')),
  now(),
  '{"provider": "email", "providers": ["email"]}',
  '{}',
  now(),
  now()
from (
  values
    ('00000000-0000-4000-a000-000000000001'::uuid, 'free@example.com'),
    ('00000000-0000-4000-a000-000000000002'::uuid, 'pro@example.com'),
    ('00000000-0000-4000-a000-000000000003'::uuid, 'enterprise@example.com'),
    ('00000000-0000-4000-a000-00000000000a'::uuid, 'admin@example.com')
) as u (id, email)
on conflict (id) do nothing;

update public.profiles as p
set subscription_tier = d.tier, is_admin = d.is_admin
from (
  values
    ('00000000-0000-4000-a000-000000000001'::uuid, 'free', false),
    ('00000000-0000-4000-a000-000000000002'::uuid, 'pro', false),
    ('00000000-0000-4000-a000-000000000003'::uuid, 'enterprise', false),
    ('00000000-0000-4000-a000-00000000000a'::uuid, 'free', true)
) as d (id, tier, is_admin)
where p.id = d.id;

-- With the real Supabase Auth (`supabase start`), password sign-in needs empty (not null) token
-- columns and an email identity per user. The docker-free stack's auth.users has neither, so this
-- only runs where they exist.
do $$
begin
  if exists (
    select 1 from information_schema.columns
    where table_schema = 'auth' and table_name = 'users' and column_name = 'confirmation_token'
  ) then
    execute $sql$
      update auth.users
      set confirmation_token = coalesce(confirmation_token, ''),
        recovery_token = coalesce(recovery_token, ''),
        email_change_token_new = coalesce(email_change_token_new, ''),
        email_change = coalesce(email_change, '')
      where email like '%@example.com'
    $sql$;
  end if;
  if to_regclass('auth.identities') is not null then
    execute $sql$
      insert into auth.identities (provider_id, user_id, identity_data, provider, created_at, updated_at)
      select u.id::text, u.id, jsonb_build_object('sub', u.id::text, 'email', u.email), 'email', now(), now()
      from auth.users as u
      where u.email like '%@example.com'
      on conflict do nothing
    $sql$;
  end if;
end;
$$;

-- public.update_user_preferences, public.user_activity and private.jsonb_deep_merge: ui and
-- session preferences deep-merge; model preferences (default_model within the tier, temperature,
-- system_prompt); invalid input refused with a SQLSTATE (22023, or 23514 for a model the tier may
-- not use: 400 over the Data API) and nothing written; a user changes only their own
-- preferences, never their tier or admin flag; each change is logged in user_activity, which users
-- read (own rows) but never write.
begin;
\ir _helpers.psql
select plan(32);

-- A refused change: its SQLSTATE, message, detail and column (tests.refusal), as text.
create function tests.prefs_refusal(user_id uuid, preference_type text, change jsonb)
returns text
language sql
set search_path = ''
as $$
  select r ->> 'sqlstate' || ' ' || (r ->> 'message')
    || coalesce(' [' || (r ->> 'column') || ']', '')
  from tests.refusal(format(
    'select public.update_user_preferences(%L, %L, %L)',
    prefs_refusal.user_id, prefs_refusal.preference_type, prefs_refusal.change
  )) as r;
$$;
grant execute on function tests.prefs_refusal(uuid, text, jsonb) to authenticated, service_role;

select tests.act_as_operator();
insert into public.model_access (model_id, model_name, status, is_free, is_pro, is_enterprise)
values ('t/pro-model', 'Pro model', 'active', false, true, false),
  ('t/new-free', 'New free model', 'new', true, false, false);

select tests.create_user('prefs-alice@example.test', 'free') as alice_id \gset
select tests.create_user('prefs-bob@example.test', 'pro') as bob_id \gset

-- jsonb_deep_merge --------------------------------------------------------------------------------
select is(
  private.jsonb_deep_merge(
    '{"a": 1, "b": {"c": 2, "d": 3}, "e": [1, 2], "gone": true}',
    '{"b": {"c": 20, "x": 1}, "e": [3], "gone": null, "new": "n"}'
  ),
  '{"a": 1, "b": {"c": 20, "d": 3, "x": 1}, "e": [3], "new": "n"}'::jsonb,
  'jsonb_deep_merge merges objects key by key, replaces other values, and null removes a key'
);

-- Who may call -------------------------------------------------------------------------------------
select tests.act_as_anon();
select throws_ok(
  format('select public.update_user_preferences(%L, %L, %L)', :'alice_id', 'ui', '{}'),
  '42501', 'permission denied for function update_user_preferences',
  'anon cannot update preferences'
);
select throws_ok(
  'select count(*) from public.user_activity', '42501', 'permission denied for table user_activity',
  'anon cannot read user activity'
);

select tests.act_as(:'alice_id');
select throws_ok(
  format('select public.update_user_preferences(%L, %L, %L)', :'bob_id', 'ui', '{"theme": "x"}'),
  '42501', 'permission denied: users can only change their own preferences',
  'a user cannot change another user''s preferences'
);
select throws_ok(
  format('select public.update_user_preferences(%L, %L, %L)', null, 'ui', '{"theme": "x"}'),
  '42501', 'permission denied: users can only change their own preferences',
  'nor name no user at all'
);

-- ui and session: deep merge ------------------------------------------------------------------------
select is(
  public.update_user_preferences(:'alice_id', 'ui', '{"theme": "dark", "layout": {"sidebar": true}}'),
  '{"success": true, "preference_type": "ui",
    "preferences": {"ui_preferences": {"theme": "dark", "layout": {"sidebar": true}}}}'::jsonb,
  'ui preferences are stored and returned'
);
select is(
  public.update_user_preferences(:'alice_id', 'ui', '{"layout": {"width": 300}, "theme": null}')
    -> 'preferences' -> 'ui_preferences',
  '{"layout": {"sidebar": true, "width": 300}}'::jsonb,
  'ui preferences deep-merge (null removes a key)'
);
select is(
  public.update_user_preferences(:'alice_id', 'session', '{"history": {"keep": 10}}')
    -> 'preferences',
  '{"session_preferences": {"history": {"keep": 10}}}'::jsonb,
  'session preferences merge into their own column'
);

-- model ----------------------------------------------------------------------------------------------
select is(
  public.update_user_preferences(
    :'alice_id', 'model',
    '{"default_model": "qwen/qwen3-coder:free", "temperature": 1.5, "system_prompt": "Be brief."}'
  ),
  '{"success": true, "preference_type": "model", "preferences": {
    "default_model": "qwen/qwen3-coder:free", "temperature": 1.50, "system_prompt": "Be brief."}}'::jsonb,
  'model preferences set default_model, temperature and system_prompt'
);
select throws_ok(
  format('select public.update_user_preferences(%L, %L, %L)',
    :'alice_id', 'model', '{"default_model": "t/pro-model"}'),
  '23514', 'model t/pro-model is not available to the free tier',
  'a free user cannot pick a pro model'
);
select throws_ok(
  format('select public.update_user_preferences(%L, %L, %L)',
    :'alice_id', 'model', '{"default_model": "t/new-free"}'),
  '23514', 'model t/new-free is not available to the free tier',
  'nor a model that is not active'
);
select throws_ok(
  format('select public.update_user_preferences(%L, %L, %L)',
    :'alice_id', 'model', '{"default_model": "no/such-model"}'),
  '23514', 'model no/such-model is not available to the free tier',
  'nor an unknown model'
);
select is(
  (select array_agg(tests.prefs_refusal(:'alice_id', 'model', p) order by p::text)
   from unnest(array[
     '{"temperature": 3}', '{"temperature": "hot"}', '{"default_model": 42}',
     '{"subscription_tier": "enterprise"}', '{"is_admin": true}', '{"system_prompt": 5}'
   ]::jsonb[]) as p),
  array[
    '22023 default_model must be a string [default_model]',
    '22023 unknown model preferences: is_admin (allowed: default_model, temperature, '
      || 'system_prompt) [preferences]',
    '22023 unknown model preferences: subscription_tier (allowed: default_model, temperature, '
      || 'system_prompt) [preferences]',
    '22023 system_prompt must be a string of at most 20000 characters, or null [system_prompt]',
    '22023 temperature must be a number between 0 and 2 [temperature]',
    '22023 temperature must be a number between 0 and 2 [temperature]'
  ],
  'bad temperatures, a non-string model or prompt, and tier or admin fields are refused'
);
select is(
  tests.prefs_refusal(
    :'alice_id', 'model', jsonb_build_object('system_prompt', repeat('x', 20001))
  ),
  '22023 system_prompt must be a string of at most 20000 characters, or null [system_prompt]',
  'a system prompt longer than 20000 characters is refused'
);
select throws_ok(
  format('select public.update_user_preferences(%L, %L, %L)',
    :'alice_id', 'tier', '{"subscription_tier": "enterprise"}'),
  '22023', 'preference_type must be ui, session or model',
  'an invalid preference type is refused'
);
select throws_ok(
  format('select public.update_user_preferences(%L, %L, %L)', :'alice_id', 'ui', '"dark"'),
  '22023', 'preferences must be a JSON object',
  'preferences must be an object'
);
select is(
  (select jsonb_build_object('tier', subscription_tier, 'admin', is_admin, 'model', default_model,
     'temperature', temperature, 'prompt', system_prompt)
   from public.profiles where id = :'alice_id'),
  '{"tier": "free", "admin": false, "model": "qwen/qwen3-coder:free", "temperature": 1.50,
    "prompt": "Be brief."}'::jsonb,
  'after all that, the tier and admin flag are unchanged and only the valid change was applied'
);

-- Activity -----------------------------------------------------------------------------------------
select is(
  (select array_agg(details ->> 'preference_type' order by id) from public.user_activity
   where user_id = :'alice_id' and activity_type = 'preferences_updated'),
  array['ui', 'ui', 'session', 'model'],
  'each successful change is logged, and failed ones are not'
);
select is(
  (select details -> 'changes' from public.user_activity
   where user_id = :'alice_id' order by id desc limit 1),
  '{"default_model": "qwen/qwen3-coder:free", "temperature": 1.5, "system_prompt": "Be brief."}'::jsonb,
  'the log holds the change'
);
select throws_ok(
  format(
    'insert into public.user_activity (user_id, activity_type) values (%L, %L)', :'alice_id', 'forged'
  ),
  '42501', 'permission denied for table user_activity',
  'a user cannot write user_activity'
);
select throws_ok(
  format('select private.log_user_activity(%L, %L)', :'bob_id', 'forged'),
  '42501', 'permission denied: users can only log their own activity',
  'a user cannot log activity for someone else'
);

select tests.act_as(:'bob_id');
select is(
  (select count(*)::int from public.user_activity where user_id = :'alice_id'), 0,
  'a user cannot read another user''s activity'
);
select is(
  (select ui_preferences from public.profiles where id = :'bob_id'), '{}'::jsonb,
  'the other user''s preferences were never touched'
);
select is(
  public.update_user_preferences(:'bob_id', 'model', '{"default_model": "t/pro-model"}')
    -> 'preferences' ->> 'default_model',
  't/pro-model',
  'a pro user can pick a pro model'
);

-- The service role acts for anyone; the tier rule still applies ---------------------------------------
select tests.act_as_service_role();
select is(
  tests.prefs_refusal(:'alice_id', 'model', '{"default_model": "t/pro-model"}'),
  '23514 model t/pro-model is not available to the free tier',
  'the service role cannot give a free user a pro model either'
);
select is(
  public.update_user_preferences(:'alice_id', 'session', '{"history": {"keep": 20}}') ->> 'success',
  'true',
  'the service role can change a user''s preferences'
);
select is(
  tests.prefs_refusal(gen_random_uuid(), 'ui', '{"theme": "dark"}'),
  '22023 no profile for this user [user_uuid]',
  'an unknown user is refused'
);
select is(
  tests.prefs_refusal(gen_random_uuid(), 'model', '{"default_model": "t/pro-model"}'),
  '22023 no profile for this user [user_uuid]',
  'as such, whatever model the change names'
);
select is(
  (select count(*)::int from public.user_activity where user_id = :'alice_id'), 5,
  'the service role reads every user''s activity'
);

-- Downgrading a tier leaves the default model as is; the user must pick an allowed one to change it.
update public.profiles set subscription_tier = 'free' where id = :'bob_id';
select tests.act_as(:'bob_id');
select is(
  public.update_user_preferences(:'bob_id', 'model', '{"temperature": 0.2}') ->> 'success', 'true',
  'after a downgrade other model preferences can still be changed'
);
select is(
  tests.prefs_refusal(:'bob_id', 'model', '{"default_model": "t/pro-model", "temperature": 0.3}'),
  '23514 model t/pro-model is not available to the free tier',
  'but the model the tier no longer offers cannot be chosen again'
);
select throws_ok(
  format('update public.profiles set default_model = %L where id = %L', 't/new-free', :'bob_id'),
  '23514', 'model t/new-free is not available to the free tier',
  'the default-model trigger guards direct updates too'
);

select * from finish();
rollback;

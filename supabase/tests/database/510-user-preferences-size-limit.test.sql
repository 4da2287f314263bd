-- ui_preferences and session_preferences take at most 16384 bytes each as JSON text
-- (private.preferences_size_limit): update_user_preferences refuses a change that is larger, or
-- would make them larger, with SQLSTATE 22023 (400 over the Data API) and the sizes, also when a
-- user calls it directly over the Data API, and writes nothing; a direct update of the columns is
-- refused by the constraints.
begin;
\ir _helpers.psql
select plan(12);

select tests.create_user('size-alice@example.test', 'free') as alice_id \gset

select is(private.preferences_size_limit(), 16384, 'the limit is 16 KB');

-- {"k": "<n characters>"} takes 9 + n bytes as JSON text.
select tests.act_as(:'alice_id');
select is(
  public.update_user_preferences(:'alice_id', 'ui', jsonb_build_object('k', repeat('a', 16375)))
    ->> 'success',
  'true',
  'ui preferences of exactly 16384 bytes are stored'
);
select throws_ok(
  format('select public.update_user_preferences(%L, %L, %L)', :'alice_id', 'ui', '{"m": "x"}'),
  '22023', 'ui_preferences may take at most 16384 bytes as JSON; this change would make them 16394',
  'a small change that would make them larger is refused, with the size it would reach'
);
select is(
  public.update_user_preferences(:'alice_id', 'ui', '{"k": null, "m": "x"}') -> 'preferences',
  '{"ui_preferences": {"m": "x"}}'::jsonb,
  'a change that makes room is stored'
);
select throws_ok(
  format(
    'select public.update_user_preferences(%L, %L, %L)',
    :'alice_id', 'ui', jsonb_build_object('k', repeat('a', 16376))
  ),
  '22023', 'a change of ui_preferences may take at most 16384 bytes as JSON; this one takes 16385',
  'a change larger than the limit is refused before it is merged'
);
select throws_ok(
  format(
    'select public.update_user_preferences(%L, %L, %L)',
    :'alice_id', 'session', jsonb_build_object('k', repeat('é', 8200))
  ),
  '22023',
  'a change of session_preferences may take at most 16384 bytes as JSON; this one takes 16409',
  'session preferences have the same limit, counted in bytes'
);
select throws_ok(
  format(
    'select public.update_user_preferences(%L, %L, %L)',
    :'alice_id', 'session', jsonb_build_object('a', repeat('a', 9000), 'b', repeat('b', 9000))
  ),
  '22023',
  'a change of session_preferences may take at most 16384 bytes as JSON; this one takes 18018',
  'however many keys the change has'
);
select is(
  (select jsonb_build_array(ui_preferences, session_preferences) from public.profiles
   where id = :'alice_id'),
  '[{"m": "x"}, {}]'::jsonb,
  'only the changes that were accepted are stored'
);
select is(
  (select count(*)::int from public.user_activity where user_id = :'alice_id'),
  2,
  'and only those two are logged in user_activity'
);

-- Around the function: the columns themselves are bounded.
select throws_ok(
  format(
    'update public.profiles set ui_preferences = %L where id = %L',
    jsonb_build_object('k', repeat('a', 16376)), :'alice_id'
  ),
  '23514',
  'new row for relation "profiles" violates check constraint "profiles_ui_preferences_within_size_limit"',
  'a user''s direct update of ui_preferences beyond the limit is refused'
);
select throws_ok(
  format(
    'update public.profiles set session_preferences = %L where id = %L',
    jsonb_build_object('k', repeat('a', 16376)), :'alice_id'
  ),
  '23514',
  'new row for relation "profiles" violates check constraint "profiles_session_preferences_within_size_limit"',
  'and of session_preferences'
);
select tests.act_as_service_role();
select throws_ok(
  format(
    'select public.update_user_preferences(%L, %L, %L)',
    :'alice_id', 'ui', jsonb_build_object('k', repeat('a', 16376))
  ),
  '22023', 'a change of ui_preferences may take at most 16384 bytes as JSON; this one takes 16385',
  'the service role is held to the limit too'
);

select * from finish();
rollback;

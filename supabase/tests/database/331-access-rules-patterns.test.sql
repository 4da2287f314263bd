-- Rule patterns are checked when a rule is written, by whoever writes it (an admin through RLS,
-- an operator in Studio): a LIKE pattern ending in an unpaired escape, a regex that does not
-- compile, uses a back-reference or is too long, and a modality that is not a lowercase name are
-- refused with 23514 and the reason; the patterns they would have broken sync with no longer
-- exist. Valid patterns, including escaped backslashes, are saved.
begin;
\ir _helpers.psql
select plan(14);

select tests.create_user('patterns-admin@example.com', 'free', true) as admin_id \gset

create function tests.add_rule(fields jsonb)
returns void
language sql
set search_path = ''
as $$
  insert into public.model_access_rules (
    priority, name, status, match_model_id_like, match_model_id_regex, match_input_modality,
    match_output_modality
  )
  select
    r.priority, r.name, r.status, r.match_model_id_like, r.match_model_id_regex,
    r.match_input_modality, r.match_output_modality
  from jsonb_populate_record(
    null::public.model_access_rules,
    jsonb_build_object('priority', 1, 'name', 'pattern test', 'status', 'active') || add_rule.fields
  ) as r;
$$;
grant execute on all functions in schema tests to authenticated;

select tests.act_as(:'admin_id');
select throws_ok(
  $$select tests.add_rule('{"match_model_id_like": "openai/\\"}')$$,
  '23514',
  'match_model_id_like must not end in a single backslash (LIKE''s escape character); write \\ for a literal backslash',
  'a LIKE pattern ending in an unpaired backslash is refused'
);
select throws_ok(
  $$select tests.add_rule('{"match_model_id_like": "openai/\\\\\\"}')$$,
  '23514',
  'match_model_id_like must not end in a single backslash (LIKE''s escape character); write \\ for a literal backslash',
  'so is one after an escaped backslash'
);
select lives_ok(
  $$select tests.add_rule('{"match_model_id_like": "openai/\\\\", "name": "escaped backslash"}')$$,
  'an escaped backslash at the end is a literal backslash, and saved'
);
select is(
  (select count(*)::int from public.model_access where model_id like (
     select match_model_id_like from public.model_access_rules where name = 'escaped backslash')),
  0,
  'and matching against it answers rather than raising'
);
select throws_ok(
  $$select tests.add_rule('{"match_model_id_regex": "([a-z"}')$$,
  '23514',
  'match_model_id_regex is not a valid regular expression: brackets [] not balanced',
  'a regex that does not compile is refused, with the reason'
);
select throws_ok(
  $$select tests.add_rule('{"match_model_id_regex": "^(a+)\\1$"}')$$,
  '23514',
  'match_model_id_regex must not use back-references (\1 to \9): they can make matching take exponentially long',
  'a regex with a back-reference is refused'
);
select lives_ok(
  $$select tests.add_rule('{"match_model_id_regex": "^a\\\\1$", "name": "escaped digit"}')$$,
  'an escaped backslash before a digit is no back-reference, and saved'
);
select throws_ok(
  format($$select tests.add_rule('{"match_model_id_regex": "%s"}')$$, repeat('a', 501)),
  '23514',
  'match_model_id_regex may be at most 500 characters long',
  'a regex over 500 characters is refused'
);
select lives_ok(
  format($$select tests.add_rule('{"match_model_id_regex": "%s"}')$$, repeat('a', 500)),
  'one of 500 characters is saved'
);
select throws_ok(
  format($$select tests.add_rule('{"match_model_id_like": "%s"}')$$, repeat('a', 501)),
  '23514',
  'match_model_id_like may be at most 500 characters long',
  'a LIKE pattern over 500 characters is refused'
);
select throws_ok(
  $$select tests.add_rule('{"match_output_modality": "Image"}')$$,
  '23514',
  'match_output_modality must be a modality name in lowercase, e.g. text, image, audio, embeddings',
  'an output modality that is not a lowercase name is refused'
);
select throws_ok(
  $$select tests.add_rule('{"match_input_modality": "image "}')$$,
  '23514',
  'match_input_modality must be a modality name in lowercase, e.g. text, image, audio, file',
  'so is such an input modality'
);

-- An operator in Studio (no RLS) is refused the same way, on update too.
select tests.act_as_operator();
select throws_ok(
  $$update public.model_access_rules set match_model_id_like = 'x\' where name = 'escaped backslash'$$,
  '23514',
  'match_model_id_like must not end in a single backslash (LIKE''s escape character); write \\ for a literal backslash',
  'an operator''s update to a bad pattern is refused'
);
select is(
  (select count(*)::int from public.model_access_rules as r
   where private.model_access_rule_problem(r) is not null),
  0,
  'no saved rule has a pattern problem'
);

select * from finish();
rollback;

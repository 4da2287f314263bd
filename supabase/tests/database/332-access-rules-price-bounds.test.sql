-- A rule's price bounds are held to what a valid price is (private.parse_price, the one definition
-- the sync uses for the catalog's prices), by whoever writes the rule: a bound longer than a valid
-- price is refused with 23514 and the reason, through RLS and in Studio alike; ordinary bounds are
-- saved.
begin;
\ir _helpers.psql
select plan(4);

select tests.create_user('price-bounds-admin@example.com', 'free', true) as admin_id \gset

select tests.act_as(:'admin_id');
select throws_ok(
  $$insert into public.model_access_rules (priority, name, status, match_min_prompt_price)
    values (1, 'overlong bound', 'active', repeat('9', 60)::numeric)$$,
  '23514',
  'price bounds must be valid prices: decimals of at most 40 characters',
  'an admin''s rule with a bound no valid price can have is refused'
);
select throws_ok(
  $$insert into public.model_access_rules (priority, name, status, match_max_completion_price)
    values (1, 'tiny bound', 'active', ('0.' || repeat('0', 45) || '1')::numeric)$$,
  '23514',
  'price bounds must be valid prices: decimals of at most 40 characters',
  'so is one with more decimals than a valid price'
);
select lives_ok(
  $$insert into public.model_access_rules (priority, name, status, match_min_prompt_price,
      match_max_prompt_price)
    values (1, 'ordinary bounds', 'active', 0.0000005, 0.00002)$$,
  'ordinary bounds are saved'
);

select tests.act_as_operator();
select throws_ok(
  $$update public.model_access_rules set match_min_completion_price = repeat('9', 60)::numeric
     where name = 'ordinary bounds'$$,
  '23514',
  'price bounds must be valid prices: decimals of at most 40 characters',
  'an operator''s change in Studio is held to the same rule'
);

select * from finish();
rollback;

-- The tier hierarchy (public.subscription_tiers) decides every tier's list as much as the catalog
-- does, so an operator's change to it moves private.catalog_version at commit, like a catalog
-- change: the models function's cached lists follow it. A change that is rolled back does not.
-- As in 370: `set constraints all immediate` stands in for the commit.
begin;
\ir _helpers.psql
select plan(4);

select ok(
  exists (
    select 1 from pg_trigger as t
    where t.tgrelid = 'public.subscription_tiers'::regclass
      and t.tgname = 'bump_catalog_version'
      and t.tgconstraint <> 0 and t.tgdeferrable and t.tginitdeferred
  ),
  'subscription_tiers has the deferred bump trigger'
);

select tests.catalog_version() as v0 \gset
select tests.act_as_operator();

savepoint undone;
update public.subscription_tiers set sees_enterprise_models = true where tier = 'pro';
rollback to savepoint undone;
select is(tests.commit_point(), :'v0'::bigint, 'a rolled back hierarchy change: no bump');

update public.subscription_tiers set sees_enterprise_models = true where tier = 'pro';
select is(tests.catalog_version(), :'v0'::bigint, 'an operator''s hierarchy change: not before commit');
select is(tests.commit_point(), :'v0'::bigint + 1, 'and once at commit');

select * from finish();
rollback;

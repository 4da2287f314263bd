-- The Vault stand-in: create_secret/update_secret and decrypted_secrets as Supabase names them, with
-- Supabase's grants (postgres may read and delete secrets and write them only through the
-- functions; no API role has anything) and its refusal of a NULL description.
begin;
select plan(13);

select isnt(vault.create_secret('s3cr3t', 'compat_test_secret', 'a test secret'), null, 'create_secret returns an id');
select is(
  (select decrypted_secret from vault.decrypted_secrets where name = 'compat_test_secret'),
  's3cr3t', 'decrypted_secrets shows the secret by name'
);
select lives_ok(
  $$select vault.update_secret(
      (select id from vault.secrets where name = 'compat_test_secret'), 'rotated')$$,
  'update_secret changes a secret'
);
select is(
  (select decrypted_secret from vault.decrypted_secrets where name = 'compat_test_secret'),
  'rotated', 'the new value is visible'
);
select is(
  (select description from vault.secrets where name = 'compat_test_secret'),
  'a test secret', 'update_secret keeps what it is not given'
);
select vault.create_secret('s', 'compat_test_default_description') as default_description_id \gset
select is(
  (select description from vault.secrets where id = :'default_description_id'),
  '', 'the description defaults to an empty string'
);

select throws_ok(
  $$select vault.create_secret('s', 'compat_test_null_description', null)$$,
  '23502', 'null value in column "description" of relation "secrets" violates not-null constraint',
  'create_secret with a NULL description fails, as on Supabase'
);

select ok(
  has_table_privilege('postgres', 'vault.secrets', 'select')
    and has_table_privilege('postgres', 'vault.secrets', 'delete')
    and has_table_privilege('postgres', 'vault.decrypted_secrets', 'select'),
  'postgres may read and delete secrets'
);
select ok(
  not has_table_privilege('postgres', 'vault.secrets', 'insert')
    and not has_table_privilege('postgres', 'vault.secrets', 'update'),
  'postgres may not insert or update secrets directly'
);
select throws_ok(
  $$insert into vault.secrets (secret, name) values ('x', 'compat_test_direct')$$,
  '42501', 'permission denied for table secrets', 'a direct insert is refused'
);
select ok(
  not has_schema_privilege(r, 'vault', 'usage'), r || ' cannot use schema vault'
)
from unnest(array['anon', 'authenticated', 'service_role']) as r;

select * from finish();
rollback;

-- The Vault stand-in: create_secret/update_secret and decrypted_secrets as Supabase names them.
begin;
select plan(4);

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

select * from finish();
rollback;

-- Local stand-in for Supabase Vault: the names and signatures of vault.secrets,
-- vault.decrypted_secrets, vault.create_secret and vault.update_secret, without encryption.

create table vault.secrets (
  id uuid primary key default gen_random_uuid(),
  name text,
  description text not null default '',
  secret text not null,
  key_id uuid,
  nonce bytea,
  created_at timestamptz not null default current_timestamp,
  updated_at timestamptz not null default current_timestamp
);
create unique index secrets_name_idx on vault.secrets (name) where name is not null;

create view vault.decrypted_secrets as
select id, name, description, secret, secret as decrypted_secret, key_id, nonce, created_at, updated_at
from vault.secrets;

create function vault.create_secret(
  new_secret text,
  new_name text default null,
  new_description text default '',
  new_key_id uuid default null
) returns uuid
language sql volatile
set search_path = ''
as $$
  insert into vault.secrets (secret, name, description, key_id)
  values (
    create_secret.new_secret, create_secret.new_name,
    coalesce(create_secret.new_description, ''), create_secret.new_key_id
  )
  returning id
$$;

create function vault.update_secret(
  secret_id uuid,
  new_secret text default null,
  new_name text default null,
  new_description text default null,
  new_key_id uuid default null
) returns void
language sql volatile
set search_path = ''
as $$
  update vault.secrets set
    secret = coalesce(update_secret.new_secret, secret),
    name = coalesce(update_secret.new_name, name),
    description = coalesce(update_secret.new_description, description),
    key_id = coalesce(update_secret.new_key_id, key_id),
    updated_at = current_timestamp
  where id = update_secret.secret_id
$$;

revoke all on schema vault from public;
revoke all on all tables in schema vault from public;
revoke all on all functions in schema vault from public;
grant usage on schema vault to postgres, service_role;
grant select, insert, update, delete on vault.secrets to postgres, service_role;
grant select on vault.decrypted_secrets to postgres, service_role;
grant execute on all functions in schema vault to postgres, service_role;

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

-- Definer, as Supabase's: callers need no privilege on the table. The description goes in as
-- given, so a NULL one fails on the column's not-null constraint, as on Supabase.
create function vault.create_secret(
  new_secret text,
  new_name text default null,
  new_description text default '',
  new_key_id uuid default null
) returns uuid
language sql volatile security definer
set search_path = ''
as $$
  insert into vault.secrets (secret, name, description)
  values (create_secret.new_secret, create_secret.new_name, create_secret.new_description)
  returning id
$$;

create function vault.update_secret(
  secret_id uuid,
  new_secret text default null,
  new_name text default null,
  new_description text default null,
  new_key_id uuid default null
) returns void
language sql volatile security definer
set search_path = ''
as $$
  update vault.secrets as s set
    secret = coalesce(update_secret.new_secret, s.secret),
    name = coalesce(update_secret.new_name, s.name),
    description = coalesce(update_secret.new_description, s.description),
    updated_at = now()
  where s.id = update_secret.secret_id
$$;

-- Supabase's grants: `postgres` may read and delete secrets and call the two functions (all with
-- grant option); writes go through the functions; no other role has anything.
revoke all on schema vault from public;
revoke all on all tables in schema vault from public;
revoke all on all functions in schema vault from public;
grant usage on schema vault to postgres with grant option;
grant select, delete on vault.secrets, vault.decrypted_secrets to postgres with grant option;
grant execute on function vault.create_secret(text, text, text, uuid),
  vault.update_secret(uuid, text, text, text, uuid) to postgres with grant option;

-- Points the daily sync's Vault secrets at this local stack, as an operator does once on a hosted
-- project (README, "Daily sync"). Run by stack.ts with psql variables project_url and
-- sync_models_secret; creates each secret or updates it in place.
select vault.update_secret(id, :'project_url')
from vault.secrets
where name = 'project_url';

select vault.create_secret(:'project_url', 'project_url', 'Base URL of the functions for pg_cron')
where not exists (select from vault.secrets where name = 'project_url');

select vault.update_secret(id, :'sync_models_secret')
from vault.secrets
where name = 'sync_models_secret';

select vault.create_secret(:'sync_models_secret', 'sync_models_secret', 'CRON_SECRET of sync-models')
where not exists (select from vault.secrets where name = 'sync_models_secret');

-- A function's SET options hold for everything it runs, triggers included. The sync turns nested
-- loops and merge joins off for its own statement (see public.sync_openrouter_models), so a sync
-- that changed a status re-pointed defaults (repoint_default_models_after_access_change) with hash
-- joins only: it scanned and sorted the whole catalog to look up a few users' models, about 25 ms
-- of each 10k-model sync. Re-pointing plans with the server's defaults again.
alter function private.repoint_default_models(uuid[]) set enable_nestloop = on;
alter function private.repoint_default_models(uuid[]) set enable_mergejoin = on;

// Where a stack's PostgreSQL cluster lives. PostgreSQL refuses to run as root, so as root its tools
// run as the `postgres` user, which must reach the data folder and the log. It can when the stack's
// own folder (.local/<name>/) is open to it; a checkout in root's 0700 home is not, so the cluster
// then gets a folder of its own under /var/tmp/model-access, recorded in .local/<name>/cluster-dir
// for stop and reset. Clients (psql, the Supabase CLI) reach the cluster over TCP only.
import { createHash } from "node:crypto";
import { join } from "node:path";
import type { StackConfig } from "./config.ts";

export const sharedClustersDir = "/var/tmp/model-access";

export interface ClusterPlace {
  dir: string;
  dataDir: string;
  logFile: string;
}

export function clusterPlace(dir: string): ClusterPlace {
  return { dir, dataDir: join(dir, "pgdata"), logFile: join(dir, "postgres.log") };
}

/**
 * The folder for a new cluster: the stack's own when the `postgres` user can enter it, else one
 * under /var/tmp/model-access named for the stack and keyed by the stack folder's path, so two
 * checkouts (or two stacks of one) never share a cluster.
 */
export function chooseClusterDir(config: StackConfig, postgresCanEnter: boolean): string {
  if (postgresCanEnter) return config.dir;
  const key = createHash("sha256").update(config.dir).digest("hex").slice(0, 12);
  return join(sharedClustersDir, `${config.name}-${key}`);
}

const recordFile = (config: StackConfig) => join(config.dir, "cluster-dir");

/** The cluster folder recorded when the cluster was created; the stack's own folder if none. */
export async function recordedClusterDir(config: StackConfig): Promise<string> {
  try {
    return (await Deno.readTextFile(recordFile(config))).trim() || config.dir;
  } catch {
    return config.dir;
  }
}

export async function recordClusterDir(config: StackConfig, dir: string) {
  if (dir === config.dir) {
    await Deno.remove(recordFile(config)).catch(() => {});
  } else {
    await Deno.writeTextFile(recordFile(config), `${dir}\n`);
  }
}

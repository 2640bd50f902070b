// Wires one whole Strata (metadata store, under-storage, namespace, HTTP
// server) from a Config; main.ts and the tests both start it through here.
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { pino, type Logger } from 'pino';
import type { Config } from './config/config.ts';
import { SqliteMetadataStore } from './meta/sqlite/sqlite-store.ts';
import { Namespace } from './namespace/namespace.ts';
import { parseBaseDomains } from './s3/addressing.ts';
import { createS3Server } from './s3/server.ts';
import { LocalUnderStorage } from './storage/local/local-storage.ts';
import { createAdminHandler } from './admin/fs-api.ts';
import { CredentialStore } from './auth/credentials.ts';
import { Authenticator } from './auth/authenticate.ts';
import { createUsersApi } from './admin/users-api.ts';
import { PageCache } from './cache/page-cache.ts';
import { Persister } from './namespace/persister.ts';
import { StrataMetrics } from './admin/metrics.ts';
import { SecretBox } from './auth/secrets.ts';
import { ADAPTER_OPTIONS, SECRET_OPTIONS, openUnderStorage } from './storage/factory.ts';

export interface RunningStrata {
  /** Base URL of the server, e.g. http://127.0.0.1:39999 */
  url: string;
  port: number;
  ns: Namespace;
  /** Uploads ASYNC_THROUGH objects to their mounts in the background. */
  persister: Persister;
  close(): Promise<void>;
}

export async function startStrata(config: Config, logger: Logger = pino({ level: config.logLevel })): Promise<RunningStrata> {
  const storage = await LocalUnderStorage.open(config.dataDir, { durable: config.fsync });
  const store = SqliteMetadataStore.open(join(config.dataDir, '.strata', 'metadata.sqlite'), { durable: config.fsync });
  const cache = await PageCache.create({
    memoryBytes: config.cacheMemory,
    disk: config.cacheDisk > 0 ? { dir: config.cacheDir || join(config.dataDir, '.strata', 'cache'), bytes: config.cacheDisk } : undefined,
    pageSize: config.cachePageSize,
  });
  const ns = new Namespace(store, storage, {
    minPartSize: config.minPartSize,
    syncIntervalMs: config.metadataSyncInterval,
    defaultOwner: config.defaultUser,
  }, cache);
  const box = await SecretBox.open({
    file: config.masterKeyFile || join(config.dataDir, '.strata', 'master.key'),
    base64Key: config.masterKey || undefined,
  });
  const credentials = new CredentialStore(store, box);
  if (config.rootAccessKey) await credentials.bootstrapRoot(config.rootAccessKey, config.rootSecretKey);
  else if (config.auth === 'sigv4' && (await credentials.listUsers()).length === 0) {
    logger.warn('sigv4 authentication with no users: only anonymous requests can be served; set --root-access-key and --root-secret-key');
  }
  const mounts = await ns.loadMounts({
    open: (uri, options) => openUnderStorage(uri, options, config.fsync),
    secretOptions: SECRET_OPTIONS,
    adapterOptions: ADAPTER_OPTIONS,
    seal: (plain) => box.seal(plain),
    unseal: (sealed) => box.unseal(sealed),
  });
  for (const failure of mounts.failed) logger.error(failure, 'a mount could not be opened; its objects are unavailable');
  const recovered = await ns.recover();
  if (recovered.completed + recovered.rolledBack > 0) logger.info(recovered, 'recovered writes interrupted by a crash');
  // ASYNC_THROUGH objects still to upload: the queue is rows, so it outlives a restart.
  const persister = new Persister(ns.deps, {
    onError: (err, task) => logger.warn({ err, bucket: task.bucket, key: task.key, attempts: task.attempts + 1 }, 'persisting an object failed; will retry'),
  });
  persister.start();
  // Pins are kept in the rows; the cache learns them again once the mounts are known.
  const pins = await ns.restorePins();
  if (pins > 0) logger.info({ pins }, 'pinned objects restored');

  const settings = {
    region: config.region, prefix: config.prefix, defaultUser: config.defaultUser, baseDomains: parseBaseDomains(config.baseDomain),
    auth: config.auth,
  };
  // One authenticator for every API, so a user change (users-api.ts) reaches them all at once.
  const authenticator = new Authenticator({ mode: config.auth, credentials, defaultUser: config.defaultUser, region: config.region });
  const metrics = new StrataMetrics(cache);
  const admin = createAdminHandler(ns, settings, logger, authenticator);
  const users = createUsersApi(authenticator, logger);
  const server = createS3Server({
    ns, settings, logger, metrics, authenticator,
    adminRoutes: [metrics.route, users, admin],
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(config.port, config.host, () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  const host = config.host.includes(':') ? `[${config.host}]` : config.host;
  return {
    url: `http://${host}:${port}`,
    port,
    ns,
    persister,
    async close() {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      await persister.stop();
      await ns.close();
    },
  };
}

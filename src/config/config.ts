// The one configuration schema: every setting has a default, a flag, an env var
// and a config-file key. Nothing below main.ts reads process.env or argv.
import { readFileSync } from 'node:fs';
import { userInfo } from 'node:os';
import { resolve } from 'node:path';

type Kind = 'string' | 'int' | 'bool' | 'duration' | 'size';

interface Setting {
  kind: Kind;
  flag: string;
  env: string;
  doc: string;
}

/** Every setting, with its documentation. Defaults live in `defaults()`. */
export const SETTINGS = {
  host: { kind: 'string', flag: 'host', env: 'STRATA_HOST', doc: 'address to bind (loopback by default)' },
  port: { kind: 'int', flag: 'port', env: 'STRATA_PORT', doc: 'TCP port; 0 picks a free port' },
  dataDir: { kind: 'string', flag: 'data-dir', env: 'STRATA_DATA_DIR', doc: 'root of the local under-storage; metadata lives in DIR/.strata' },
  auth: { kind: 'string', flag: 'auth', env: 'STRATA_AUTH', doc: 'authentication: "sigv4" verifies signatures; "simple" trusts the user the Authorization header names (loopback binds only, unless --insecure-simple-auth)' },
  insecureSimpleAuth: { kind: 'bool', flag: 'insecure-simple-auth', env: 'STRATA_INSECURE_SIMPLE_AUTH', doc: 'allow simple auth on a non-loopback bind: anyone who reaches the port can act as anyone' },
  rootAccessKey: { kind: 'string', flag: 'root-access-key', env: 'STRATA_ROOT_ACCESS_KEY', doc: 'access key id of the root user, created or re-keyed at start (sigv4)' },
  rootSecretKey: { kind: 'string', flag: 'root-secret-key', env: 'STRATA_ROOT_SECRET_KEY', doc: 'secret key of the root user (sigv4)' },
  masterKey: { kind: 'string', flag: 'master-key', env: 'STRATA_MASTER_KEY', doc: 'base64 of the 32-byte key that seals stored secrets (prefer the env var to the flag); overrides the key file' },
  masterKeyFile: { kind: 'string', flag: 'master-key-file', env: 'STRATA_MASTER_KEY_FILE', doc: 'file holding the key that seals stored secrets; default DATA/.strata/master.key' },
  defaultUser: { kind: 'string', flag: 'default-user', env: 'STRATA_DEFAULT_USER', doc: 'user for requests without an Authorization header' },
  region: { kind: 'string', flag: 'region', env: 'STRATA_REGION', doc: 'region reported to clients' },
  prefix: { kind: 'string', flag: 'prefix', env: 'STRATA_PREFIX', doc: 'path prefix the S3 API is also served under' },
  baseDomain: { kind: 'string', flag: 'base-domain', env: 'STRATA_BASE_DOMAIN', doc: 'domain(s) for virtual-hosted style (bucket.DOMAIN), comma-separated; empty = path style only' },
  fsync: { kind: 'bool', flag: 'fsync', env: 'STRATA_FSYNC', doc: 'fsync data and metadata before acknowledging writes' },
  minPartSize: { kind: 'int', flag: 'min-part-size', env: 'STRATA_MIN_PART_SIZE', doc: 'smallest non-final multipart part in bytes (S3: 5242880); 0 = no minimum' },
  metadataSyncInterval: { kind: 'duration', flag: 'metadata-sync-interval', env: 'STRATA_METADATA_SYNC_INTERVAL', doc: 'how often a listing re-reads a directory of the data dir: ms, or "always"/"never"' },
  cacheMemory: { kind: 'size', flag: 'cache-memory', env: 'STRATA_CACHE_MEMORY', doc: 'memory tier of the page cache for remote mounts: bytes, or 256MiB, 1GiB' },
  cacheDisk: { kind: 'size', flag: 'cache-disk', env: 'STRATA_CACHE_DISK', doc: 'local-disk tier of the page cache; 0 = none' },
  cacheDir: { kind: 'string', flag: 'cache-dir', env: 'STRATA_CACHE_DIR', doc: 'directory of the disk tier; default DATA/.strata/cache' },
  cachePageSize: { kind: 'size', flag: 'cache-page-size', env: 'STRATA_CACHE_PAGE_SIZE', doc: 'page size of the cache' },
  logLevel: { kind: 'string', flag: 'log-level', env: 'STRATA_LOG_LEVEL', doc: 'pino level: trace, debug, info, warn, error, silent' },
} as const satisfies Record<string, Setting>;

export type SettingName = keyof typeof SETTINGS;

export interface Config {
  readonly host: string;
  readonly port: number;
  readonly dataDir: string;
  readonly auth: 'simple' | 'sigv4';
  readonly insecureSimpleAuth: boolean;
  readonly rootAccessKey: string;
  readonly rootSecretKey: string;
  readonly masterKey: string;
  /** '' = DATA/.strata/master.key */
  readonly masterKeyFile: string;
  readonly defaultUser: string;
  readonly region: string;
  readonly prefix: string;
  /** Comma-separated base domains for virtual-hosted style; '' = off. */
  readonly baseDomain: string;
  readonly fsync: boolean;
  readonly minPartSize: number;
  /** milliseconds; 0 = always, -1 = never */
  readonly metadataSyncInterval: number;
  readonly cacheMemory: number;
  readonly cacheDisk: number;
  /** '' = DATA/.strata/cache */
  readonly cacheDir: string;
  readonly cachePageSize: number;
  readonly logLevel: string;
}

export function defaults(): Config {
  return {
    host: '127.0.0.1',
    port: 39999,
    dataDir: resolve('data'),
    auth: 'simple',
    insecureSimpleAuth: false,
    rootAccessKey: '',
    rootSecretKey: '',
    masterKey: '',
    masterKeyFile: '',
    defaultUser: userInfo().username,
    region: 'us-east-1',
    prefix: '/api/v1/s3',
    baseDomain: '',
    fsync: true,
    minPartSize: 0,
    metadataSyncInterval: 1000,
    cacheMemory: 256 * 1024 * 1024,
    cacheDisk: 4 * 1024 * 1024 * 1024,
    cacheDir: '',
    cachePageSize: 1024 * 1024,
    logLevel: 'info',
  };
}

export class ConfigError extends Error {}

/** 127.0.0.0/8, ::1 and localhost: addresses only this machine can reach. */
export function isLoopback(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, '').toLowerCase();
  return h === 'localhost' || h === '::1' || /^127(\.\d{1,3}){3}$/.test(h) || /^::ffff:127(\.\d{1,3}){3}$/.test(h);
}

function parseValue(name: SettingName, raw: unknown): unknown {
  const kind: Kind = SETTINGS[name].kind;
  const text = String(raw).trim();
  switch (kind) {
    case 'string':
      return text;
    case 'int': {
      if (!/^\d+$/.test(text)) throw new ConfigError(`${name}: expected a non-negative integer, got "${text}"`);
      return Number(text);
    }
    case 'bool': {
      if (/^(1|true|yes|on)$/i.test(text)) return true;
      if (/^(0|false|no|off)$/i.test(text)) return false;
      throw new ConfigError(`${name}: expected true or false, got "${text}"`);
    }
    case 'size': {
      const m = /^(\d+)\s*(B|KiB|MiB|GiB|TiB|K|M|G|T)?$/i.exec(text);
      if (!m) throw new ConfigError(`${name}: expected a size (1048576, 512KiB, 256MiB, 4GiB), got "${text}"`);
      const unit = (m[2] ?? 'B').toUpperCase()[0];
      const shift = { B: 0, K: 10, M: 20, G: 30, T: 40 }[unit] ?? 0;
      return Number(m[1]) * 2 ** shift;
    }
    case 'duration': {
      if (text === 'always') return 0;
      if (text === 'never') return -1;
      const m = /^(\d+)(ms|s|m)?$/.exec(text);
      if (!m) throw new ConfigError(`${name}: expected a duration (500ms, 10s, 5m, always, never), got "${text}"`);
      return Number(m[1]) * (m[2] === 's' ? 1000 : m[2] === 'm' ? 60_000 : 1);
    }
  }
}

function validate(c: Config): Config {
  if (c.auth !== 'simple' && c.auth !== 'sigv4') throw new ConfigError(`auth: expected "simple" or "sigv4", got "${c.auth}"`);
  if (c.auth === 'simple' && !isLoopback(c.host) && !c.insecureSimpleAuth) {
    throw new ConfigError(
      `auth: "simple" trusts whatever user a request names, so it is only allowed on a loopback address, and ${c.host} is not one. ` +
        'Use --auth sigv4 (with --root-access-key/--root-secret-key), or pass --insecure-simple-auth to accept the risk.',
    );
  }
  if ((c.rootAccessKey === '') !== (c.rootSecretKey === '')) throw new ConfigError('rootAccessKey and rootSecretKey go together: give both or neither');
  if (c.port > 65535) throw new ConfigError(`port: ${c.port} is out of range`);
  if (c.prefix !== '' && (!c.prefix.startsWith('/') || c.prefix.endsWith('/'))) {
    throw new ConfigError(`prefix: must start with "/" and not end with one, got "${c.prefix}"`);
  }
  for (const domain of c.baseDomain.split(',').map((d) => d.trim())) {
    // A bare host name (no scheme, port or path): it is matched against the Host header's name.
    if (domain !== '' && !/^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*\.?$/i.test(domain)) {
      throw new ConfigError(`baseDomain: expected host names separated by commas (e.g. "s3.local,localhost"), got "${domain}"`);
    }
  }
  return c;
}

/**
 * Builds the Config from, in rising precedence: defaults, the config file
 * (--config FILE or STRATA_CONFIG, JSON keyed by setting name), env vars, flags.
 * Returns the positional arguments that were not flags too.
 */
export function loadConfig(argv: readonly string[], env: NodeJS.ProcessEnv): { config: Config; rest: string[] } {
  const values: Record<string, unknown> = { ...defaults() };
  const flags = new Map<string, string>();
  const rest: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (!arg.startsWith('--')) {
      rest.push(arg);
      continue;
    }
    const eq = arg.indexOf('=');
    const name = eq > 0 ? arg.slice(2, eq) : arg.slice(2);
    let value: string;
    if (eq > 0) value = arg.slice(eq + 1);
    else if (name.startsWith('no-')) {
      flags.set(name.slice(3), 'false');
      continue;
    } else if (i + 1 < argv.length && !argv[i + 1].startsWith('--')) value = argv[++i];
    else value = 'true';
    flags.set(name, value);
  }
  const configFile = flags.get('config') ?? env.STRATA_CONFIG;
  flags.delete('config');
  if (configFile) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(readFileSync(configFile, 'utf8'));
    } catch (err) {
      throw new ConfigError(`config file ${configFile}: ${(err as Error).message}`);
    }
    if (typeof parsed !== 'object' || parsed === null) throw new ConfigError(`config file ${configFile}: expected a JSON object`);
    for (const [key, raw] of Object.entries(parsed)) {
      if (!(key in SETTINGS)) throw new ConfigError(`config file ${configFile}: unknown setting "${key}"`);
      values[key] = parseValue(key as SettingName, raw);
    }
  }
  const byFlag = new Map<string, SettingName>();
  for (const name of Object.keys(SETTINGS) as SettingName[]) {
    byFlag.set(SETTINGS[name].flag, name);
    const fromEnv = env[SETTINGS[name].env];
    if (fromEnv !== undefined && fromEnv !== '') values[name] = parseValue(name, fromEnv);
  }
  for (const [flag, raw] of flags) {
    const name = byFlag.get(flag);
    if (!name) throw new ConfigError(`unknown flag --${flag}`);
    values[name] = parseValue(name, raw);
  }
  values.dataDir = resolve(String(values.dataDir));
  return { config: Object.freeze(validate(values as unknown as Config)), rest };
}

/** Help text generated from the schema, so flags and docs cannot drift apart. */
export function usage(): string {
  const d = defaults() as unknown as Record<string, unknown>;
  const lines = Object.entries(SETTINGS).map(([name, s]) =>
    `  --${s.flag.padEnd(24)} ${s.env.padEnd(32)} ${s.doc} (default: ${JSON.stringify(d[name])})`);
  return ['Usage: strata-server [--config FILE] [flags]', '', '  flag                       env var', ...lines].join('\n');
}

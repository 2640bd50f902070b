// The settings schema: defaults, precedence (file < env < flags), parsing, and
// the refusals that keep a misconfigured gateway from starting.
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { ConfigError, SETTINGS, defaults, isLoopback, loadConfig, usage } from './config.ts';

describe('config', () => {
  it('starts from the documented defaults', () => {
    const { config } = loadConfig([], {});
    assert.equal(config.host, '127.0.0.1');
    assert.equal(config.port, 39999);
    assert.equal(config.prefix, '/api/v1/s3');
    assert.equal(config.auth, 'simple');
    assert.equal(config.fsync, true);
    assert.equal(config.minPartSize, 0);
    assert.ok(Object.isFrozen(config));
  });

  it('takes the file, then env vars, then flags, each over the one before', () => {
    const dir = mkdtempSync(join(tmpdir(), 'strata-config-'));
    const file = join(dir, 'strata.json');
    writeFileSync(file, JSON.stringify({ port: 1000, region: 'eu-west-1', fsync: false, dataDir: dir }));
    const { config } = loadConfig(['--config', file, '--port', '3000'], { STRATA_PORT: '2000', STRATA_REGION: 'ap-south-1' });
    assert.equal(config.port, 3000);
    assert.equal(config.region, 'ap-south-1');
    assert.equal(config.fsync, false);
    assert.equal(config.dataDir, dir);
  });

  it('parses flag forms, booleans and durations', () => {
    const { config, rest } = loadConfig(['--port=0', '--no-fsync', '--metadata-sync-interval', '10s', 'extra'], {});
    assert.equal(config.port, 0);
    assert.equal(config.fsync, false);
    assert.equal(config.metadataSyncInterval, 10_000);
    assert.deepEqual(rest, ['extra']);
    assert.equal(loadConfig(['--metadata-sync-interval', 'always'], {}).config.metadataSyncInterval, 0);
    assert.equal(loadConfig(['--metadata-sync-interval', 'never'], {}).config.metadataSyncInterval, -1);
  });

  it('refuses unknown flags, bad values and unknown config keys', () => {
    assert.throws(() => loadConfig(['--no-such-flag', '1'], {}), ConfigError);
    assert.throws(() => loadConfig(['--port', 'eighty'], {}), ConfigError);
    assert.throws(() => loadConfig(['--port', '70000'], {}), ConfigError);
    assert.throws(() => loadConfig(['--fsync', 'maybe'], {}), ConfigError);
    assert.throws(() => loadConfig(['--auth', 'kerberos'], {}), ConfigError);
    const dir = mkdtempSync(join(tmpdir(), 'strata-config-'));
    writeFileSync(join(dir, 'bad.json'), JSON.stringify({ prot: 1 }));
    assert.throws(() => loadConfig(['--config', join(dir, 'bad.json')], {}), /unknown setting "prot"/);
  });

  it('allows simple auth only on loopback, naming the flag that opts out', () => {
    assert.throws(() => loadConfig(['--host', '0.0.0.0'], {}), /--insecure-simple-auth/);
    assert.throws(() => loadConfig([], { STRATA_HOST: '10.1.2.3' }), ConfigError);
    assert.equal(loadConfig(['--host', '0.0.0.0', '--insecure-simple-auth'], {}).config.host, '0.0.0.0');
    assert.equal(loadConfig(['--host', '0.0.0.0', '--auth', 'sigv4'], {}).config.auth, 'sigv4');
    assert.equal(loadConfig(['--host', '::1'], {}).config.host, '::1');
    assert.equal(loadConfig(['--host', 'localhost'], {}).config.host, 'localhost');
  });

  it('wants both root keys or neither', () => {
    assert.throws(() => loadConfig(['--root-access-key', 'AK'], {}), /go together/);
    const { config } = loadConfig([], { STRATA_ROOT_ACCESS_KEY: 'AK', STRATA_ROOT_SECRET_KEY: 'secret-123' });
    assert.equal(config.rootAccessKey, 'AK');
  });

  it('knows loopback addresses', () => {
    for (const h of ['127.0.0.1', '127.5.6.7', '::1', '[::1]', 'localhost', '::ffff:127.0.0.1']) assert.equal(isLoopback(h), true, h);
    for (const h of ['0.0.0.0', '10.0.0.1', '::', 'example.com', '128.0.0.1']) assert.equal(isLoopback(h), false, h);
  });

  it('documents every setting in the help text', () => {
    const text = usage();
    const d = defaults() as unknown as Record<string, unknown>;
    for (const [name, s] of Object.entries(SETTINGS)) {
      assert.match(text, new RegExp(`--${s.flag}\\b`), name);
      assert.match(text, new RegExp(s.env), name);
      assert.ok(name in d, `${name} has a default`);
    }
  });
});

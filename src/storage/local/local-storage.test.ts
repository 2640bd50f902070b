// Tests for LocalUnderStorage: the shared UnderStorage contract (durable and
// not), plus what only a local directory promises: objects are plain files at
// root/path, nothing can escape root, staging lives under .strata/staging, and
// concurrent durable commits share directory fsyncs.
import assert from 'node:assert/strict';
import { mkdtemp, readFile, readdir, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { underStorageContract } from '../contract.ts';
import { StorageError } from '../under-storage.ts';
import { LocalUnderStorage } from './local-storage.ts';

const roots: string[] = [];
async function tempRoot(): Promise<string> {
  const root = await mkdtemp(join(tmpdir(), 'strata-local-'));
  roots.push(root);
  return root;
}
after(async () => {
  await Promise.all(roots.map((r) => rm(r, { recursive: true, force: true })));
});

for (const durable of [true, false]) {
  let root = '';
  underStorageContract(
    `local directory (durable: ${durable})`,
    async () => {
      root = await tempRoot();
      return LocalUnderStorage.open(root, { durable });
    },
    () => rm(root, { recursive: true, force: true }),
  );
}

describe('LocalUnderStorage specifics', () => {
  let root: string;
  let s: LocalUnderStorage;

  before(async () => {
    // A root that does not exist yet: open must create it.
    root = join(await tempRoot(), 'nested', 'root');
    s = await LocalUnderStorage.open(root, { durable: true });
  });

  const put = async (path: string, data: string): Promise<void> => {
    await s.commit(await s.stage(Readable.from([Buffer.from(data)])), path);
  };

  it('open creates root and the staging directory', async () => {
    assert.equal((await stat(join(root, '.strata', 'staging'))).isDirectory(), true);
  });

  it('stores objects as plain files at root/path', async () => {
    await put('bucket/dir/obj.txt', 'plain bytes');
    assert.equal(await readFile(join(root, 'bucket', 'dir', 'obj.txt'), 'utf8'), 'plain bytes');
  });

  it('stages under .strata/staging with a random hex name', async () => {
    const staged = await s.stage(Readable.from([Buffer.from('staged')]));
    assert.match(staged.stagedPath, /^\.strata\/staging\/[0-9a-f]{32}$/);
    assert.equal(await readFile(join(root, staged.stagedPath), 'utf8'), 'staged');
    await s.discard(staged);
    await assert.rejects(stat(join(root, staged.stagedPath)), { code: 'ENOENT' });
  });

  it('has no version tags: a read pinned to one is refused as a programming error, not CHANGED', async () => {
    await put('bucket/untagged', 'bytes');
    assert.equal((await s.stat('bucket/untagged'))?.etag, undefined);
    await assert.rejects(s.read('bucket/untagged', undefined, { ifMatch: 'abc' }), (err: unknown) => err instanceof Error && !(err instanceof StorageError));
  });

  it('list("") shows the reserved .strata directory (the namespace hides it)', async () => {
    const names = (await s.list('')).map((e) => e.name);
    assert.ok(names.includes('.strata'), `got ${names.join(',')}`);
  });

  const escapes = ['../x', '/etc/passwd', 'a/../../b', 'a\u0000b', 'a//b', './a', 'a/', '..'];
  for (const bad of escapes) {
    it(`rejects the escaping path ${JSON.stringify(bad)} in every method`, async () => {
      const staged = await s.stage(Readable.from([Buffer.from('x')]));
      const calls: Array<[string, () => Promise<unknown>]> = [
        ['commit', () => s.commit(staged, bad)],
        ['read', () => s.read(bad)],
        ['stat', () => s.stat(bad)],
        ['list', () => s.list(bad)],
        ['mkdir', () => s.mkdir(bad)],
        ['deleteFile', () => s.deleteFile(bad)],
        ['rmdir', () => s.rmdir(bad)],
        ['pruneEmptyDirs path', () => s.pruneEmptyDirs(bad, '')],
        ['pruneEmptyDirs stopAt', () => s.pruneEmptyDirs('a', bad)],
      ];
      for (const [method, call] of calls) {
        await assert.rejects(call(), (err: unknown) => {
          // A programming error, not a storage condition the namespace would map to S3.
          assert.ok(err instanceof Error && !(err instanceof StorageError), `${method}: ${String(err)}`);
          return true;
        });
      }
      assert.equal(await s.stagedExists(staged.stagedPath), true);
      await s.discard(staged);
    });
  }

  it('accepts only staged paths it made', async () => {
    for (const bad of ['../../etc/passwd', '.strata/staging/../../x', 'bucket/dir/obj.txt', '.strata/staging/ABC']) {
      await assert.rejects(s.stagedExists(bad), /not a staged path/);
      await assert.rejects(s.discard(bad), /not a staged path/);
      await assert.rejects(s.commit(bad, 'victim'), /not a staged path/);
    }
    assert.equal(await readFile(join(root, 'bucket', 'dir', 'obj.txt'), 'utf8'), 'plain bytes');
  });

  it('pruneEmptyDirs rejects a stopAt that is not an ancestor', async () => {
    await assert.rejects(s.pruneEmptyDirs('x/y', 'z'), /not under/);
  });

  it('groups the directory fsyncs of concurrent durable commits', async () => {
    await s.mkdir('grouped');
    const staged = await Promise.all(
      Array.from({ length: 100 }, (_, i) => s.stage(Readable.from([Buffer.from(`g${i}`)]))),
    );
    const before = s.directorySyncCount;
    await Promise.all(staged.map((st, i) => s.commit(st, `grouped/${i}`)));
    const syncs = s.directorySyncCount - before;
    // Renames finish over several ticks, so more than one, but nowhere near one per commit.
    assert.ok(syncs >= 1 && syncs <= 25, `${syncs} directory fsyncs for 100 commits`);
    assert.equal((await readdir(join(root, 'grouped'))).length, 100);
  });

  it('fsyncs directories created by a durable commit', async () => {
    const before = s.directorySyncCount;
    await put('fresh/a/b/obj', 'deep');
    // fresh/a/b holds obj; fresh/a holds b; fresh holds a; root holds fresh.
    assert.equal(s.directorySyncCount - before, 4);
  });

  it('a non-durable store never fsyncs directories', async () => {
    const quick = await LocalUnderStorage.open(await tempRoot(), { durable: false });
    await quick.commit(await quick.stage(Readable.from([Buffer.from('q')])), 'x/y/z');
    await quick.deleteFile('x/y/z');
    await quick.pruneEmptyDirs('x/y', '');
    assert.equal(quick.directorySyncCount, 0);
  });
});

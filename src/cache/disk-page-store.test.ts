// Tests for DiskPageStore: the shared PageStore contract, plus what only a disk
// store promises: the file layout and framing, corrupt pages detected and
// dropped, pages surviving a reopen (temp files swept, LRU order by mtime,
// oldest dropped when the capacity shrank), and disk failures (ENOSPC, EIO,
// failed rename/unlink) counted, never thrown. Failures are injected through
// DiskOps: the suite runs as root, where a read-only directory stops nothing.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, readdir, rm, stat, utimes, writeFile, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { crc32 } from 'node:zlib';
import { DiskPageStore } from './disk-page-store.ts';
import { nodeDiskOps, type DiskOps } from './page-file.ts';
import { pageStoreContract } from './page-store-contract.ts';

const dirs: string[] = [];
async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'strata-pages-'));
  dirs.push(dir);
  return dir;
}
after(async () => {
  await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
});

function failing(code: string): Error {
  return Object.assign(new Error(`injected ${code}`), { code });
}

const FILE = 'f0a1b2c3d4e5f60718293a4b5c6d7e8f';
const key = (index: number, fileId = FILE) => ({ fileId, index });

pageStoreContract('disk', async (capacity) => DiskPageStore.open(await tempDir(), capacity));

describe('DiskPageStore', () => {
  it('writes one framed file per page at dir/<fileId[0..2]>/<fileId>/<index>, no temp left', async () => {
    const dir = await tempDir();
    const store = await DiskPageStore.open(dir, 10_000);
    const data = randomBytes(1000);
    await store.put(key(7), [data]);
    const path = join(dir, 'f0', FILE, '7');
    assert.equal(store.pagePath(key(7)), path);
    const file = await readFile(path);
    assert.equal(file.length, 12 + 1000);
    assert.equal(file.subarray(0, 4).toString('latin1'), 'SPG1');
    assert.equal(file.readUInt32BE(4), crc32(data));
    assert.equal(file.readUInt32BE(8), 1000);
    assert.deepEqual(file.subarray(12), data);
    assert.deepEqual(await readdir(join(dir, 'f0', FILE)), ['7']);
  });

  for (const [what, damage] of [
    ['a flipped data byte', (f: Buffer) => { f[500] ^= 0x01; return f; }],
    ['a flipped checksum byte', (f: Buffer) => { f[5] ^= 0x80; return f; }],
    ['a truncated file', (f: Buffer) => f.subarray(0, 700)],
    ['a bad magic', (f: Buffer) => { f[0] = 0; return f; }],
    ['a file shorter than the header', (f: Buffer) => f.subarray(0, 5)],
  ] as const) {
    it(`detects ${what}: a miss, counted, the file deleted`, async () => {
      const dir = await tempDir();
      const store = await DiskPageStore.open(dir, 10_000);
      await store.put(key(0), [randomBytes(1000)]);
      await store.put(key(1), [randomBytes(10)]);
      const path = store.pagePath(key(0));
      await writeFile(path, damage(await readFile(path)));
      assert.equal(await store.get(key(0)), undefined);
      assert.equal(store.errors().corruptPages, 1);
      assert.equal(store.has(key(0)), false);
      assert.equal(store.bytesUsed(), 10);
      await assert.rejects(stat(path), { code: 'ENOENT' });
      assert.equal(await store.get(key(0)), undefined);
      assert.equal(store.errors().corruptPages, 1, 'a forgotten page is not re-read');
    });
  }

  it('forgets a page whose file was removed behind its back', async () => {
    const dir = await tempDir();
    const store = await DiskPageStore.open(dir, 10_000);
    await store.put(key(0), [randomBytes(100)]);
    await rm(store.pagePath(key(0)));
    assert.equal(await store.get(key(0)), undefined);
    assert.equal(store.has(key(0)), false);
    assert.equal(store.bytesUsed(), 0);
    assert.deepEqual(store.errors(), { corruptPages: 0, readErrors: 0, writeErrors: 0, deleteErrors: 0 });
  });

  it("creates a file's directory for its first page only, and again if it vanished", async () => {
    const dir = await tempDir();
    const made: string[] = [];
    const ops: DiskOps = { ...nodeDiskOps, mkdir: async (path) => { made.push(path); await nodeDiskOps.mkdir(path); } };
    const store = await DiskPageStore.open(dir, 10_000, { ops });
    made.length = 0;
    for (let i = 0; i < 3; i++) assert.equal(await store.put(key(i), [randomBytes(10)]), true);
    assert.deepEqual(made, [join(dir, 'f0', FILE)]);
    await rm(join(dir, 'f0', FILE), { recursive: true });
    const data = randomBytes(10);
    assert.equal(await store.put(key(3), [data]), true);
    assert.deepEqual(await store.get(key(3)), [data]);
    assert.equal(store.errors().writeErrors, 0);
  });

  it("removes a file's directory with its last page", async () => {
    const dir = await tempDir();
    const store = await DiskPageStore.open(dir, 10_000);
    await store.put(key(0), [randomBytes(10)]);
    await store.put(key(1), [randomBytes(10)]);
    await store.delete(key(0));
    assert.deepEqual(await readdir(join(dir, 'f0', FILE)), ['1']);
    await store.delete(key(1));
    assert.deepEqual(await readdir(join(dir, 'f0')), []);
  });

  it('reopens with its pages, oldest first, sweeping temp files and junk-sized frames', async () => {
    const dir = await tempDir();
    const first = await DiskPageStore.open(dir, 10_000);
    const pages = [randomBytes(100), randomBytes(200), randomBytes(300)];
    for (let i = 0; i < 3; i++) await first.put(key(i), [pages[i]]);
    // Written 0, 1, 2 but used 2, 0, 1 (by mtime): the reopened order follows mtime.
    const t = Date.now() / 1000;
    await utimes(first.pagePath(key(2)), t - 300, t - 300);
    await utimes(first.pagePath(key(0)), t - 200, t - 200);
    await utimes(first.pagePath(key(1)), t - 100, t - 100);
    await writeFile(join(dir, 'f0', FILE, '9.abc.tmp'), 'half a page');
    await writeFile(join(dir, 'f0', FILE, '8'), 'short');
    await mkdir(join(dir, 'ab', 'abffff'), { recursive: true });

    const second = await DiskPageStore.open(dir, 10_000);
    assert.deepEqual(second.entries().map((e) => [e.key.index, e.size]), [[2, 300], [0, 100], [1, 200]]);
    assert.equal(second.bytesUsed(), 600);
    for (let i = 0; i < 3; i++) assert.deepEqual(await second.get(key(i)), [pages[i]]);
    assert.deepEqual((await readdir(join(dir, 'f0', FILE))).sort(), ['0', '1', '2']);
    assert.deepEqual(await readdir(join(dir, 'ab')), [], 'an empty file directory is removed');
  });

  it('drops the oldest pages when reopened with a smaller capacity', async () => {
    const dir = await tempDir();
    const first = await DiskPageStore.open(dir, 10_000);
    for (let i = 0; i < 4; i++) await first.put(key(i), [randomBytes(100)]);
    const t = Date.now() / 1000;
    for (let i = 0; i < 4; i++) await utimes(first.pagePath(key(i)), t - 100 + i, t - 100 + i);
    const second = await DiskPageStore.open(dir, 250);
    assert.deepEqual(second.entries().map((e) => e.key.index), [2, 3]);
    assert.equal(second.bytesUsed(), 200);
    await assert.rejects(stat(first.pagePath(key(0))), { code: 'ENOENT' });
  });

  it('turns ENOSPC on write into a refused, counted put with nothing left behind', async () => {
    const dir = await tempDir();
    const ops: DiskOps = {
      ...nodeDiskOps,
      writeFile: async (path, chunks) => {
        await nodeDiskOps.writeFile(path, [chunks[0]]); // a partial temp file, as a full disk leaves
        throw failing('ENOSPC');
      },
    };
    const store = await DiskPageStore.open(dir, 10_000, { ops });
    assert.equal(await store.put(key(0), [randomBytes(100)]), false);
    assert.equal(store.errors().writeErrors, 1);
    assert.equal(store.bytesUsed(), 0);
    assert.equal(store.has(key(0)), false);
    assert.deepEqual(await readdir(join(dir, 'f0', FILE)), []);
  });

  it('turns a failed rename or mkdir into a refused put', async () => {
    for (const broken of ['rename', 'mkdir'] as const) {
      const dir = await tempDir();
      let armed = false;
      const ops: DiskOps = broken === 'rename'
        ? { ...nodeDiskOps, rename: async (from, to) => (armed ? Promise.reject(failing('EACCES')) : nodeDiskOps.rename(from, to)) }
        : { ...nodeDiskOps, mkdir: async (path) => (armed ? Promise.reject(failing('EACCES')) : nodeDiskOps.mkdir(path)) };
      const store = await DiskPageStore.open(dir, 10_000, { ops });
      armed = true;
      assert.equal(await store.put(key(0), [randomBytes(100)]), false, broken);
      assert.equal(store.errors().writeErrors, 1, broken);
      assert.equal(store.bytesUsed(), 0, broken);
    }
  });

  it('turns EIO on read into a counted miss and keeps the page listed', async () => {
    const dir = await tempDir();
    let broken = false;
    const ops: DiskOps = {
      ...nodeDiskOps,
      readFile: async (path) => {
        if (broken) throw failing('EIO');
        return nodeDiskOps.readFile(path);
      },
    };
    const store = await DiskPageStore.open(dir, 10_000, { ops });
    const data = randomBytes(100);
    await store.put(key(0), [data]);
    broken = true;
    assert.equal(await store.get(key(0)), undefined);
    assert.equal(store.errors().readErrors, 1);
    assert.equal(store.has(key(0)), true);
    broken = false;
    assert.deepEqual(await store.get(key(0)), [data], 'a transient error does not lose the page');
  });

  it('counts a failed unlink and forgets the page all the same', async () => {
    const dir = await tempDir();
    const ops: DiskOps = { ...nodeDiskOps, unlink: async () => { throw failing('EIO'); } };
    const store = await DiskPageStore.open(dir, 10_000, { ops });
    await store.put(key(0), [randomBytes(100)]);
    await store.delete(key(0));
    assert.equal(store.errors().deleteErrors, 1);
    assert.equal(store.has(key(0)), false);
    assert.equal(store.bytesUsed(), 0);
  });
});

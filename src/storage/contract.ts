// The UnderStorage contract suite: every implementation (local directory now,
// S3-compatible later) calls `underStorageContract` from its own test file and
// must pass it unchanged. Only the interface is used, so the same assertions
// hold everywhere. Each test works under its own random prefix, so tests do not
// depend on each other's leftovers.
//
// Contract decisions pinned here (beyond the interface comments):
// - a failed commit leaves the staged data in place; the caller discards it;
// - read/stat of a path below a file is NOT_FOUND / undefined (nothing is there);
// - the staging area can be listed via `list(dirname(stagedPath))`, which is how
//   "nothing left behind" is checked after a failed stage.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { StorageError } from './under-storage.ts';
import type { StagedWrite, StorageErrorCode, UnderStorage } from './under-storage.ts';

const MiB = 1024 * 1024;

async function readAll(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(Buffer.from(chunk as Uint8Array));
  return Buffer.concat(chunks);
}

/** Streams `data` in `chunkSize` pieces, so stage sees many writes, not one. */
function chunked(data: Buffer, chunkSize = 64 * 1024): Readable {
  return Readable.from(
    (function* () {
      for (let i = 0; i < data.length; i += chunkSize) yield data.subarray(i, i + chunkSize);
    })(),
  );
}

async function rejectsWith(promise: Promise<unknown>, code: StorageErrorCode): Promise<void> {
  await assert.rejects(promise, (err: unknown) => {
    assert.ok(err instanceof StorageError, `expected StorageError ${code}, got ${String(err)}`);
    assert.equal(err.code, code);
    return true;
  });
}

function parentOf(path: string): string {
  const i = path.lastIndexOf('/');
  return i < 0 ? '' : path.slice(0, i);
}

export function underStorageContract(
  name: string,
  open: () => Promise<UnderStorage>,
  cleanup?: () => Promise<void>,
): void {
  describe(`UnderStorage contract: ${name}`, () => {
    let s: UnderStorage;
    let stagingDir: string;

    before(async () => {
      s = await open();
      // Learn where this store stages, to look for leftovers after failed stages.
      const probe = await s.stage(Readable.from([Buffer.from('probe')]));
      stagingDir = parentOf(probe.stagedPath);
      await s.discard(probe);
    });
    if (cleanup) after(cleanup);

    const stageBytes = (data: Buffer): Promise<StagedWrite> => s.stage(chunked(data));
    const put = async (path: string, data: Buffer): Promise<void> => {
      await s.commit(await stageBytes(data), path);
    };
    const get = async (path: string): Promise<Buffer> => readAll(await s.read(path));
    const stagedNames = async (): Promise<string[]> => {
      try {
        return (await s.list(stagingDir)).map((e) => e.name).sort();
      } catch (err) {
        if (err instanceof StorageError && err.code === 'NOT_FOUND') return [];
        throw err;
      }
    };
    const prefix = (): string => `t-${randomBytes(6).toString('hex')}`;

    describe('stage and commit', () => {
      it('reads back exactly what was committed', async () => {
        const p = `${prefix()}/hello.txt`;
        const staged = await stageBytes(Buffer.from('hello, strata'));
        assert.equal(staged.size, 13);
        assert.equal(await s.stagedExists(staged.stagedPath), true);
        await s.commit(staged, p);
        assert.equal(await s.stagedExists(staged.stagedPath), false);
        assert.equal((await get(p)).toString(), 'hello, strata');
      });

      it('streams a multi-MiB body in chunks intact', async () => {
        const data = randomBytes(5 * MiB + 123);
        const staged = await s.stage(chunked(data, 64 * 1024 + 7));
        assert.equal(staged.size, data.length);
        const p = `${prefix()}/big.bin`;
        await s.commit(staged, p);
        const back = await get(p);
        assert.equal(back.length, data.length);
        assert.ok(back.equals(data), 'multi-MiB body differs');
        assert.equal((await s.stat(p))?.size, data.length);
      });

      it('commits an empty body', async () => {
        const staged = await s.stage(Readable.from([]));
        assert.equal(staged.size, 0);
        const p = `${prefix()}/empty`;
        await s.commit(staged, p);
        assert.equal((await get(p)).length, 0);
        assert.equal((await s.stat(p))?.size, 0);
      });

      it('accepts a staged path string', async () => {
        const staged = await stageBytes(Buffer.from('by string'));
        const p = `${prefix()}/s`;
        await s.commit(staged.stagedPath, p);
        assert.equal((await get(p)).toString(), 'by string');
      });

      it('replaces an existing file', async () => {
        const p = `${prefix()}/f`;
        await put(p, Buffer.from('first version, longer'));
        await put(p, Buffer.from('second'));
        assert.equal((await get(p)).toString(), 'second');
        assert.equal((await s.stat(p))?.size, 6);
      });

      it('rejects a commit onto a directory with IS_DIRECTORY and keeps the staged data', async () => {
        const base = prefix();
        await s.mkdir(`${base}/empty-dir`);
        await put(`${base}/full-dir/child`, Buffer.from('x'));
        for (const target of [`${base}/empty-dir`, `${base}/full-dir`]) {
          const staged = await stageBytes(Buffer.from('y'));
          await rejectsWith(s.commit(staged, target), 'IS_DIRECTORY');
          assert.equal(await s.stagedExists(staged.stagedPath), true);
          assert.equal((await s.stat(target))?.isDirectory, true);
          await s.discard(staged);
        }
        assert.equal((await get(`${base}/full-dir/child`)).toString(), 'x');
      });

      it('rejects a commit below a file with NOT_DIRECTORY', async () => {
        const base = prefix();
        await put(`${base}/file`, Buffer.from('data'));
        for (const target of [`${base}/file/x`, `${base}/file/y/z`]) {
          const staged = await stageBytes(Buffer.from('y'));
          await rejectsWith(s.commit(staged, target), 'NOT_DIRECTORY');
          await s.discard(staged);
        }
        assert.equal((await get(`${base}/file`)).toString(), 'data');
      });

      it('rejects a commit of staged data that is gone with NOT_FOUND', async () => {
        const staged = await stageBytes(Buffer.from('z'));
        await s.discard(staged);
        await rejectsWith(s.commit(staged, `${prefix()}/gone`), 'NOT_FOUND');
      });
    });

    describe('failed stages leave nothing behind', () => {
      it('an abort midway rejects with AbortError and leaves no staged file', async () => {
        const initial = await stagedNames();
        const controller = new AbortController();
        const source = new Readable({ read() {} });
        source.push(randomBytes(256 * 1024));
        const staging = s.stage(source, { signal: controller.signal });
        // Let some bytes land before aborting, so a partial file really existed.
        await new Promise((r) => setTimeout(r, 20));
        controller.abort();
        await assert.rejects(staging, { name: 'AbortError' });
        assert.deepEqual(await stagedNames(), initial);
      });

      it('an abort in the same tick as the call leaves no staged file', async () => {
        const initial = await stagedNames();
        for (let i = 0; i < 20; i++) {
          const controller = new AbortController();
          const staging = s.stage(Readable.from([randomBytes(1024)]), { signal: controller.signal });
          controller.abort();
          await assert.rejects(staging, { name: 'AbortError' });
        }
        assert.deepEqual(await stagedNames(), initial);
      });

      it('an already-aborted signal rejects before writing anything', async () => {
        const initial = await stagedNames();
        await assert.rejects(
          s.stage(Readable.from([Buffer.from('x')]), { signal: AbortSignal.abort() }),
          { name: 'AbortError' },
        );
        assert.deepEqual(await stagedNames(), initial);
      });

      it('a source that errors midway rejects with that error and leaves no staged file', async () => {
        const initial = await stagedNames();
        const source = Readable.from(
          (async function* () {
            yield randomBytes(300 * 1024);
            yield randomBytes(300 * 1024);
            throw new Error('source broke');
          })(),
        );
        await assert.rejects(s.stage(source), { message: 'source broke' });
        assert.deepEqual(await stagedNames(), initial);
      });
    });

    describe('discard and stagedExists', () => {
      it('discard removes staged data and is idempotent', async () => {
        const staged = await stageBytes(Buffer.from('tmp'));
        assert.equal(await s.stagedExists(staged.stagedPath), true);
        await s.discard(staged);
        assert.equal(await s.stagedExists(staged.stagedPath), false);
        await s.discard(staged);
        await s.discard(staged.stagedPath);
        const stagedName = staged.stagedPath.slice(staged.stagedPath.lastIndexOf('/') + 1);
        assert.equal((await stagedNames()).includes(stagedName), false);
      });

      it('sweepStaging drops every staged write and leaves committed files alone', async () => {
        const p = `${prefix()}/kept`;
        await put(p, Buffer.from('committed'));
        const left = await Promise.all([stageBytes(Buffer.from('a')), stageBytes(Buffer.from('b'))]);
        await s.sweepStaging();
        for (const st of left) assert.equal(await s.stagedExists(st.stagedPath), false);
        assert.deepEqual(await stagedNames(), []);
        assert.equal((await get(p)).toString(), 'committed');
        await s.sweepStaging();
      });

      it('staged data is invisible until committed', async () => {
        const staged = await stageBytes(Buffer.from('hidden'));
        const p = `${prefix()}/later`;
        assert.equal(await s.stat(p), undefined);
        await rejectsWith(s.read(p), 'NOT_FOUND');
        await s.commit(staged, p);
        assert.equal((await get(p)).toString(), 'hidden');
      });
    });

    describe('read', () => {
      it('reads byte ranges: first, last, middle, whole', async () => {
        const data = randomBytes(1 * MiB + 17);
        const p = `${prefix()}/r`;
        await put(p, data);
        const range = async (start: number, end: number): Promise<Buffer> =>
          readAll(await s.read(p, { start, end }));
        assert.deepEqual(await range(0, 0), data.subarray(0, 1));
        assert.deepEqual(await range(data.length - 1, data.length - 1), data.subarray(data.length - 1));
        assert.deepEqual(await range(1000, 400_000), data.subarray(1000, 400_001));
        assert.ok((await range(0, data.length - 1)).equals(data));
      });

      it('a commit reports the version stat sees; a read pinned to it fails CHANGED once the file is replaced', async () => {
        const p = `${prefix()}/versioned`;
        const first = await s.commit(await stageBytes(Buffer.from('first version')), p);
        assert.equal((await s.stat(p))?.etag, first.etag);
        // A store without version tags (a local directory) reports none, and reads are never pinned to one.
        if (first.etag === undefined) return;
        assert.equal((await readAll(await s.read(p, { start: 0, end: 4 }, { ifMatch: first.etag }))).toString(), 'first');
        const second = await s.commit(await stageBytes(Buffer.from('second version')), p);
        assert.notEqual(second.etag, first.etag);
        assert.equal((await s.stat(p))?.etag, second.etag);
        await rejectsWith(s.read(p, { start: 0, end: 4 }, { ifMatch: first.etag }), 'CHANGED');
        await rejectsWith(s.read(p, undefined, { ifMatch: first.etag }), 'CHANGED');
        assert.equal((await readAll(await s.read(p, undefined, { ifMatch: second.etag }))).toString(), 'second version');
      });

      it('rejects a missing file with NOT_FOUND from read itself', async () => {
        const base = prefix();
        await rejectsWith(s.read(`${base}/missing`), 'NOT_FOUND');
        await put(`${base}/file`, Buffer.from('x'));
        await rejectsWith(s.read(`${base}/file/below`), 'NOT_FOUND');
      });

      it('rejects a directory with IS_DIRECTORY from read itself', async () => {
        const d = `${prefix()}/dir`;
        await s.mkdir(d);
        await rejectsWith(s.read(d), 'IS_DIRECTORY');
      });
    });

    describe('stat, list, mkdir', () => {
      it('stats a file, a directory and a missing path', async () => {
        const base = prefix();
        const t0 = Date.now();
        await put(`${base}/d/f`, Buffer.from('12345'));
        const file = await s.stat(`${base}/d/f`);
        assert.ok(file);
        assert.deepEqual({ path: file.path, isDirectory: file.isDirectory, size: file.size }, { path: `${base}/d/f`, isDirectory: false, size: 5 });
        // Generous bounds: coarse file-system clocks, but it must be "now", not 0 or seconds-as-ms.
        assert.ok(Math.abs(file.mtimeMs - t0) < 60_000, `mtimeMs ${file.mtimeMs} not near ${t0}`);
        const dir = await s.stat(`${base}/d`);
        assert.equal(dir?.isDirectory, true);
        assert.equal(dir?.path, `${base}/d`);
        assert.equal(await s.stat(`${base}/nope`), undefined);
        assert.equal(await s.stat(`${base}/d/f/below`), undefined);
      });

      it('lists direct children only', async () => {
        const base = prefix();
        await put(`${base}/a`, Buffer.from('a'));
        await put(`${base}/b/c`, Buffer.from('c'));
        await s.mkdir(`${base}/e`);
        const entries = (await s.list(base)).sort((x, y) => x.name.localeCompare(y.name));
        assert.deepEqual(entries, [
          { name: 'a', isDirectory: false },
          { name: 'b', isDirectory: true },
          { name: 'e', isDirectory: true },
        ]);
        assert.deepEqual(await s.list(`${base}/e`), []);
      });

      it('list rejects a missing path with NOT_FOUND and a file with NOT_DIRECTORY', async () => {
        const base = prefix();
        await rejectsWith(s.list(`${base}/missing`), 'NOT_FOUND');
        await put(`${base}/f`, Buffer.from('f'));
        await rejectsWith(s.list(`${base}/f`), 'NOT_DIRECTORY');
      });

      it('mkdir creates parents, is idempotent, and rejects a file parent', async () => {
        const base = prefix();
        await s.mkdir(`${base}/x/y/z`);
        await s.mkdir(`${base}/x/y/z`);
        assert.equal((await s.stat(`${base}/x`))?.isDirectory, true);
        assert.equal((await s.stat(`${base}/x/y/z`))?.isDirectory, true);
        await put(`${base}/f`, Buffer.from('f'));
        await rejectsWith(s.mkdir(`${base}/f/g`), 'NOT_DIRECTORY');
        await rejectsWith(s.mkdir(`${base}/f`), 'NOT_DIRECTORY');
      });
    });

    describe('deleteFile, rmdir, pruneEmptyDirs', () => {
      it('deleteFile removes a file; missing is a no-op; a directory is IS_DIRECTORY', async () => {
        const base = prefix();
        await put(`${base}/f`, Buffer.from('f'));
        await s.deleteFile(`${base}/f`);
        assert.equal(await s.stat(`${base}/f`), undefined);
        await s.deleteFile(`${base}/f`);
        await s.deleteFile(`${base}/never/existed`);
        await put(`${base}/file`, Buffer.from('x'));
        await s.deleteFile(`${base}/file/below`);
        assert.equal((await get(`${base}/file`)).toString(), 'x');
        await s.mkdir(`${base}/d`);
        await rejectsWith(s.deleteFile(`${base}/d`), 'IS_DIRECTORY');
        assert.equal((await s.stat(`${base}/d`))?.isDirectory, true);
      });

      it('rmdir removes an empty directory; NOT_EMPTY and NOT_FOUND otherwise', async () => {
        const base = prefix();
        await put(`${base}/full/f`, Buffer.from('f'));
        await rejectsWith(s.rmdir(`${base}/full`), 'NOT_EMPTY');
        assert.equal((await get(`${base}/full/f`)).toString(), 'f');
        await s.mkdir(`${base}/empty`);
        await s.rmdir(`${base}/empty`);
        assert.equal(await s.stat(`${base}/empty`), undefined);
        await rejectsWith(s.rmdir(`${base}/empty`), 'NOT_FOUND');
      });

      it('pruneEmptyDirs stops at the first non-empty directory', async () => {
        const base = prefix();
        await put(`${base}/keep.txt`, Buffer.from('k'));
        await s.mkdir(`${base}/a/b/c`);
        await s.pruneEmptyDirs(`${base}/a/b/c`, '');
        assert.equal(await s.stat(`${base}/a`), undefined);
        assert.equal((await s.stat(base))?.isDirectory, true);
        assert.equal((await get(`${base}/keep.txt`)).toString(), 'k');
      });

      it('pruneEmptyDirs never removes stopAt, even when empty', async () => {
        const base = prefix();
        await s.mkdir(`${base}/q/a/b`);
        await s.pruneEmptyDirs(`${base}/q/a/b`, `${base}/q`);
        assert.equal(await s.stat(`${base}/q/a`), undefined);
        assert.equal((await s.stat(`${base}/q`))?.isDirectory, true);
        await s.pruneEmptyDirs(`${base}/q`, `${base}/q`);
        assert.equal((await s.stat(`${base}/q`))?.isDirectory, true);
      });

      it('pruneEmptyDirs of a missing path is a quiet no-op', async () => {
        const base = prefix();
        await s.mkdir(`${base}/kept`);
        await s.pruneEmptyDirs(`${base}/kept/missing/deeper`, base);
        assert.equal((await s.stat(`${base}/kept`))?.isDirectory, true);
      });
    });

    describe('concurrency', () => {
      it('50 concurrent commits to one path leave exactly one complete winner', async () => {
        const p = `${prefix()}/contended`;
        // Distinct sizes and fill bytes: every mix of two writes is detectable.
        const bodies = Array.from({ length: 50 }, (_, i) => Buffer.alloc(64 * 1024 + i * 101, i + 1));
        const staged = await Promise.all(bodies.map((b) => stageBytes(b)));
        await Promise.all(staged.map((st) => s.commit(st, p)));
        const back = await get(p);
        const winners = bodies.filter((b) => b.equals(back));
        assert.equal(winners.length, 1, `result (${back.length} bytes) matches no single write`);
        assert.equal((await s.stat(p))?.size, back.length);
        for (const st of staged) assert.equal(await s.stagedExists(st.stagedPath), false);
      });

      it('200 concurrent commits into one new directory all succeed', async () => {
        const dir = `${prefix()}/many`;
        const staged = await Promise.all(
          Array.from({ length: 200 }, (_, i) => stageBytes(Buffer.from(`object ${i}`))),
        );
        await Promise.all(staged.map((st, i) => s.commit(st, `${dir}/${i}`)));
        const names = (await s.list(dir)).map((e) => e.name).sort((a, b) => Number(a) - Number(b));
        assert.deepEqual(names, Array.from({ length: 200 }, (_, i) => String(i)));
        const bodies = await Promise.all(names.map((n) => get(`${dir}/${n}`)));
        bodies.forEach((b, i) => assert.equal(b.toString(), `object ${i}`));
      });
    });
  });
}

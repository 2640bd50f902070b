// S3UnderStorage when the remote cannot answer: stopped (connection refused),
// answering 503, accepting connections but never answering, or missing its
// bucket. Every method must fail fast with StorageError UNAVAILABLE (the
// namespace turns that into 503), and the same store must work again once the
// remote is back. Test timeouts turn a hang into a failure.
import assert from 'node:assert/strict';
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Readable } from 'node:stream';
import { after, describe, it } from 'node:test';
import { StorageError } from '../under-storage.ts';
import { ConnectTimeoutHttpAgent } from './s3-agent.ts';
import { S3UnderStorage } from './s3-storage.ts';
import { put, readAll, startPeer, type Peer } from './test-peer.ts';

const MiB = 1024 * 1024;
const STAGED = `.strata/staging/${'0'.repeat(32)}`;

async function unavailable(what: string, promise: Promise<unknown>): Promise<void> {
  await assert.rejects(promise, (err: unknown) => {
    assert.ok(err instanceof StorageError, `${what}: expected StorageError UNAVAILABLE, got ${String(err)}`);
    assert.equal(err.code, 'UNAVAILABLE', `${what}: ${err.message}`);
    return true;
  });
}

/** Every method of the store, each expected to fail with UNAVAILABLE. */
function everyMethod(s: S3UnderStorage): Array<[string, () => Promise<unknown>]> {
  return [
    ['stage (small)', () => s.stage(Readable.from([Buffer.from('x')]))],
    ['stage (multipart)', () => s.stage(Readable.from([Buffer.alloc(9 * MiB)]))],
    ['commit', () => s.commit(STAGED, 'd/f')],
    ['write', () => s.write('d/w', async () => Readable.from([Buffer.from('x')]), 1)],
    ['discard', () => s.discard(STAGED)],
    ['sweepStaging', () => s.sweepStaging()],
    ['stagedExists', () => s.stagedExists(STAGED)],
    ['read', () => s.read('d/f')],
    ['read range', () => s.read('d/f', { start: 0, end: 1 })],
    ['stat', () => s.stat('d/f')],
    ['list', () => s.list('d')],
    ['mkdir', () => s.mkdir('d/e')],
    ['deleteFile', () => s.deleteFile('d/f')],
    ['rmdir', () => s.rmdir('d/e')],
    ['pruneEmptyDirs', () => s.pruneEmptyDirs('d/e', '')],
    ['createMultipart', () => s.createMultipart('d/m')],
    ['uploadPart', () => s.uploadPart('id', 'd/m', 1, Buffer.from('x'), 1)],
    ['uploadPart (stream)', () => s.uploadPart('id', 'd/m', 1, Readable.from([Buffer.from('x')]), 1)],
    ['completeMultipart', () => s.completeMultipart('id', 'd/m', [{ partNumber: 1, etag: '"x"' }])],
    ['abortMultipart', () => s.abortMultipart('id', 'd/m')],
  ];
}

/** A fake remote: `handler` decides what each request gets. */
async function fakeRemote(handler: Parameters<typeof createServer>[1]): Promise<{ url: string; server: Server }> {
  const server = createServer(handler);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server };
}

async function closeRemote(server: Server): Promise<void> {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
}

describe('S3UnderStorage with the remote unavailable', () => {
  let peer: Peer | undefined;
  after(async () => {
    await peer?.stop();
  });

  it('a stopped remote: every method fails with UNAVAILABLE; the same store works again once it is back', { timeout: 60_000 }, async () => {
    peer = await startPeer();
    await peer.createBucket('down');
    const { port, dataDir } = peer;
    const s = new S3UnderStorage({ bucket: 'down', endpoint: peer.url, accessKeyId: 'u', secretAccessKey: 'p', connectTimeoutMs: 1000 });
    await put(s, 'd/f', 'before the outage');
    await peer.stop(true);
    peer = undefined;
    for (const [what, call] of everyMethod(s)) await unavailable(what, call());
    // The remote comes back at the same address with the same data.
    peer = await startPeer({ port, dataDir });
    assert.equal((await readAll(await s.read('d/f'))).toString(), 'before the outage');
    await put(s, 'd/g', 'after the outage');
    assert.deepEqual((await s.list('d')).map((e) => e.name).sort(), ['f', 'g']);
    s.close();
  });

  it('a remote answering 503 SlowDown / ServiceUnavailable: UNAVAILABLE', { timeout: 60_000 }, async () => {
    let requests = 0;
    const { url, server } = await fakeRemote((req, res) => {
      requests++;
      req.resume();
      req.on('end', () => {
        res.writeHead(503, { 'content-type': 'application/xml' });
        res.end(req.method === 'HEAD' ? undefined : '<?xml version="1.0" encoding="UTF-8"?><Error><Code>SlowDown</Code><Message>Please reduce your request rate.</Message></Error>');
      });
    });
    const s = new S3UnderStorage({ bucket: 'b', endpoint: url, accessKeyId: 'u', secretAccessKey: 'p', maxAttempts: 2 });
    try {
      for (const [what, call] of everyMethod(s)) await unavailable(what, call());
      assert.ok(requests > 0);
    } finally {
      s.close();
      await closeRemote(server);
    }
  });

  it('a remote that accepts connections but never answers: UNAVAILABLE after the idle timeout', { timeout: 60_000 }, async () => {
    const { url, server } = await fakeRemote((req) => {
      req.resume(); // read the request, never answer
    });
    const s = new S3UnderStorage({ bucket: 'b', endpoint: url, accessKeyId: 'u', secretAccessKey: 'p', idleTimeoutMs: 200, maxAttempts: 1 });
    try {
      await unavailable('stat', s.stat('x'));
      await unavailable('read', s.read('x'));
      await unavailable('stage', s.stage(Readable.from([Buffer.from('x')])));
      await unavailable('list', s.list(''));
    } finally {
      s.close();
      await closeRemote(server);
    }
  });

  it('the agent times out a connect that never completes (ETIMEDOUT), and only the connect', { timeout: 60_000 }, async () => {
    const agent = new ConnectTimeoutHttpAgent({ keepAlive: true }, 200);
    // A name lookup that never answers keeps the socket connecting forever.
    const stuck = new Promise<unknown>((resolve) => {
      const req = request({ host: 'remote.invalid', port: 80, agent, lookup: () => {} }, () => resolve('answered'));
      req.on('error', (err) => resolve(err));
      req.end();
    });
    const err = await stuck;
    assert.ok(err instanceof Error && 'code' in err && err.code === 'ETIMEDOUT', String(err));
    // A connected socket is not cut off later: a reply slower than the connect timeout arrives.
    const { url, server } = await fakeRemote((_req, res) => setTimeout(() => res.end('late'), 400));
    try {
      const body = await new Promise<string>((resolve, reject) => {
        const req = request(url, { agent }, (res) => {
          res.setEncoding('utf8');
          let text = '';
          res.on('data', (c: string) => (text += c));
          res.on('end', () => resolve(text));
        });
        req.on('error', reject);
        req.end();
      });
      assert.equal(body, 'late');
    } finally {
      agent.destroy();
      await closeRemote(server);
    }
  });

  it('a mount whose bucket is missing is UNAVAILABLE, not NOT_FOUND', { timeout: 60_000 }, async () => {
    peer ??= await startPeer();
    const s = peer.storage('no-such-bucket');
    await unavailable('read', s.read('x'));
    await unavailable('stat', s.stat('x'));
    await unavailable('list', s.list('x'));
    await unavailable('stage', s.stage(Readable.from([Buffer.from('x')])));
  });
});

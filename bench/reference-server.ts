// Plain-Node reference server for the benchmark: the least a node:http server
// must do to speak the path-style S3 used by bench/workloads.ts (bucket create,
// object PUT/GET/HEAD/DELETE, ListObjectsV2, multipart upload). It is the
// "what Node itself costs" baseline that Strata is compared against: no auth,
// no fsync, metadata in memory, bodies streamed to and from files.
//
//   node bench/reference-server.ts --port 0 --data-dir DIR
// prints "listening on http://127.0.0.1:PORT". Unknown flags (--fsync,
// --log-level, ...) are accepted and ignored so it can stand in for Strata.
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, rename, rm, stat } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { join, resolve } from 'node:path';
import { once } from 'node:events';
import { pipeline } from 'node:stream/promises';
import type { Readable } from 'node:stream';

interface ObjectMeta {
  etag: string;
  size: number;
  mtime: Date;
}

interface Bucket {
  dir: string;
  /** keys in ascending (UTF-16 code unit, i.e. ASCII for the bench) order */
  keys: string[];
  objects: Map<string, ObjectMeta>;
}

interface Upload {
  bucket: string;
  key: string;
  dir: string;
  /** part number -> hex MD5 */
  parts: Map<number, string>;
}

function parseArgs(argv: readonly string[]): { port: number; host: string; dataDir: string } {
  let port = 0;
  let host = '127.0.0.1';
  let dataDir = '';
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--port') port = Number(argv[++i]);
    else if (arg === '--host') host = argv[++i];
    else if (arg === '--data-dir') dataDir = argv[++i];
    else if (arg.startsWith('--') && !arg.includes('=') && i + 1 < argv.length && !argv[i + 1].startsWith('--')) i++;
  }
  if (!dataDir) throw new Error('reference-server: --data-dir DIR is required');
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error('reference-server: bad --port');
  return { port, host, dataDir: resolve(dataDir) };
}

const opts = parseArgs(process.argv.slice(2));
const tmpDir = join(opts.dataDir, '.tmp');
const uploadsDir = join(opts.dataDir, '.uploads');
const buckets = new Map<string, Bucket>();
const uploads = new Map<string, Upload>();

function xmlEscape(s: string): string {
  return s.replace(/[<>&"']/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;', "'": '&apos;' })[c] ?? c);
}

function sendXml(res: ServerResponse, status: number, body: string): void {
  const buf = Buffer.from(`<?xml version="1.0" encoding="UTF-8"?>\n${body}`);
  res.writeHead(status, { 'Content-Type': 'application/xml', 'Content-Length': buf.length });
  res.end(buf);
}

function sendError(res: ServerResponse, status: number, code: string, message: string): void {
  sendXml(res, status, `<Error><Code>${code}</Code><Message>${xmlEscape(message)}</Message></Error>`);
}

/** Object files live flat in the bucket directory, the key URI-encoded into one name. */
function objectPath(bucket: Bucket, key: string): string {
  return join(bucket.dir, encodeURIComponent(key));
}

function tempPath(): string {
  return join(tmpDir, randomBytes(12).toString('hex'));
}

function insertSorted(keys: string[], key: string): void {
  const i = bound(keys, key, false);
  if (keys[i] !== key) keys.splice(i, 0, key);
}

/** Index of the first key greater than `x` (or, unless `strict`, equal to it). */
function bound(keys: readonly string[], x: string, strict: boolean): number {
  let lo = 0;
  let hi = keys.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (keys[mid] < x || (strict && keys[mid] === x)) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Streams `source` into `file` while hashing it; returns hex MD5 and size. */
async function streamToFile(source: Readable, file: string): Promise<{ md5: string; size: number }> {
  const hash = createHash('md5');
  let size = 0;
  source.on('data', (chunk: Buffer) => {
    hash.update(chunk);
    size += chunk.length;
  });
  await pipeline(source, createWriteStream(file));
  return { md5: hash.digest('hex'), size };
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

function headersFor(meta: ObjectMeta, size: number): Record<string, string | number> {
  return {
    'Content-Type': 'application/octet-stream',
    'Content-Length': size,
    ETag: `"${meta.etag}"`,
    'Last-Modified': meta.mtime.toUTCString(),
    'Accept-Ranges': 'bytes',
  };
}

async function putObject(req: IncomingMessage, res: ServerResponse, bucket: Bucket, key: string): Promise<void> {
  const tmp = tempPath();
  const { md5, size } = await streamToFile(req, tmp);
  await rename(tmp, objectPath(bucket, key));
  bucket.objects.set(key, { etag: md5, size, mtime: new Date() });
  insertSorted(bucket.keys, key);
  res.writeHead(200, { ETag: `"${md5}"`, 'Content-Length': 0 });
  res.end();
}

async function getOrHeadObject(req: IncomingMessage, res: ServerResponse, bucket: Bucket, key: string): Promise<void> {
  const meta = bucket.objects.get(key);
  if (!meta) return sendError(res, 404, 'NoSuchKey', key);
  const file = objectPath(bucket, key);
  const st = await stat(file);
  res.writeHead(200, headersFor(meta, st.size));
  if (req.method === 'HEAD') {
    res.end();
    return;
  }
  await pipeline(createReadStream(file), res);
}

async function deleteObject(res: ServerResponse, bucket: Bucket, key: string): Promise<void> {
  if (bucket.objects.delete(key)) {
    const i = bound(bucket.keys, key, false);
    if (bucket.keys[i] === key) bucket.keys.splice(i, 1);
    await rm(objectPath(bucket, key), { force: true });
  }
  res.writeHead(204);
  res.end();
}

function listObjectsV2(res: ServerResponse, name: string, bucket: Bucket, q: URLSearchParams): void {
  const maxKeys = Math.min(1000, Math.max(0, Number(q.get('max-keys') ?? 1000) || 0));
  const prefix = q.get('prefix') ?? '';
  const token = q.get('continuation-token');
  const after = token !== null ? Buffer.from(token, 'base64url').toString('utf8') : (q.get('start-after') ?? '');
  let i = Math.max(bound(bucket.keys, after, true), bound(bucket.keys, prefix, false));
  const contents: string[] = [];
  let last = '';
  let truncated = false;
  for (; i < bucket.keys.length; i++) {
    const key = bucket.keys[i];
    if (!key.startsWith(prefix)) break;
    if (contents.length === maxKeys) {
      truncated = true;
      break;
    }
    const meta = bucket.objects.get(key);
    if (!meta) continue;
    contents.push(`<Contents><Key>${xmlEscape(key)}</Key><LastModified>${meta.mtime.toISOString()}</LastModified>` +
      `<ETag>&quot;${meta.etag}&quot;</ETag><Size>${meta.size}</Size><StorageClass>STANDARD</StorageClass></Contents>`);
    last = key;
  }
  const next = truncated ? `<NextContinuationToken>${Buffer.from(last).toString('base64url')}</NextContinuationToken>` : '';
  sendXml(res, 200, `<ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Name>${xmlEscape(name)}</Name>` +
    `<Prefix>${xmlEscape(prefix)}</Prefix><KeyCount>${contents.length}</KeyCount><MaxKeys>${maxKeys}</MaxKeys>` +
    `<IsTruncated>${truncated}</IsTruncated>${token !== null ? `<ContinuationToken>${xmlEscape(token)}</ContinuationToken>` : ''}` +
    `${next}${contents.join('')}</ListBucketResult>`);
}

async function initiateUpload(res: ServerResponse, name: string, key: string): Promise<void> {
  const id = randomBytes(16).toString('hex');
  const dir = join(uploadsDir, id);
  await mkdir(dir);
  uploads.set(id, { bucket: name, key, dir, parts: new Map() });
  sendXml(res, 200, `<InitiateMultipartUploadResult><Bucket>${xmlEscape(name)}</Bucket><Key>${xmlEscape(key)}</Key>` +
    `<UploadId>${id}</UploadId></InitiateMultipartUploadResult>`);
}

async function uploadPart(req: IncomingMessage, res: ServerResponse, upload: Upload, partNumber: number): Promise<void> {
  const { md5 } = await streamToFile(req, join(upload.dir, String(partNumber)));
  upload.parts.set(partNumber, md5);
  res.writeHead(200, { ETag: `"${md5}"`, 'Content-Length': 0 });
  res.end();
}

async function completeUpload(req: IncomingMessage, res: ServerResponse, bucket: Bucket, id: string, upload: Upload): Promise<void> {
  const body = await readBody(req);
  const listed: number[] = [];
  for (const m of body.matchAll(/<Part>([\s\S]*?)<\/Part>/g)) {
    const num = Number(/<PartNumber>\s*(\d+)\s*<\/PartNumber>/.exec(m[1])?.[1]);
    const etag = (/<ETag>([\s\S]*?)<\/ETag>/.exec(m[1])?.[1] ?? '').replace(/&quot;|"/g, '').trim();
    if (upload.parts.get(num) !== etag) return sendError(res, 400, 'InvalidPart', `part ${num}`);
    if (listed.length > 0 && num <= listed[listed.length - 1]) return sendError(res, 400, 'InvalidPartOrder', `part ${num}`);
    listed.push(num);
  }
  if (listed.length === 0) return sendError(res, 400, 'MalformedXML', 'no parts');
  const tmp = tempPath();
  const out = createWriteStream(tmp);
  const digests = createHash('md5');
  let size = 0;
  for (const num of listed) {
    digests.update(Buffer.from(upload.parts.get(num) ?? '', 'hex'));
    for await (const chunk of createReadStream(join(upload.dir, String(num)))) {
      size += (chunk as Buffer).length;
      if (!out.write(chunk)) await once(out, 'drain');
    }
  }
  out.end();
  await once(out, 'close');
  await rename(tmp, objectPath(bucket, upload.key));
  const etag = `${digests.digest('hex')}-${listed.length}`;
  bucket.objects.set(upload.key, { etag, size, mtime: new Date() });
  insertSorted(bucket.keys, upload.key);
  uploads.delete(id);
  await rm(upload.dir, { recursive: true, force: true });
  sendXml(res, 200, `<CompleteMultipartUploadResult><Bucket>${xmlEscape(upload.bucket)}</Bucket>` +
    `<Key>${xmlEscape(upload.key)}</Key><ETag>&quot;${etag}&quot;</ETag></CompleteMultipartUploadResult>`);
}

async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
  const url = new URL(req.url ?? '/', 'http://localhost');
  const q = url.searchParams;
  const path = url.pathname.slice(1);
  const slash = path.indexOf('/');
  const name = decodeURIComponent(slash < 0 ? path : path.slice(0, slash));
  const key = slash < 0 ? '' : decodeURIComponent(path.slice(slash + 1));
  const method = req.method ?? 'GET';
  if (name === '') return sendError(res, 405, 'MethodNotAllowed', 'service-level requests are not supported');
  if (key === '') {
    if (method === 'PUT') {
      if (!buckets.has(name)) {
        const dir = join(opts.dataDir, name);
        await mkdir(dir, { recursive: true });
        buckets.set(name, { dir, keys: [], objects: new Map() });
      }
      res.writeHead(200, { Location: `/${name}`, 'Content-Length': 0 });
      res.end();
      return;
    }
    const bucket = buckets.get(name);
    if (!bucket) return sendError(res, 404, 'NoSuchBucket', name);
    if (method === 'HEAD') {
      res.writeHead(200);
      res.end();
      return;
    }
    if (method === 'GET' && q.get('list-type') === '2') return listObjectsV2(res, name, bucket, q);
    return sendError(res, 501, 'NotImplemented', `${method} on a bucket`);
  }
  const bucket = buckets.get(name);
  if (!bucket) return sendError(res, 404, 'NoSuchBucket', name);
  const uploadId = q.get('uploadId');
  if (method === 'POST' && q.has('uploads')) return initiateUpload(res, name, key);
  if (uploadId !== null) {
    const upload = uploads.get(uploadId);
    if (!upload || upload.bucket !== name || upload.key !== key) return sendError(res, 404, 'NoSuchUpload', uploadId);
    const partNumber = Number(q.get('partNumber'));
    if (method === 'PUT' && Number.isInteger(partNumber) && partNumber >= 1 && partNumber <= 10000) {
      return uploadPart(req, res, upload, partNumber);
    }
    if (method === 'POST') return completeUpload(req, res, bucket, uploadId, upload);
    if (method === 'DELETE') {
      uploads.delete(uploadId);
      await rm(upload.dir, { recursive: true, force: true });
      res.writeHead(204);
      res.end();
      return;
    }
    return sendError(res, 400, 'InvalidRequest', 'bad multipart request');
  }
  if (method === 'PUT') return putObject(req, res, bucket, key);
  if (method === 'GET' || method === 'HEAD') return getOrHeadObject(req, res, bucket, key);
  if (method === 'DELETE') return deleteObject(res, bucket, key);
  return sendError(res, 501, 'NotImplemented', method);
}

async function main(): Promise<void> {
  await mkdir(tmpDir, { recursive: true });
  await mkdir(uploadsDir, { recursive: true });
  const server = createServer({ keepAliveTimeout: 65_000, requestTimeout: 0 }, (req, res) => {
    handle(req, res).catch((err: unknown) => {
      const message = err instanceof Error ? err.message : String(err);
      if (!res.headersSent) sendError(res, 500, 'InternalError', message);
      else res.destroy();
    });
  });
  server.listen(opts.port, opts.host);
  await once(server, 'listening');
  const addr = server.address();
  if (addr === null || typeof addr === 'string') throw new Error('reference-server: no TCP address');
  process.stdout.write(`listening on http://${opts.host}:${addr.port}\n`);
  const stop = (): void => {
    server.close();
    server.closeAllConnections();
    process.exit(0);
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
  // Exit when the parent (the bench harness) dies and we are re-parented.
  const parent = process.ppid;
  setInterval(() => {
    if (process.ppid !== parent) stop();
  }, 1000).unref();
}

main().catch((err: unknown) => {
  process.stderr.write(`reference-server: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});

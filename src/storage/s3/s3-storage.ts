// S3UnderStorage: the UnderStorage contract over a bucket (and key prefix) of
// any S3-compatible store: Amazon S3, Ceph RGW, MinIO, or a second Strata.
// Objects are plain objects at `${prefix}/${path}`, readable by any S3 client.
//
// S3 has no directories and no rename, so this adapter emulates both:
// - a directory is any key under `path/`, plus an optional empty marker object
//   `path/` (what mkdir writes, so empty directories can exist);
// - stage streams to `.strata/staging/<hex>` (multipart for big bodies), commit
//   copies server-side onto the final key (atomic: the object appears whole)
//   and deletes the staged key. A copy costs the remote a second write of the
//   bytes: `write` (upload straight to the final key, for callers that can
//   re-open the bytes) and native multipart passthrough avoid it.
// File/directory clashes (IS_DIRECTORY / NOT_DIRECTORY) are checked before a
// commit with one listing plus one HeadObject per parent, in parallel. They are
// checks, not locks: a writer that bypasses Strata can still race them.
// Versions are ETags: writes and stat report them (unquoted), and a read given
// `ifMatch` sends If-Match, so a replaced object answers CHANGED, not its bytes.
import type { S3Client } from '@aws-sdk/client-s3';
import { DeleteObjectCommand, DeleteObjectsCommand, GetObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { randomUUID } from 'node:crypto';
import { Readable } from 'node:stream';
import { StorageError } from '../under-storage.ts';
import type { DirEntry, FileReadOptions, FileStatus, ReadRange, StagedWrite, UnderStorage, WriteOptions, WrittenVersion } from '../under-storage.ts';
import { createS3Client, resolveOptions, type S3StorageOptions } from './s3-client.ts';
import { copyObject } from './s3-copy.ts';
import { errorName, httpStatusOf, isNotFound, mapS3Error } from './s3-errors.ts';
import { ifMatchHeader, versionTag } from './s3-etag.ts';
import { allKeys, headKey, incompleteUploads, keysUnder, listDirectory } from './s3-listing.ts';
import { abortUpload, completeUpload, createUpload, uploadOnePart, type NativePart } from './s3-native-multipart.ts';
import { KeyMap, STAGING_DIR, ancestorsOf, checkPath, parentOf } from './s3-paths.ts';
import { uploadStream } from './s3-upload.ts';

export type { S3StorageOptions } from './s3-client.ts';
export type { NativePart } from './s3-native-multipart.ts';

/** Diagnostics: how stages and writes were sent (tests check that big bodies stream as multipart). */
export interface S3StorageStats {
  /** Stages and writes sent as one PutObject. */
  singlePutStages: number;
  /** Stages and writes sent as a multipart upload. */
  multipartStages: number;
  partsUploaded: number;
  peakPartsInFlight: number;
}

export class S3UnderStorage implements UnderStorage {
  readonly bucket: string;
  readonly prefix: string;
  private readonly client: S3Client;
  /** For bodies that are streams: a retry cannot replay them, so one attempt only. */
  private readonly oneShotClient: S3Client;
  private readonly keys: KeyMap;
  private readonly partSize: number;
  private readonly partConcurrency: number;
  private readonly counters: S3StorageStats = { singlePutStages: 0, multipartStages: 0, partsUploaded: 0, peakPartsInFlight: 0 };

  constructor(options: S3StorageOptions) {
    const resolved = resolveOptions(options);
    this.bucket = resolved.bucket;
    this.prefix = resolved.prefix;
    this.partSize = resolved.partSize;
    this.partConcurrency = resolved.partConcurrency;
    this.keys = new KeyMap(resolved.prefix);
    this.client = createS3Client(options);
    this.oneShotClient = createS3Client({ ...options, maxAttempts: 1 });
  }

  get stats(): S3StorageStats {
    return { ...this.counters };
  }

  /** Closes the pooled connections; the store is unusable afterwards. */
  close(): void {
    this.client.destroy();
    this.oneShotClient.destroy();
  }

  async stage(source: Readable, options?: WriteOptions): Promise<StagedWrite> {
    options?.signal?.throwIfAborted();
    const stagedPath = `${STAGING_DIR}/${randomUUID().replaceAll('-', '')}`;
    const result = await uploadStream(this.client, this.bucket, this.keys.stagedKey(stagedPath), source, {
      partSize: this.partSize,
      concurrency: this.partConcurrency,
      signal: options?.signal,
      errorPath: stagedPath,
      ownKey: true,
    });
    this.count(result);
    return { stagedPath, size: result.size };
  }

  /**
   * Uploads a whole file straight to `path`'s key: one PutObject up to a part,
   * a multipart upload beyond (parts retried from memory, so `open` is called
   * once). The object appears whole or not at all, with no staging copy on the
   * remote. Same clash checks as commit, made before `open`; a body that is not
   * exactly `size` bytes fails before anything is visible. Resolves to the
   * ETag the store gave the new object.
   */
  async write(path: string, open: () => Promise<Readable>, size: number, options?: WriteOptions): Promise<WrittenVersion> {
    const key = this.keys.fileKey(path);
    options?.signal?.throwIfAborted();
    try {
      await this.checkPlacement(path);
    } catch (err) {
      throw mapS3Error(err, path);
    }
    const result = await uploadStream(this.client, this.bucket, key, await open(), {
      partSize: this.partSize,
      concurrency: this.partConcurrency,
      signal: options?.signal,
      errorPath: path,
      ownKey: false,
      expectedSize: size,
    });
    this.count(result);
    return { etag: result.etag };
  }

  async commit(staged: StagedWrite | string, path: string): Promise<WrittenVersion> {
    const stagedPath = typeof staged === 'string' ? staged : staged.stagedPath;
    const from = this.keys.stagedKey(stagedPath);
    const to = this.keys.fileKey(path);
    let etag: string | undefined;
    try {
      const [head] = await Promise.all([headKey(this.client, this.bucket, from), this.checkPlacement(path)]);
      if (head === undefined) throw new StorageError('NOT_FOUND', stagedPath);
      ({ etag } = await copyObject(this.client, this.bucket, from, to, head.ContentLength ?? 0));
    } catch (err) {
      throw mapS3Error(err, path);
    }
    // The copy is the commit. If this delete fails (remote gone this instant) the
    // staged key is only garbage: sweepStaging removes it at the next start.
    await this.client.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: from })).catch(() => {});
    return { etag };
  }

  async discard(staged: StagedWrite | string): Promise<void> {
    const stagedPath = typeof staged === 'string' ? staged : staged.stagedPath;
    const key = this.keys.stagedKey(stagedPath);
    try {
      await this.client.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: key }));
    } catch (err) {
      if (isNotFound(err)) return;
      throw mapS3Error(err, stagedPath);
    }
  }

  async sweepStaging(): Promise<void> {
    const prefix = this.keys.stagingPrefix();
    try {
      for await (const upload of incompleteUploads(this.client, this.bucket, prefix)) {
        await abortUpload(this.client, this.bucket, upload.key, upload.uploadId);
      }
      for await (const keys of allKeys(this.client, this.bucket, prefix)) await this.deleteKeys(keys);
    } catch (err) {
      throw mapS3Error(err, STAGING_DIR);
    }
  }

  async stagedExists(stagedPath: string): Promise<boolean> {
    const key = this.keys.stagedKey(stagedPath);
    try {
      return (await headKey(this.client, this.bucket, key)) !== undefined;
    } catch (err) {
      throw mapS3Error(err, stagedPath);
    }
  }

  /**
   * GetObject, ranged; with `ifMatch`, conditional on the ETag (If-Match), so
   * a replaced object answers 412, which is CHANGED here, before any byte.
   * https://docs.aws.amazon.com/AmazonS3/latest/API/API_GetObject.html#API_GetObject_RequestSyntax
   */
  async read(path: string, range?: ReadRange, options?: FileReadOptions): Promise<Readable> {
    const key = this.keys.fileKey(path);
    if (range !== undefined) {
      const { start, end } = range;
      if (!Number.isSafeInteger(start) || !Number.isSafeInteger(end) || start < 0 || end < start) {
        throw new Error(`invalid range ${start}-${end} for ${path}`);
      }
    }
    const pinned = options?.ifMatch;
    try {
      const out = await this.client.send(
        new GetObjectCommand({
          Bucket: this.bucket,
          Key: key,
          Range: range && `bytes=${range.start}-${range.end}`,
          IfMatch: pinned === undefined ? undefined : ifMatchHeader(pinned),
        }),
      );
      // In Node the SDK's body is the http.IncomingMessage: already a Readable.
      if (!(out.Body instanceof Readable)) throw new Error(`GetObject ${key}: body is not a Node stream`);
      // A store that ignored If-Match still names the version it sent.
      const sent = versionTag(out.ETag);
      if (pinned !== undefined && sent !== undefined && sent !== pinned) {
        out.Body.destroy();
        throw new StorageError('CHANGED', path);
      }
      return out.Body;
    } catch (err) {
      // A range that starts past the end: like a file read there, no bytes.
      // (S3 judges If-Match first, so a pinned read of a shrunk replacement is CHANGED, not this.)
      if (errorName(err) === 'InvalidRange' || httpStatusOf(err) === 416) return Readable.from([]);
      if (!isNotFound(err)) throw mapS3Error(err, path);
      const isDir = await this.hasKeysUnder(path).catch((e: unknown) => {
        throw mapS3Error(e, path);
      });
      throw new StorageError(isDir ? 'IS_DIRECTORY' : 'NOT_FOUND', path);
    }
  }

  async stat(path: string): Promise<FileStatus | undefined> {
    checkPath(path, true);
    // The root of the mount always exists, as the local store's root does.
    if (path === '') return { path, isDirectory: true, size: 0, mtimeMs: 0 };
    try {
      const head = await headKey(this.client, this.bucket, this.keys.fileKey(path));
      if (head !== undefined) {
        return {
          path,
          isDirectory: false,
          size: head.ContentLength ?? 0,
          mtimeMs: head.LastModified?.getTime() ?? 0,
          etag: versionTag(head.ETag),
        };
      }
      const [first] = await keysUnder(this.client, this.bucket, this.keys.dirPrefix(path), 1);
      if (first === undefined) return undefined;
      // A directory has no time of its own: its first key's (the marker's, if any) stands in.
      return { path, isDirectory: true, size: 0, mtimeMs: first.LastModified?.getTime() ?? 0 };
    } catch (err) {
      throw mapS3Error(err, path);
    }
  }

  async list(path: string): Promise<DirEntry[]> {
    const dirPrefix = this.keys.dirPrefix(path);
    try {
      const { entries, marker } = await listDirectory(this.client, this.bucket, dirPrefix);
      if (entries.length > 0 || marker || path === '') return entries;
      const file = await headKey(this.client, this.bucket, this.keys.fileKey(path));
      throw new StorageError(file === undefined ? 'NOT_FOUND' : 'NOT_DIRECTORY', path);
    } catch (err) {
      throw mapS3Error(err, path);
    }
  }

  async mkdir(path: string): Promise<void> {
    checkPath(path, true);
    if (path === '') return;
    try {
      // `path` itself or any parent being a file makes it impossible.
      const files = await Promise.all([...ancestorsOf(path), path].map((p) => this.isFile(p)));
      if (files.some((f) => f)) throw new StorageError('NOT_DIRECTORY', path);
      await this.client.send(
        new PutObjectCommand({ Bucket: this.bucket, Key: this.keys.dirPrefix(path), Body: Buffer.alloc(0), ContentLength: 0 }),
      );
    } catch (err) {
      throw mapS3Error(err, path);
    }
  }

  async deleteFile(path: string): Promise<void> {
    const key = this.keys.fileKey(path);
    try {
      if (await this.hasKeysUnder(path)) throw new StorageError('IS_DIRECTORY', path);
      // DeleteObject of a missing key succeeds: the no-op the contract asks for.
      await this.client.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: key }));
    } catch (err) {
      if (isNotFound(err)) return;
      throw mapS3Error(err, path);
    }
  }

  async rmdir(path: string): Promise<void> {
    const dirPrefix = this.keys.dirPrefix(path);
    checkPath(path, false);
    try {
      const under = await keysUnder(this.client, this.bucket, dirPrefix, 2);
      if (under.some((o) => o.Key !== dirPrefix)) throw new StorageError('NOT_EMPTY', path);
      if (under.length === 0) {
        throw new StorageError((await this.isFile(path)) ? 'NOT_DIRECTORY' : 'NOT_FOUND', path);
      }
      await this.client.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: dirPrefix }));
    } catch (err) {
      throw mapS3Error(err, path);
    }
  }

  async pruneEmptyDirs(path: string, stopAt: string): Promise<void> {
    checkPath(path, true);
    checkPath(stopAt, true);
    if (stopAt !== '' && path !== stopAt && !path.startsWith(`${stopAt}/`)) {
      throw new Error(`pruneEmptyDirs: ${path} is not under ${stopAt}`);
    }
    try {
      let removed = false;
      for (let current = path; current !== stopAt && current !== ''; current = parentOf(current)) {
        const dirPrefix = this.keys.dirPrefix(current);
        const under = await keysUnder(this.client, this.bucket, dirPrefix, 2);
        if (under.some((o) => o.Key !== dirPrefix)) break; // not empty: pruning ends here
        // Nothing at all: at the start, a missing path (quietly done, as on a
        // file system); further up, a directory that existed only through the
        // one just removed and so is gone already: keep climbing.
        if (under.length === 0) {
          if (!removed) return;
          continue;
        }
        await this.client.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: dirPrefix }));
        removed = true;
      }
      // A directory with no marker exists only through its keys: if it was
      // `stopAt` and the pruning took its last key, a marker keeps it in place.
      if (removed && stopAt !== '' && !(await this.hasKeysUnder(stopAt))) {
        await this.client.send(
          new PutObjectCommand({ Bucket: this.bucket, Key: this.keys.dirPrefix(stopAt), Body: Buffer.alloc(0), ContentLength: 0 }),
        );
      }
    } catch (err) {
      throw mapS3Error(err, path);
    }
  }

  // Native multipart passthrough (not yet in the UnderStorage interface): an
  // S3 multipart upload under an S3 mount goes straight to the remote.

  /** Starts a multipart upload on the remote at `path`'s key; returns its upload id. */
  async createMultipart(path: string): Promise<string> {
    const key = this.keys.fileKey(path);
    try {
      await this.checkPlacement(path);
      return await createUpload(this.client, this.bucket, key);
    } catch (err) {
      throw mapS3Error(err, path);
    }
  }

  /** Streams one part (exactly `length` bytes) to the remote; NOT_FOUND if the upload is gone. */
  async uploadPart(
    uploadId: string,
    path: string,
    partNumber: number,
    body: Readable | Buffer,
    length: number,
    options?: WriteOptions,
  ): Promise<{ etag: string }> {
    const key = this.keys.fileKey(path);
    const client = Buffer.isBuffer(body) ? this.client : this.oneShotClient;
    try {
      return await uploadOnePart(client, this.bucket, key, uploadId, partNumber, body, length, options?.signal);
    } catch (err) {
      throw mapS3Error(err, path);
    }
  }

  /** Completes the upload: the object appears at `path` whole, its version tag returned. Same clash checks as commit. */
  async completeMultipart(uploadId: string, path: string, parts: readonly NativePart[]): Promise<WrittenVersion> {
    const key = this.keys.fileKey(path);
    try {
      await this.checkPlacement(path);
      return await completeUpload(this.client, this.bucket, key, uploadId, parts);
    } catch (err) {
      throw mapS3Error(err, path);
    }
  }

  /** Drops the upload and its parts; a no-op if it is already gone. */
  async abortMultipart(uploadId: string, path: string): Promise<void> {
    const key = this.keys.fileKey(path);
    try {
      await abortUpload(this.client, this.bucket, key, uploadId);
    } catch (err) {
      throw mapS3Error(err, path);
    }
  }

  private count(result: { parts: number; peakInFlight: number }): void {
    if (result.parts === 0) this.counters.singlePutStages++;
    else this.counters.multipartStages++;
    this.counters.partsUploaded += result.parts;
    this.counters.peakPartsInFlight = Math.max(this.counters.peakPartsInFlight, result.peakInFlight);
  }

  /** IS_DIRECTORY if `path` is a directory, NOT_DIRECTORY if a parent is a file; all probes at once. */
  private async checkPlacement(path: string): Promise<void> {
    const [isDir, ...parentFiles] = await Promise.all([
      this.hasKeysUnder(path),
      ...ancestorsOf(path).map((p) => this.isFile(p)),
    ]);
    if (isDir) throw new StorageError('IS_DIRECTORY', path);
    if (parentFiles.some((f) => f)) throw new StorageError('NOT_DIRECTORY', path);
  }

  private async hasKeysUnder(path: string): Promise<boolean> {
    return (await keysUnder(this.client, this.bucket, this.keys.dirPrefix(path), 1)).length > 0;
  }

  private async isFile(path: string): Promise<boolean> {
    return (await headKey(this.client, this.bucket, this.keys.fileKey(path))) !== undefined;
  }

  /** DeleteObjects in one request (up to 1000 keys); any per-key error fails the sweep. */
  private async deleteKeys(keys: string[]): Promise<void> {
    const out = await this.client.send(
      new DeleteObjectsCommand({ Bucket: this.bucket, Delete: { Objects: keys.map((Key) => ({ Key })), Quiet: true } }),
    );
    const failed = out.Errors ?? [];
    if (failed.length > 0) {
      const first = failed[0];
      throw new Error(`sweepStaging: could not delete ${failed.length} staged objects (${first.Key}: ${first.Code} ${first.Message})`);
    }
  }
}

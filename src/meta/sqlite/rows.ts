// Conversions between SQLite rows and the store's records.
import type { SQLInputValue, SQLOutputValue } from 'node:sqlite';
import type { AccessKeyRecord, BucketExtras, BucketRecord, IntentRecord, ObjectExtras, ObjectRecord } from '../metadata-store.ts';
import type { PartExtras, PartRecord, UploadExtras, UploadRecord, UserRecord } from '../metadata-store.ts';

export type Row = Record<string, SQLOutputValue>;

export const str = (v: SQLOutputValue): string => v as string;
export const num = (v: SQLOutputValue): number => v as number;
// Most rows carry empty maps: skipping JSON.parse for them is a visible share of a listing page.
export const map = (v: SQLOutputValue): Record<string, string> => (v === '{}' ? {} : (JSON.parse(v as string) as Record<string, string>));

export function json<T extends object>(v: SQLOutputValue): T {
  return (v === '{}' ? {} : JSON.parse(v as string)) as T;
}

export function toBucket(r: Row): BucketRecord {
  return { name: str(r.name), owner: str(r.owner), createdAt: num(r.created_at), extras: json<BucketExtras>(r.extras) };
}

export function toObject(r: Row): ObjectRecord {
  return {
    bucket: str(r.bucket), key: str(r.key), versionId: str(r.version_id), size: num(r.size), etag: str(r.etag),
    lastModified: num(r.last_modified), owner: str(r.owner), headers: map(r.headers),
    userMetadata: map(r.user_metadata), isDirectory: r.is_directory === 1,
    partSizes: r.part_sizes === null ? null : (JSON.parse(str(r.part_sizes)) as number[]), dataId: str(r.data_id),
    extras: json<ObjectExtras>(r.extras),
  };
}

export function objectParams(o: ObjectRecord): SQLInputValue[] {
  return [
    o.bucket, o.key, o.versionId, o.size, o.etag, o.lastModified, o.owner,
    JSON.stringify(o.headers), JSON.stringify(o.userMetadata), o.isDirectory ? 1 : 0,
    o.partSizes === null ? null : JSON.stringify(o.partSizes), o.dataId, JSON.stringify(o.extras),
  ];
}

export function toUpload(r: Row): UploadRecord {
  return {
    uploadId: str(r.upload_id), bucket: str(r.bucket), key: str(r.key), owner: str(r.owner),
    initiated: num(r.initiated), headers: map(r.headers), userMetadata: map(r.user_metadata),
    extras: json<UploadExtras>(r.extras),
  };
}

export function toPart(r: Row): PartRecord {
  return {
    uploadId: str(r.upload_id), partNumber: num(r.part_number), size: num(r.size), etag: str(r.etag),
    lastModified: num(r.last_modified), path: str(r.path), extras: json<PartExtras>(r.extras),
  };
}

export function toUser(r: Row): UserRecord {
  return { name: str(r.name), isRoot: r.is_root === 1, created: num(r.created) };
}

export function toAccessKey(r: Row): AccessKeyRecord {
  return { accessKeyId: str(r.access_key_id), user: str(r.user), sealedSecret: str(r.sealed_secret), created: num(r.created) };
}

export function toIntent(r: Row): IntentRecord {
  const object = JSON.parse(str(r.object)) as ObjectRecord;
  return { id: str(r.id), stagedPath: str(r.staged_path), object, created: num(r.created) };
}


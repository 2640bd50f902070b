// Range-scan queries for listings: lower bounds folded into one, so SQLite
// seeks the index once and a page costs what it returns.
import type { SQLInputValue } from 'node:sqlite';
import type { ListObjectsQuery, ListUploadsQuery } from '../metadata-store.ts';
import { OBJECT_COLUMNS, UPLOAD_COLUMNS } from './schema.ts';

/**
 * The smallest string greater than every string that starts with `prefix`, or
 * undefined when there is none (empty prefix, or only U+10FFFF code points).
 * Code-point order equals UTF-8 byte order, so bumping the last code point works;
 * surrogates cannot be stored, so U+D7FF steps to U+E000.
 */
export function prefixUpperBound(prefix: string): string | undefined {
  const points = Array.from(prefix, (ch) => ch.codePointAt(0) ?? 0);
  while (points.length > 0) {
    let last = points.pop() ?? 0;
    // A lone surrogate reaches SQLite as U+FFFD.
    if (last >= 0xd800 && last <= 0xdfff) last = 0xfffd;
    if (last === 0x10ffff) continue;
    const next = last + 1 === 0xd800 ? 0xe000 : last + 1;
    return String.fromCodePoint(...points, next);
  }
  return undefined;
}

/** Compares as SQLite's BINARY collation does on a UTF-8 database. */
export function compareUtf8(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}

export interface BuiltQuery {
  sql: string;
  params: SQLInputValue[];
}

function addUpperBound(prefix: string, where: string[], params: SQLInputValue[]): void {
  const upper = prefixUpperBound(prefix);
  if (upper === undefined) return;
  where.push('key < ?');
  params.push(upper);
}

/** Negative LIMIT means "no limit" to SQLite; a caller's 0 or -1 means none. */
export function rowLimit(limit: number): number {
  if (Number.isNaN(limit) || limit <= 0) return 0;
  return Math.min(Math.floor(limit), Number.MAX_SAFE_INTEGER);
}

/**
 * prefix, `from` and `after` are all lower bounds on key. They are folded into
 * the single tightest one here because SQLite seeks the index with only one
 * lower bound and filters with the rest: a deep page (`after` far past `prefix`)
 * would otherwise scan from the prefix, and cost would follow position, not limit.
 */
export function listObjectsQuery(bucket: string, query: ListObjectsQuery): BuiltQuery {
  let lower = query.prefix;
  let exclusive = false;
  if (query.from !== undefined && compareUtf8(query.from, lower) > 0) lower = query.from;
  if (query.after !== undefined && compareUtf8(query.after, lower) >= 0) {
    lower = query.after;
    exclusive = true;
  }
  const where = ['bucket = ?', exclusive ? 'key > ?' : 'key >= ?'];
  const params: SQLInputValue[] = [bucket, lower];
  addUpperBound(query.prefix, where, params);
  params.push(rowLimit(query.limit));
  return { sql: `SELECT ${OBJECT_COLUMNS} FROM objects WHERE ${where.join(' AND ')} ORDER BY key LIMIT ?`, params };
}

/**
 * Same folding of lower bounds as listObjectsQuery. S3 ignores an upload-id
 * marker without a key marker; a key marker alone skips every upload of that key.
 */
export function listUploadsQuery(bucket: string, query: ListUploadsQuery): BuiltQuery {
  const where = ['bucket = ?'];
  const params: SQLInputValue[] = [bucket];
  const afterKey = query.afterKey;
  if (afterKey !== undefined && compareUtf8(afterKey, query.prefix) >= 0) {
    if (query.afterUploadId !== undefined) {
      where.push('(key, upload_id) > (?, ?)');
      params.push(afterKey, query.afterUploadId);
    } else {
      where.push('key > ?');
      params.push(afterKey);
    }
  } else {
    where.push('key >= ?');
    params.push(query.prefix);
  }
  addUpperBound(query.prefix, where, params);
  params.push(rowLimit(query.limit));
  const sql = `SELECT ${UPLOAD_COLUMNS} FROM uploads WHERE ${where.join(' AND ')} ORDER BY key, upload_id LIMIT ?`;
  return { sql, params };
}


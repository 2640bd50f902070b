// Which bytes a GetObject or HeadObject serves: the whole object, one `Range`
// (RFC 9110 §14.1.2 byte ranges) or one part of a multipart object
// (`partNumber`), with the status and headers that describe the choice.
// https://docs.aws.amazon.com/AmazonS3/latest/API/API_GetObject.html#API_GetObject_RequestSyntax
import type { ObjectRecord } from '../../meta/metadata-store.ts';
import { parsePartNumber } from '../../namespace/multipart.ts';
import type { ReadRange } from '../../storage/under-storage.ts';
import type { RequestContext } from '../context.ts';
import { S3Error } from '../errors.ts';

/** What a request asks to read: a Range header's text or a part number (never both). */
export interface ReadSelection {
  range?: string;
  partNumber?: number;
}

/** What to serve: `range` is undefined for the whole object. */
export interface ReadPlan {
  status: 200 | 206;
  range?: ReadRange;
  headers: Record<string, string | number>;
}

/**
 * Reads the selection from the request, refusing (before any lookup) a bad
 * part number and a part number with a Range, as S3 does.
 */
export function readSelection(ctx: RequestContext): ReadSelection {
  const range = ctx.header('range');
  const rawPart = ctx.query.get('partNumber');
  if (rawPart === null) return { range };
  const partNumber = parsePartNumber(rawPart);
  if (range !== undefined) throw new S3Error('InvalidRequest', 'Cannot specify both Range header and partNumber query parameter');
  return { partNumber };
}

/** Decides what to serve of `row`; InvalidRange / InvalidPartNumber (416) when nothing can be. */
export function planRead(selection: ReadSelection, row: ObjectRecord): ReadPlan {
  if (selection.partNumber !== undefined) return partPlan(selection.partNumber, row);
  const range = parseRange(selection.range, row.size);
  if (!range) return { status: 200, headers: { 'Content-Length': row.size } };
  return rangePlan(range, row.size, {});
}

function rangePlan(range: ReadRange, size: number, extra: Record<string, string | number>): ReadPlan {
  return {
    status: 206,
    range,
    headers: { ...extra, 'Content-Range': `bytes ${range.start}-${range.end}/${size}`, 'Content-Length': range.end - range.start + 1 },
  };
}

/**
 * A part of a multipart object is its byte range, with `x-amz-mp-parts-count`.
 * An object written in one piece has one part: partNumber=1 is all of it, as a
 * 206 (S3 treats it as a range over the whole object), without a parts count.
 */
function partPlan(partNumber: number, row: ObjectRecord): ReadPlan {
  const sizes = row.partSizes ?? [row.size];
  if (partNumber > sizes.length) {
    throw new S3Error('InvalidPartNumber', undefined, { PartNumberRequested: String(partNumber), ActualPartCount: String(sizes.length) });
  }
  const extra: Record<string, string | number> = row.partSizes ? { 'x-amz-mp-parts-count': sizes.length } : {};
  let start = 0;
  for (const size of sizes.slice(0, partNumber - 1)) start += size;
  const size = sizes[partNumber - 1];
  // An empty part has no byte range to name (Content-Range cannot say 0 bytes).
  if (size === 0) return { status: 200, headers: { ...extra, 'Content-Length': 0 } };
  return rangePlan({ start, end: start + size - 1 }, row.size, extra);
}

/**
 * One `bytes=` range: `a-b`, `a-` or `-n` (the unit is case-insensitive).
 * A header that is not one valid range (another unit, several ranges, last <
 * first) is ignored and the whole object served, as RFC 9110 §14.2 and S3 do;
 * a valid range that selects nothing (first >= size, `-0`, any range of an
 * empty object) is 416 InvalidRange.
 */
export function parseRange(header: string | undefined, size: number): ReadRange | undefined {
  if (header === undefined) return undefined;
  const m = /^bytes\s*=\s*(\d*)\s*-\s*(\d*)$/i.exec(header.trim());
  if (!m || (m[1] === '' && m[2] === '')) return undefined;
  let start: number;
  let end: number;
  if (m[1] === '') {
    const suffix = Number(m[2]);
    if (suffix === 0) throw unsatisfiable(header, size);
    start = Math.max(0, size - suffix);
    end = size - 1;
  } else {
    start = Number(m[1]);
    if (m[2] !== '' && Number(m[2]) < start) return undefined;
    end = m[2] === '' ? size - 1 : Math.min(Number(m[2]), size - 1);
  }
  if (start >= size) throw unsatisfiable(header, size);
  return { start, end };
}

/** S3's 416 names the range and the size; Content-Range `bytes *\/size` is RFC 9110 §15.5.17's. */
function unsatisfiable(header: string, size: number): S3Error {
  return new S3Error('InvalidRange', undefined, { RangeRequested: header, ActualObjectSize: String(size) }, { 'Content-Range': `bytes */${size}` });
}

// Tag sets of objects and buckets: reading the Tagging document and the
// x-amz-tagging header, S3's limits and errors, and writing the document back.
// https://docs.aws.amazon.com/AmazonS3/latest/userguide/object-tagging.html
// https://docs.aws.amazon.com/AmazonS3/latest/API/API_PutObjectTagging.html
// https://docs.aws.amazon.com/AmazonS3/latest/API/API_PutBucketTagging.html
import { S3Error } from './errors.ts';
import { childrenOf, isTree, textOf, type XmlTree } from './xml/parser.ts';
import { S3_XMLNS, el, elA, type XmlElement } from './xml/writer.ts';

export interface Tag {
  key: string;
  value: string;
}

/** Objects carry at most 10 tags, buckets 50. */
export type TagTarget = 'object' | 'bucket';

const MAX_TAGS: Record<TagTarget, number> = { object: 10, bucket: 50 };
/** S3 counts UTF-16 code units ("object tags are internally represented in UTF-16"), which is what JS length counts. */
const MAX_KEY_LENGTH = 128;
const MAX_VALUE_LENGTH = 256;
/** "Unicode letters or numbers, white space, and the following symbols: _ . : / = + @ -". */
const TAG_TEXT = /^[\p{L}\p{Z}\p{N}_.:/=+\-@]*$/u;
const RESERVED_PREFIX = 'aws:';

const HEADER_ERROR = "The header 'x-amz-tagging' shall be encoded as UTF-8 then URLEncoded URL query parameters without tag name duplicates.";

/** The tags of a `<Tagging><TagSet><Tag><Key/><Value/></Tag>...` document; MalformedXML for any other shape. */
export function tagsFromXml(tree: XmlTree | undefined): Tag[] {
  const root = tree?.Tagging;
  if (!isTree(root)) throw new S3Error('MalformedXML');
  const set = root.TagSet;
  if (set === undefined) throw new S3Error('MalformedXML');
  if (!isTree(set)) {
    if (textOf(set) === '') return [];
    throw new S3Error('MalformedXML');
  }
  return childrenOf(set, 'Tag').map((tag) => {
    if (!isTree(tag)) throw new S3Error('MalformedXML');
    const key = textOf(tag.Key);
    const value = textOf(tag.Value);
    if (key === undefined || value === undefined) throw new S3Error('MalformedXML');
    return { key, value };
  });
}

/**
 * The tags of an `x-amz-tagging` header: URL query form (`k1=v1&k2=v2`, `+`
 * for a space), where a name without `=` has the empty value. A pair with more
 * than one `=`, bad percent-encoding or a repeated name is InvalidArgument, as S3 answers.
 */
export function tagsFromHeader(header: string): Tag[] {
  if (header === '') return [];
  const seen = new Set<string>();
  return header.split('&').filter((pair) => pair !== '').map((pair) => {
    const parts = pair.split('=');
    if (parts.length > 2) throw headerError(header);
    const [key, value] = [decodeFormComponent(parts[0], header), decodeFormComponent(parts[1] ?? '', header)];
    if (seen.has(key)) throw headerError(header);
    seen.add(key);
    return { key, value };
  });
}

function decodeFormComponent(text: string, header: string): string {
  try {
    return decodeURIComponent(text.replace(/\+/g, ' '));
  } catch {
    throw headerError(header);
  }
}

function headerError(header: string): S3Error {
  return new S3Error('InvalidArgument', HEADER_ERROR, { ArgumentName: 'x-amz-tagging', ArgumentValue: header });
}

/** Applies S3's limits and returns the tags as stored; BadRequest for too many, InvalidTag for a bad tag. */
export function validateTags(tags: Tag[], target: TagTarget): Record<string, string> {
  if (tags.length > MAX_TAGS[target]) {
    throw new S3Error('BadRequest', target === 'object' ? 'Object tags cannot be greater than 10' : 'Bucket tag count cannot be greater than 50');
  }
  const seen = new Set<string>();
  for (const { key, value } of tags) {
    if (key.length === 0 || !TAG_TEXT.test(key)) throw new S3Error('InvalidTag', 'The TagKey you have provided is invalid');
    if (key.length > MAX_KEY_LENGTH) throw new S3Error('InvalidTag', `The TagKey you have provided is too long, max ${MAX_KEY_LENGTH}`);
    if (!TAG_TEXT.test(value)) throw new S3Error('InvalidTag', 'The TagValue you have provided is invalid');
    if (value.length > MAX_VALUE_LENGTH) throw new S3Error('InvalidTag', `The TagValue you have provided is too long, max ${MAX_VALUE_LENGTH}`);
    if (key.toLowerCase().startsWith(RESERVED_PREFIX)) throw new S3Error('InvalidTag', 'Your TagKey cannot be prefixed with aws:');
    if (seen.has(key)) throw new S3Error('InvalidTag', 'Cannot provide multiple Tags with the same key');
    seen.add(key);
  }
  // fromEntries defines own properties, so even a key named __proto__ is kept as a tag.
  return Object.fromEntries(tags.map((t) => [t.key, t.value]));
}

/** Stored tags in key order (as S3 lists them), whatever order they were sent in. */
export function sortedTags(tags: Record<string, string> | undefined): Tag[] {
  return Object.entries(tags ?? {})
    .map(([key, value]) => ({ key, value }))
    .sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
}

export function tagCount(tags: Record<string, string> | undefined): number {
  return tags ? Object.keys(tags).length : 0;
}

/** The Tagging document GetObjectTagging and GetBucketTagging answer. */
export function taggingXml(tags: Record<string, string> | undefined): XmlElement {
  return elA('Tagging', { xmlns: S3_XMLNS },
    el('TagSet', sortedTags(tags).map((t) => el('Tag', el('Key', t.key), el('Value', t.value)))));
}

// The POST policy document: parsing the base64 JSON and checking a form
// against its expiration and conditions
// (https://docs.aws.amazon.com/AmazonS3/latest/API/sigv4-HTTPPOSTConstructPolicy.html).
// Conditions are exact matches ({"acl": "public-read"} or ["eq", "$acl", ...]),
// prefixes (["starts-with", "$key", "user/"]) and ["content-length-range", min, max].
// Field names match without case; every form field but the exempt ones must be
// named by some condition. Refusals read as S3's do:
// AccessDenied "Invalid according to Policy: ..." and InvalidPolicyDocument.
import { S3Error } from '../s3/errors.ts';

export type Condition =
  | { op: 'eq' | 'starts-with'; field: string; value: string; text: string }
  | { op: 'content-length-range'; min: number; max: number; text: string };

export interface PolicyDocument {
  expiration: Date;
  conditions: Condition[];
}

/** Fields a policy does not have to name: the signature itself, the file, the policy, and x-ignore-*. */
const EXEMPT = new Set(['policy', 'file', 'x-amz-signature', 'signature', 'awsaccesskeyid']);

function invalidPolicy(message: string): S3Error {
  return new S3Error('InvalidPolicyDocument', `Invalid Policy: ${message}`);
}

function denied(message: string): S3Error {
  return new S3Error('AccessDenied', `Invalid according to Policy: ${message}`);
}

function asNumber(value: unknown): number | undefined {
  if (typeof value === 'number' && Number.isSafeInteger(value)) return value;
  if (typeof value === 'string' && /^\d{1,15}$/.test(value)) return Number(value);
  return undefined;
}

function parseCondition(raw: unknown): Condition[] {
  if (Array.isArray(raw)) {
    const op = typeof raw[0] === 'string' ? raw[0].toLowerCase() : '';
    if (op === 'content-length-range') {
      const min = asNumber(raw[1]);
      const max = asNumber(raw[2]);
      if (raw.length !== 3 || min === undefined || max === undefined || min > max) {
        throw invalidPolicy(`Invalid content-length-range condition: ${JSON.stringify(raw)}`);
      }
      return [{ op, min, max, text: `["content-length-range", ${min}, ${max}]` }];
    }
    if ((op === 'eq' || op === 'starts-with') && raw.length === 3 && typeof raw[1] === 'string'
      && raw[1].startsWith('$') && typeof raw[2] === 'string') {
      const field = raw[1].slice(1).toLowerCase();
      return [{ op, field, value: raw[2], text: `["${op}", "${raw[1]}", ${JSON.stringify(raw[2])}]` }];
    }
    throw invalidPolicy(`Invalid Condition: ${JSON.stringify(raw)}`);
  }
  if (raw !== null && typeof raw === 'object') {
    const entries = Object.entries(raw);
    if (entries.length === 0) throw invalidPolicy('Invalid Condition: {}');
    return entries.map(([name, value]) => {
      if (typeof value !== 'string') throw invalidPolicy(`Invalid Condition: ${JSON.stringify(raw)}`);
      return { op: 'eq', field: name.toLowerCase(), value, text: `["eq", "$${name}", ${JSON.stringify(value)}]` };
    });
  }
  throw invalidPolicy(`Invalid Condition: ${JSON.stringify(raw)}`);
}

/** Decodes and parses the `policy` field (base64 of a JSON document). */
export function parsePolicy(base64: string): PolicyDocument {
  const text = Buffer.from(base64, 'base64').toString('utf8');
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    throw invalidPolicy('Invalid JSON.');
  }
  if (doc === null || typeof doc !== 'object' || Array.isArray(doc)) throw invalidPolicy('Invalid JSON.');
  const { expiration, conditions } = doc as { expiration?: unknown; conditions?: unknown };
  if (typeof expiration !== 'string') throw invalidPolicy('Policy missing expiration.');
  // ISO 8601, e.g. 2007-12-01T12:00:00.000Z.
  const ms = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/.test(expiration) ? Date.parse(expiration) : Number.NaN;
  if (!Number.isFinite(ms)) throw invalidPolicy(`Invalid 'expiration' value: '${expiration}'`);
  if (!Array.isArray(conditions)) throw invalidPolicy('Policy missing conditions.');
  return { expiration: new Date(ms), conditions: conditions.flatMap(parseCondition) };
}

export interface PolicyCheck {
  /** Form fields by lower-cased name. */
  fields: ReadonlyMap<string, string>;
  /** The bucket the form is posted to: what a `bucket` condition is checked against. */
  bucket: string;
  now: Date;
}

/**
 * Checks expiration and every condition; returns the content-length-range
 * (checked later, against the file as it streams) when the policy has one.
 */
export function checkPolicy(policy: PolicyDocument, { fields, bucket, now }: PolicyCheck): { min: number; max: number } | undefined {
  if (now.getTime() > policy.expiration.getTime()) throw denied('Policy expired.');
  const named = new Set<string>();
  let range: { min: number; max: number } | undefined;
  for (const condition of policy.conditions) {
    if (condition.op === 'content-length-range') {
      range = { min: condition.min, max: condition.max };
      continue;
    }
    named.add(condition.field);
    const value = condition.field === 'bucket' ? bucket : fields.get(condition.field) ?? '';
    const ok = condition.op === 'eq' ? value === condition.value : value.startsWith(condition.value);
    if (!ok) throw denied(`Policy Condition failed: ${condition.text}`);
  }
  const extra = [...fields.keys()].filter((name) => !named.has(name) && !EXEMPT.has(name) && !name.startsWith('x-ignore-'));
  if (extra.length > 0) throw denied(`Extra input fields: ${extra.join(', ')}`);
  return range;
}

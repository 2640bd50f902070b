// Bucket policies: the checks S3 makes before it stores a policy document
// (MalformedPolicy with S3's messages), and whether a policy makes the bucket
// public (GetBucketPolicyStatus). The text is stored as sent; evaluating it for
// authorization belongs to the authorization layer.
// https://docs.aws.amazon.com/AmazonS3/latest/userguide/bucket-policies.html
// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_grammar.html
// https://docs.aws.amazon.com/AmazonS3/latest/userguide/access-control-block-public-access.html#access-control-block-public-access-policy-status
import { S3Error } from './errors.ts';
import { BUCKET_ACTIONS, OBJECT_ACTIONS } from './policy-actions.ts';

/** "Bucket policies are limited to 20 KB in size." */
export const MAX_POLICY_BYTES = 20 * 1024;
const VERSIONS = ['2012-10-17', '2008-10-17'];
const ARN_PREFIX = 'arn:aws:s3:::';
const PRINCIPAL_KINDS = ['AWS', 'CanonicalUser', 'Service', 'Federated'];

type Json = string | number | boolean | null | Json[] | { [key: string]: Json };
type JsonObject = { [key: string]: Json };

function malformed(message: string): S3Error {
  return new S3Error('MalformedPolicy', message);
}

function isObject(v: Json | undefined): v is JsonObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** A string or a non-empty list of strings, as the grammar allows for Action, Resource and principals. */
function stringList(v: Json | undefined): string[] | undefined {
  if (typeof v === 'string') return [v];
  if (Array.isArray(v) && v.length > 0 && v.every((s) => typeof s === 'string')) return v as string[];
  return undefined;
}

/** IAM wildcards: `*` any run, `?` one character; action names compare case-insensitively. */
function globMatch(pattern: string, text: string, ignoreCase: boolean): boolean {
  const escaped = pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.');
  return new RegExp(`^${escaped}$`, ignoreCase ? 'is' : 's').test(text);
}

function parse(text: string): JsonObject {
  if (!text.startsWith('{')) throw malformed("Policies must be valid JSON and the first byte must be '{'");
  let doc: Json;
  try {
    doc = JSON.parse(text) as Json;
  } catch {
    throw malformed("Policies must be valid JSON and the first byte must be '{'");
  }
  if (!isObject(doc)) throw malformed('This policy contains invalid Json');
  return doc;
}

function statementsOf(doc: JsonObject): JsonObject[] {
  const raw = doc.Statement;
  if (raw === undefined) throw malformed('Missing required field Statement');
  const list = Array.isArray(raw) ? raw : [raw];
  if (list.length === 0) throw malformed('Could not parse the policy: Statement is empty!');
  return list.map((s) => {
    if (!isObject(s)) throw malformed('This policy contains invalid Json');
    return s;
  });
}

function checkPrincipal(v: Json): void {
  if (v === '*') return;
  if (!isObject(v) || Object.keys(v).length === 0) throw malformed('Invalid principal in policy');
  for (const [kind, value] of Object.entries(v)) {
    if (!PRINCIPAL_KINDS.includes(kind) || stringList(value) === undefined) throw malformed('Invalid principal in policy');
  }
}

/** Which kinds of resource an action pattern can name: some bucket action, some object action. */
function actionTargets(pattern: string): { bucket: boolean; object: boolean } {
  if (pattern === '*') return { bucket: true, object: true };
  if (!/^s3:/i.test(pattern)) throw malformed('Policy has invalid action');
  const name = pattern.slice(3);
  const bucket = BUCKET_ACTIONS.some((a) => globMatch(name, a, true));
  const object = OBJECT_ACTIONS.some((a) => globMatch(name, a, true));
  if (!bucket && !object) throw malformed('Policy has invalid action');
  return { bucket, object };
}

/** Resources must name this bucket (`arn:aws:s3:::bucket`) or objects in it (`arn:aws:s3:::bucket/key-pattern`). */
function resourceKinds(resources: string[], bucket: string): { bucket: boolean; object: boolean } {
  let onBucket = false;
  let onObject = false;
  for (const resource of resources) {
    if (resource === '*') {
      onBucket = onObject = true;
      continue;
    }
    if (!resource.startsWith(ARN_PREFIX)) throw malformed('Policy has invalid resource');
    const path = resource.slice(ARN_PREFIX.length);
    const slash = path.indexOf('/');
    const bucketPart = slash < 0 ? path : path.slice(0, slash);
    if (!globMatch(bucketPart, bucket, false)) throw malformed('Policy has invalid resource');
    if (slash < 0) onBucket = true;
    else onObject = true;
  }
  return { bucket: onBucket, object: onObject };
}

function checkStatement(s: JsonObject, bucket: string): void {
  if (s.Effect === undefined) throw malformed('Missing required field Effect');
  if (s.Effect !== 'Allow' && s.Effect !== 'Deny') throw malformed(`Invalid effect: ${typeof s.Effect === 'string' ? s.Effect : JSON.stringify(s.Effect)}`);
  const principal = s.Principal ?? s.NotPrincipal;
  if (principal === undefined) throw malformed('Missing required field Principal');
  checkPrincipal(principal);
  const rawActions = s.Action ?? s.NotAction;
  if (rawActions === undefined) throw malformed('Missing required field Action');
  const actions = stringList(rawActions);
  if (!actions) throw malformed('Policy has invalid action');
  const rawResources = s.Resource ?? s.NotResource;
  if (rawResources === undefined) throw malformed('Missing required field Resource');
  const resources = stringList(rawResources);
  if (!resources) throw malformed('Policy has invalid resource');
  const named = resourceKinds(resources, bucket);
  if (s.Condition !== undefined && !(isObject(s.Condition) && Object.values(s.Condition).every(isObject))) {
    throw malformed('Policy has an invalid condition key');
  }
  // NotAction and NotResource name what the statement leaves out, so they cannot be paired up this way.
  if (s.Action === undefined || s.Resource === undefined) return;
  for (const action of actions) {
    const can = actionTargets(action);
    if (!((can.bucket && named.bucket) || (can.object && named.object))) {
      throw malformed('Action does not apply to any resource(s) in statement');
    }
  }
}

/** Checks a policy for `bucket` as S3 does before storing it; MalformedPolicy with S3's message otherwise. */
export function validatePolicy(text: string, bucket: string): void {
  if (Buffer.byteLength(text) > MAX_POLICY_BYTES) throw malformed('Policy exceeds the maximum allowed document size.');
  const doc = parse(text);
  if (doc.Version !== undefined && (typeof doc.Version !== 'string' || !VERSIONS.includes(doc.Version))) {
    throw malformed('The policy must contain a valid version string');
  }
  for (const statement of statementsOf(doc)) checkStatement(statement, bucket);
}

function grantsEveryone(principal: Json | undefined): boolean {
  if (principal === '*') return true;
  if (!isObject(principal)) return false;
  return (stringList(principal.AWS) ?? []).includes('*') || (stringList(principal.CanonicalUser) ?? []).includes('*');
}

/**
 * Whether a stored policy makes the bucket public: an Allow to every
 * principal. S3 also counts a statement whose conditions pin the request to
 * fixed values (addresses, accounts, VPCs) as not public; any condition
 * counts as such a restriction here, which errs on the side of "not public"
 * only for unusual conditions.
 */
export function policyIsPublic(text: string): boolean {
  let doc: Json;
  try {
    doc = JSON.parse(text) as Json;
  } catch {
    return false;
  }
  if (!isObject(doc)) return false;
  const raw = doc.Statement;
  const statements = Array.isArray(raw) ? raw : raw === undefined ? [] : [raw];
  return statements.some((s) => isObject(s) && s.Effect === 'Allow' && s.Condition === undefined && grantsEveryone(s.Principal));
}

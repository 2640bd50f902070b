// Access control lists: the normalized model stored in extras.acl, built from a
// canned ACL (x-amz-acl), grant headers (x-amz-grant-*) or an
// AccessControlPolicy document, written back as S3 writes it, and evaluated by
// `aclAllows` for the authorization layer.
// https://docs.aws.amazon.com/AmazonS3/latest/userguide/acl-overview.html
// https://docs.aws.amazon.com/AmazonS3/latest/API/API_PutObjectAcl.html
import { S3Error } from './errors.ts';
import { childrenOf, isTree, textOf, type XmlTree } from './xml/parser.ts';
import { S3_XMLNS, el, elA, type XmlElement } from './xml/writer.ts';

export const PERMISSIONS = ['FULL_CONTROL', 'WRITE', 'WRITE_ACP', 'READ', 'READ_ACP'] as const;
export type Permission = (typeof PERMISSIONS)[number];

export const ALL_USERS = 'http://acs.amazonaws.com/groups/global/AllUsers';
export const AUTHENTICATED_USERS = 'http://acs.amazonaws.com/groups/global/AuthenticatedUsers';
export const LOG_DELIVERY = 'http://acs.amazonaws.com/groups/s3/LogDelivery';
const GROUPS: readonly string[] = [ALL_USERS, AUTHENTICATED_USERS, LOG_DELIVERY];

export type Grantee = { type: 'user'; id: string } | { type: 'group'; uri: string };

export interface Grant {
  grantee: Grantee;
  permission: Permission;
}

export interface Acl {
  /** The resource owner's user name (S3's canonical ID). */
  owner: string;
  grants: Grant[];
}

export type AclTarget = 'bucket' | 'object';

const XSI = 'http://www.w3.org/2001/XMLSchema-instance';

/** What S3 gives a new resource: its owner has FULL_CONTROL. */
export function defaultAcl(owner: string): Acl {
  return { owner, grants: [{ grantee: { type: 'user', id: owner }, permission: 'FULL_CONTROL' }] };
}

function userGrant(id: string, permission: Permission): Grant {
  return { grantee: { type: 'user', id }, permission };
}

function groupGrant(uri: string, permission: Permission): Grant {
  return { grantee: { type: 'group', uri }, permission };
}

/**
 * The ACL a canned ACL name stands for (the user guide's "Canned ACL" table).
 * bucket-owner-* apply to objects (on a bucket S3 ignores them: its owner is
 * the bucket owner); log-delivery-write applies to buckets only.
 * aws-exec-read's grant to Amazon EC2 has no grantee here, so it is the owner's alone.
 */
export function cannedAcl(name: string, owner: string, bucketOwner: string, target: AclTarget): Acl {
  const own = userGrant(owner, 'FULL_CONTROL');
  switch (name) {
    case 'private':
    case 'aws-exec-read':
      return { owner, grants: [own] };
    case 'public-read':
      return { owner, grants: [own, groupGrant(ALL_USERS, 'READ')] };
    case 'public-read-write':
      return { owner, grants: [own, groupGrant(ALL_USERS, 'READ'), groupGrant(ALL_USERS, 'WRITE')] };
    case 'authenticated-read':
      return { owner, grants: [own, groupGrant(AUTHENTICATED_USERS, 'READ')] };
    case 'bucket-owner-read':
      return { owner, grants: bucketOwner === owner || target === 'bucket' ? [own] : [own, userGrant(bucketOwner, 'READ')] };
    case 'bucket-owner-full-control':
      return { owner, grants: bucketOwner === owner || target === 'bucket' ? [own] : [own, userGrant(bucketOwner, 'FULL_CONTROL')] };
    case 'log-delivery-write':
      if (target === 'bucket') return { owner, grants: [own, groupGrant(LOG_DELIVERY, 'WRITE'), groupGrant(LOG_DELIVERY, 'READ_ACP')] };
  }
  // S3 answers an unknown name with an empty message and the argument.
  throw new S3Error('InvalidArgument', '', { ArgumentName: 'x-amz-acl', ArgumentValue: name });
}

/** x-amz-grant-* header -> the permission it grants. */
export const GRANT_HEADERS: ReadonlyArray<readonly [string, Permission]> = [
  ['x-amz-grant-full-control', 'FULL_CONTROL'],
  ['x-amz-grant-read', 'READ'],
  ['x-amz-grant-read-acp', 'READ_ACP'],
  ['x-amz-grant-write', 'WRITE'],
  ['x-amz-grant-write-acp', 'WRITE_ACP'],
];

/** Email grantees were withdrawn in October 2025; S3 now answers 405 to them. */
function emailGranteeRefused(): S3Error {
  return new S3Error('MethodNotAllowed', 'Email Grantee ACLs are no longer supported.');
}

function groupGrantee(uri: string, argumentName: string): Grantee {
  if (!GROUPS.includes(uri)) throw new S3Error('InvalidArgument', 'Invalid group uri', { ArgumentName: argumentName, ArgumentValue: uri });
  return { type: 'group', uri };
}

/**
 * One grant header's grantees: a comma-separated list of `type=value`, type
 * one of id, uri, emailAddress, the value quoted or bare
 * (`id="alice", uri="http://acs.amazonaws.com/groups/global/AllUsers"`).
 */
export function granteesFromHeader(name: string, value: string): Grantee[] {
  const items = value.match(/(?:[^,"]|"[^"]*")+/g) ?? [];
  const grantees: Grantee[] = [];
  for (const item of items) {
    const m = /^\s*([A-Za-z]+)\s*=\s*(?:"([^"]*)"|([^",\s]+))\s*$/.exec(item);
    if (!m) {
      if (item.trim() === '') continue;
      throw new S3Error('InvalidArgument', `Invalid value for the header ${name}`, { ArgumentName: name, ArgumentValue: value });
    }
    const type = m[1].toLowerCase();
    const text = m[2] ?? m[3];
    if (type === 'id' && text !== '') grantees.push({ type: 'user', id: text });
    else if (type === 'uri') grantees.push(groupGrantee(text, name));
    else if (type === 'emailaddress') throw emailGranteeRefused();
    else throw new S3Error('InvalidArgument', `Invalid value for the header ${name}`, { ArgumentName: name, ArgumentValue: value });
  }
  if (grantees.length === 0) throw new S3Error('InvalidArgument', `Invalid value for the header ${name}`, { ArgumentName: name, ArgumentValue: value });
  return grantees;
}

/** The grants the x-amz-grant-* headers give, or undefined when none is present. They add no grant to the owner. */
export function grantsFromHeaders(header: (name: string) => string | undefined): Grant[] | undefined {
  let grants: Grant[] | undefined;
  for (const [name, permission] of GRANT_HEADERS) {
    const value = header(name);
    if (value === undefined) continue;
    grants ??= [];
    for (const grantee of granteesFromHeader(name, value)) grants.push({ grantee, permission });
  }
  return grants;
}

/**
 * The ACL a request's headers set (x-amz-acl or x-amz-grant-*), or undefined
 * when it sets none. Both kinds at once is InvalidRequest, as S3 answers.
 */
export function aclFromHeaders(
  header: (name: string) => string | undefined,
  owner: string,
  bucketOwner: string,
  target: AclTarget,
): Acl | undefined {
  const canned = header('x-amz-acl');
  const grants = grantsFromHeaders(header);
  if (canned !== undefined && grants !== undefined) {
    throw new S3Error('InvalidRequest', 'Specifying both Canned ACLs and Header Grants is not allowed');
  }
  if (canned !== undefined) return cannedAcl(canned.trim(), owner, bucketOwner, target);
  if (grants !== undefined) return { owner, grants };
  return undefined;
}

function malformed(): S3Error {
  return new S3Error('MalformedACLError');
}

/**
 * The ACL of an AccessControlPolicy document for a resource owned by `owner`.
 * The parser drops attributes, so a grantee's kind is read from the element it
 * holds (ID, URI or EmailAddress), which is how the API reference names each
 * kind; xsi:type is not needed. An Owner other than the resource's is AccessDenied.
 */
export function aclFromXml(tree: XmlTree | undefined, owner: string): Acl {
  const root = tree?.AccessControlPolicy;
  if (!isTree(root)) throw malformed();
  if (root.Owner !== undefined) {
    if (!isTree(root.Owner)) throw malformed();
    const id = textOf(root.Owner.ID);
    if (id === undefined) throw malformed();
    if (id !== owner) throw new S3Error('AccessDenied');
  }
  const list = root.AccessControlList;
  if (list === undefined) throw malformed();
  if (!isTree(list)) {
    if (textOf(list) === '') return { owner, grants: [] };
    throw malformed();
  }
  const grants = childrenOf(list, 'Grant').map((grant): Grant => {
    if (!isTree(grant) || !isTree(grant.Grantee)) throw malformed();
    const permission = textOf(grant.Permission);
    if (!PERMISSIONS.some((p) => p === permission)) throw malformed();
    return { grantee: granteeFromXml(grant.Grantee), permission: permission as Permission };
  });
  return { owner, grants };
}

function granteeFromXml(grantee: XmlTree): Grantee {
  const id = textOf(grantee.ID);
  if (id !== undefined && id !== '') return { type: 'user', id };
  const uri = textOf(grantee.URI);
  if (uri !== undefined) return groupGrantee(uri, 'uri');
  if (grantee.EmailAddress !== undefined) throw emailGranteeRefused();
  throw malformed();
}

/** A stored extras.acl, checked (it is `unknown` in the store); undefined when absent or not an ACL. */
export function readAcl(raw: unknown): Acl | undefined {
  if (typeof raw !== 'object' || raw === null) return undefined;
  const { owner, grants } = raw as { owner?: unknown; grants?: unknown };
  if (typeof owner !== 'string' || !Array.isArray(grants)) return undefined;
  const ok = grants.every((g: unknown) => {
    if (typeof g !== 'object' || g === null) return false;
    const { grantee, permission } = g as { grantee?: { type?: unknown; id?: unknown; uri?: unknown }; permission?: unknown };
    return PERMISSIONS.some((p) => p === permission) && grantee !== undefined &&
      ((grantee.type === 'user' && typeof grantee.id === 'string') || (grantee.type === 'group' && typeof grantee.uri === 'string'));
  });
  return ok ? { owner, grants: grants as Grant[] } : undefined;
}

/** The resource's ACL: the stored one, or the default (owner FULL_CONTROL) when none was ever set. */
export function effectiveAcl(raw: unknown, owner: string): Acl {
  const acl = readAcl(raw);
  return acl ? { owner, grants: acl.grants } : defaultAcl(owner);
}

function granteeXml(grantee: Grantee): XmlElement {
  return grantee.type === 'user'
    ? elA('Grantee', { 'xmlns:xsi': XSI, 'xsi:type': 'CanonicalUser' }, el('ID', grantee.id), el('DisplayName', grantee.id))
    : elA('Grantee', { 'xmlns:xsi': XSI, 'xsi:type': 'Group' }, el('URI', grantee.uri));
}

/** The AccessControlPolicy document GetObjectAcl and GetBucketAcl answer. */
export function aclXml(acl: Acl): XmlElement {
  return elA('AccessControlPolicy', { xmlns: S3_XMLNS },
    el('Owner', el('ID', acl.owner), el('DisplayName', acl.owner)),
    el('AccessControlList', acl.grants.map((g) => el('Grant', granteeXml(g.grantee), el('Permission', g.permission)))));
}

/**
 * Whether the ACL gives `user` (undefined: an anonymous request) `permission`
 * on a resource owned by `owner`. FULL_CONTROL covers every permission; the
 * AllUsers group covers everyone, AuthenticatedUsers every named user. The
 * owner may always read and write the ACL itself, whatever it says
 * ("the resource owner ... always has READ_ACP and WRITE_ACP"), so an owner
 * cannot lock themselves out. An absent ACL is the default one.
 */
export function aclAllows(acl: Acl | undefined, owner: string, user: string | undefined, permission: Permission): boolean {
  if (user !== undefined && user === owner && (permission === 'READ_ACP' || permission === 'WRITE_ACP')) return true;
  const grants = (acl ?? defaultAcl(owner)).grants;
  return grants.some((grant) => {
    if (grant.permission !== permission && grant.permission !== 'FULL_CONTROL') return false;
    const g = grant.grantee;
    if (g.type === 'user') return user !== undefined && g.id === user;
    if (g.uri === ALL_USERS) return true;
    if (g.uri === AUTHENTICATED_USERS) return user !== undefined;
    return false;
  });
}

// A bucket's CORS rules: the CORSConfiguration document (read, validated as S3
// validates it, written back), and how a request is matched against the rules
// with the response headers a match earns.
// https://docs.aws.amazon.com/AmazonS3/latest/API/API_PutBucketCors.html
// https://docs.aws.amazon.com/AmazonS3/latest/userguide/ManageCorsUsing.html
// https://docs.aws.amazon.com/AmazonS3/latest/API/RESTOPTIONSobject.html
import { S3Error } from './errors.ts';
import { childrenOf, isTree, textOf, type XmlTree, type XmlValue } from './xml/parser.ts';
import { S3_XMLNS, el, elA, opt, type XmlElement } from './xml/writer.ts';

export interface CorsRule {
  id?: string;
  allowedOrigins: string[];
  allowedMethods: string[];
  allowedHeaders: string[];
  exposeHeaders: string[];
  maxAgeSeconds?: number;
}

/** "Valid values are GET, PUT, HEAD, POST, and DELETE." */
export const CORS_METHODS: readonly string[] = ['GET', 'PUT', 'HEAD', 'POST', 'DELETE'];
/** "You can add up to 100 rules to the configuration." */
const MAX_RULES = 100;
const MAX_ID_LENGTH = 255;

/** What S3 answers in Vary on every response a rule matched. */
export const CORS_VARY = 'Origin, Access-Control-Request-Headers, Access-Control-Request-Method';

function texts(rule: XmlTree, name: string): string[] {
  return childrenOf(rule, name).map((v: XmlValue) => {
    const text = textOf(v);
    if (text === undefined) throw new S3Error('MalformedXML');
    return text.trim();
  });
}

function wildcards(text: string): number {
  return text.split('*').length - 1;
}

function invalid(message: string): S3Error {
  return new S3Error('InvalidRequest', message);
}

function ruleFromXml(value: XmlValue): CorsRule {
  if (!isTree(value)) throw new S3Error('MalformedXML');
  const allowedOrigins = texts(value, 'AllowedOrigin');
  const allowedMethods = texts(value, 'AllowedMethod');
  if (allowedOrigins.length === 0 || allowedMethods.length === 0) throw new S3Error('MalformedXML');
  for (const method of allowedMethods) {
    if (!CORS_METHODS.includes(method)) invalidMethod(method);
  }
  for (const origin of allowedOrigins) {
    if (wildcards(origin) > 1) throw invalid(`AllowedOrigin "${origin}" can not have more than one wildcard.`);
  }
  const allowedHeaders = texts(value, 'AllowedHeader');
  for (const header of allowedHeaders) {
    if (wildcards(header) > 1) throw invalid(`AllowedHeader "${header}" can not have more than one wildcard.`);
  }
  const exposeHeaders = texts(value, 'ExposeHeader');
  for (const header of exposeHeaders) {
    if (header.includes('*')) throw invalid(`ExposeHeader "${header}" contains wildcard. We currently do not support wildcard for ExposeHeader.`);
  }
  const ids = texts(value, 'ID');
  const ages = texts(value, 'MaxAgeSeconds');
  if (ids.length > 1 || ages.length > 1) throw new S3Error('MalformedXML');
  if (ids[0] !== undefined && ids[0].length > MAX_ID_LENGTH) {
    throw new S3Error('InvalidArgument', `ID length should not exceed allowed limit of ${MAX_ID_LENGTH}`, { ArgumentName: 'ID', ArgumentValue: ids[0] });
  }
  if (ages[0] !== undefined && !/^\d{1,9}$/.test(ages[0])) throw new S3Error('MalformedXML');
  const rule: CorsRule = { allowedOrigins, allowedMethods, allowedHeaders, exposeHeaders };
  if (ids[0] !== undefined) rule.id = ids[0];
  if (ages[0] !== undefined) rule.maxAgeSeconds = Number(ages[0]);
  return rule;
}

function invalidMethod(method: string): never {
  throw invalid(`Found unsupported HTTP method in CORS config. Unsupported method is ${method}`);
}

/** The rules of a CORSConfiguration document: MalformedXML for no rules or more than 100, InvalidRequest for a bad value. */
export function corsFromXml(tree: XmlTree): CorsRule[] {
  const root = tree.CORSConfiguration;
  if (!isTree(root)) throw new S3Error('MalformedXML');
  const rules = childrenOf(root, 'CORSRule');
  if (rules.length === 0 || rules.length > MAX_RULES) throw new S3Error('MalformedXML');
  return rules.map(ruleFromXml);
}

/** The CORSConfiguration document GetBucketCors answers, members in the API model's order. */
export function corsXml(rules: readonly CorsRule[]): XmlElement {
  return elA('CORSConfiguration', { xmlns: S3_XMLNS }, rules.map((r) => el('CORSRule',
    opt('ID', r.id),
    r.allowedHeaders.map((h) => el('AllowedHeader', h)),
    r.allowedMethods.map((m) => el('AllowedMethod', m)),
    r.allowedOrigins.map((o) => el('AllowedOrigin', o)),
    r.exposeHeaders.map((h) => el('ExposeHeader', h)),
    opt('MaxAgeSeconds', r.maxAgeSeconds))));
}

function isStringArray(v: unknown): v is string[] {
  return Array.isArray(v) && v.every((s) => typeof s === 'string');
}

/** Stored extras.cors, checked (it is `unknown` in the store); undefined when there is no configuration. */
export function readCors(raw: unknown): CorsRule[] | undefined {
  if (!Array.isArray(raw) || raw.length === 0) return undefined;
  const ok = raw.every((r: unknown) => {
    if (typeof r !== 'object' || r === null) return false;
    const rule = r as Record<string, unknown>;
    return isStringArray(rule.allowedOrigins) && isStringArray(rule.allowedMethods) &&
      isStringArray(rule.allowedHeaders) && isStringArray(rule.exposeHeaders) &&
      (rule.id === undefined || typeof rule.id === 'string') &&
      (rule.maxAgeSeconds === undefined || typeof rule.maxAgeSeconds === 'number');
  });
  return ok ? (raw as CorsRule[]) : undefined;
}

/**
 * A pattern with at most one `*`, which matches any run of characters
 * (the empty one too); the pattern is anchored at both ends, as s3-tests shows
 * (`*suffix`, `start*end`, `prefix*`).
 */
export function wildcardMatch(pattern: string, text: string): boolean {
  const star = pattern.indexOf('*');
  if (star < 0) return pattern === text;
  const head = pattern.slice(0, star);
  const tail = pattern.slice(star + 1);
  return text.length >= head.length + tail.length && text.startsWith(head) && text.endsWith(tail);
}

/** The first AllowedOrigin of the rule that matches; origins compare case-sensitively, as browsers send them. */
function matchingOrigin(rule: CorsRule, origin: string): string | undefined {
  return rule.allowedOrigins.find((pattern) => wildcardMatch(pattern, origin));
}

function headerAllowed(rule: CorsRule, header: string): boolean {
  return rule.allowedHeaders.some((pattern) => wildcardMatch(pattern.toLowerCase(), header));
}

/** The names of an Access-Control-Request-Headers value, lower-cased, in the order sent. */
export function requestedHeaders(value: string | undefined): string[] {
  return (value ?? '').split(',').map((h) => h.trim().toLowerCase()).filter((h) => h !== '');
}

/**
 * S3 uses "the first CORSRule rule that matches": the origin matches an
 * AllowedOrigin, the method is an AllowedMethod, and (for a preflight) every
 * requested header matches an AllowedHeader.
 */
export function matchRule(rules: readonly CorsRule[], origin: string, method: string, headers: readonly string[] = []): CorsRule | undefined {
  return rules.find((rule) => matchingOrigin(rule, origin) !== undefined &&
    rule.allowedMethods.includes(method) &&
    headers.every((h) => headerAllowed(rule, h)));
}

/**
 * The headers a matching rule earns, as S3 sends them: the origin echoed (or
 * `*` when the rule allows any origin, and then no Allow-Credentials), the
 * rule's methods, the requested headers (preflight only), the exposed headers,
 * the max age, and Vary.
 */
export function corsHeaders(rule: CorsRule, origin: string, headers: readonly string[] = []): Record<string, string> {
  const anyOrigin = matchingOrigin(rule, origin) === '*';
  const out: Record<string, string> = {
    'Access-Control-Allow-Origin': anyOrigin ? '*' : origin,
    'Access-Control-Allow-Methods': rule.allowedMethods.join(', '),
  };
  if (headers.length > 0) out['Access-Control-Allow-Headers'] = headers.join(', ');
  if (rule.exposeHeaders.length > 0) out['Access-Control-Expose-Headers'] = rule.exposeHeaders.join(', ');
  if (rule.maxAgeSeconds !== undefined) out['Access-Control-Max-Age'] = String(rule.maxAgeSeconds);
  if (!anyOrigin) out['Access-Control-Allow-Credentials'] = 'true';
  out.Vary = CORS_VARY;
  return out;
}

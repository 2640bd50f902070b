// Bucket policy evaluation: which statements of a stored policy apply to one
// (principal, action, resource, context) and what they say together: an
// explicit Deny, an Allow, or no match. The document was validated by
// src/s3/policy-doc.ts before it was stored; this reads it leniently and
// fails closed where it cannot understand a statement.
// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html
// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_principal.html
// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_notprincipal.html
import { iamMatch, type Variables } from './iam-glob.ts';
import { contextKey, evaluateConditions, type ConditionBlock, type ConditionContext } from './policy-conditions.ts';

export type PolicyDecision = 'Allow' | 'Deny' | 'NoMatch';

/** Who asks: a named user (undefined for an anonymous request), and whether it is Strata's root user. */
export interface PolicyPrincipal {
  user: string | undefined;
  isRoot: boolean;
}

export interface PolicyRequest {
  principal: PolicyPrincipal;
  /** e.g. `s3:GetObject` */
  action: string;
  /** `arn:aws:s3:::bucket` or `arn:aws:s3:::bucket/key` */
  resource: string;
  context: ConditionContext;
}

/** `*`, or principal kind (AWS, CanonicalUser, Service, Federated) -> values. */
type PrincipalSpec = '*' | Readonly<Record<string, readonly string[]>>;

interface Statement {
  effect: 'Allow' | 'Deny';
  principal: PrincipalSpec;
  /** NotPrincipal: the statement applies to everyone the spec does not name. */
  notPrincipal: boolean;
  actions: readonly string[];
  notAction: boolean;
  resources: readonly string[];
  notResource: boolean;
  conditions: ConditionBlock | undefined;
}

export interface ParsedPolicy {
  /** Policy variables are only substituted in version 2012-10-17 documents. */
  variables: boolean;
  statements: readonly Statement[];
}

type Json = string | number | boolean | null | Json[] | { [key: string]: Json };
type JsonObject = { [key: string]: Json };

function isObject(v: Json | undefined): v is JsonObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Condition values may be strings, numbers or booleans, single or in a list. */
function scalarList(v: Json | undefined): string[] | undefined {
  const list = Array.isArray(v) ? v : v === undefined ? [] : [v];
  if (list.length === 0) return undefined;
  const out: string[] = [];
  for (const item of list) {
    if (typeof item === 'string') out.push(item);
    else if (typeof item === 'number' || typeof item === 'boolean') out.push(String(item));
    else return undefined;
  }
  return out;
}

function principalSpec(v: Json | undefined): PrincipalSpec | undefined {
  if (v === '*') return '*';
  if (!isObject(v)) return undefined;
  const spec: Record<string, readonly string[]> = {};
  for (const [kind, values] of Object.entries(v)) {
    const list = scalarList(values);
    if (!list) return undefined;
    spec[kind] = list;
  }
  return spec;
}

function conditionBlock(v: Json | undefined): ConditionBlock | undefined | null {
  if (v === undefined) return undefined;
  if (!isObject(v)) return null;
  const block: Record<string, Record<string, readonly string[]>> = {};
  for (const [operator, keys] of Object.entries(v)) {
    if (!isObject(keys)) return null;
    block[operator] = {};
    for (const [key, values] of Object.entries(keys)) {
      const list = scalarList(values);
      if (!list) return null;
      block[operator][key] = list;
    }
  }
  return block;
}

/**
 * One statement, or undefined when it cannot be read. An unreadable Deny is
 * kept as a Deny of everything (fail closed); an unreadable Allow is dropped.
 */
function parseStatement(s: JsonObject): Statement | undefined {
  const effect = s.Effect === 'Allow' || s.Effect === 'Deny' ? s.Effect : undefined;
  if (!effect) return undefined;
  const principal = principalSpec(s.Principal ?? s.NotPrincipal);
  const actions = scalarList(s.Action ?? s.NotAction);
  const resources = scalarList(s.Resource ?? s.NotResource);
  const conditions = conditionBlock(s.Condition);
  if (!principal || !actions || !resources || conditions === null) {
    return effect === 'Deny'
      ? { effect, principal: '*', notPrincipal: false, actions: ['*'], notAction: false, resources: ['*'], notResource: false, conditions: undefined }
      : undefined;
  }
  return {
    effect,
    principal,
    notPrincipal: s.Principal === undefined,
    actions,
    notAction: s.Action === undefined,
    resources,
    notResource: s.Resource === undefined,
    conditions,
  };
}

/** Parses a stored policy text; undefined when it is not a policy at all (validated documents always are). */
export function parsePolicy(text: string): ParsedPolicy | undefined {
  let doc: Json;
  try {
    doc = JSON.parse(text) as Json;
  } catch {
    return undefined;
  }
  if (!isObject(doc)) return undefined;
  const raw = doc.Statement;
  const list = Array.isArray(raw) ? raw : raw === undefined ? [] : [raw];
  const statements: Statement[] = [];
  for (const s of list) {
    if (!isObject(s)) continue;
    const statement = parseStatement(s);
    if (statement) statements.push(statement);
  }
  return { variables: doc.Version === '2012-10-17', statements };
}

/** Parsed policies by text: a bucket's policy is read on every request to it. */
const parsed = new Map<string, ParsedPolicy | undefined>();
const PARSED_LIMIT = 256;

function cachedPolicy(text: string): ParsedPolicy | undefined {
  if (parsed.has(text)) return parsed.get(text);
  const policy = parsePolicy(text);
  if (parsed.size >= PARSED_LIMIT) parsed.clear();
  parsed.set(text, policy);
  return policy;
}

const IAM_ARN = /^arn:aws[\w-]*:iam::[^:]*:(.+)$/;

/**
 * An AWS principal value names one of our users: a bare user name, or an IAM
 * ARN whose last path segment is the name (`arn:aws:iam::123456789012:user/alice`,
 * `.../user/team/alice`). The account ARN (`arn:aws:iam::...:root`) names the root user.
 */
function awsPrincipalNames(value: string, who: PolicyPrincipal): boolean {
  if (who.user === undefined) return false;
  const m = IAM_ARN.exec(value);
  if (!m) return value === who.user;
  const rest = m[1];
  if (rest === 'root') return who.isRoot;
  if (!rest.startsWith('user/')) return false;
  return rest.slice(rest.lastIndexOf('/') + 1) === who.user;
}

/** `"*"` and `{"AWS": "*"}` name everyone, anonymous requests included. */
export function principalMatches(spec: PrincipalSpec, who: PolicyPrincipal): boolean {
  if (spec === '*') return true;
  for (const [kind, values] of Object.entries(spec)) {
    if (kind === 'AWS' && values.some((v) => v === '*' || awsPrincipalNames(v, who))) return true;
    // Our canonical user IDs are user names.
    if (kind === 'CanonicalUser' && values.some((v) => v === '*' || (who.user !== undefined && v === who.user))) return true;
  }
  return false;
}

function variablesFor(context: ConditionContext): Variables {
  return (name) => {
    const values = context.get(contextKey(name));
    return values !== undefined && values.length === 1 ? values[0] : undefined;
  };
}

/** Whether the statement applies, or undefined when its condition uses an operator we do not know. */
function statementApplies(s: Statement, request: PolicyRequest, variables: Variables | undefined): boolean | undefined {
  if (principalMatches(s.principal, request.principal) === s.notPrincipal) return false;
  const actionNamed = s.actions.some((a) => iamMatch(a, request.action, { wildcards: true, ignoreCase: true }));
  if (actionNamed === s.notAction) return false;
  const resourceNamed = s.resources.some((r) => iamMatch(r, request.resource, { wildcards: true, ignoreCase: false, variables }));
  if (resourceNamed === s.notResource) return false;
  return evaluateConditions(s.conditions, request.context, variables);
}

/**
 * What the policy says about the request: Deny if any applicable statement
 * denies, else Allow if any allows, else NoMatch. A condition this evaluator
 * cannot read makes a Deny apply and an Allow not apply.
 */
export function evaluatePolicy(policy: ParsedPolicy | string | undefined, request: PolicyRequest): PolicyDecision {
  const doc = typeof policy === 'string' ? cachedPolicy(policy) : policy;
  if (!doc) return 'NoMatch';
  const variables = doc.variables ? variablesFor(request.context) : undefined;
  let allowed = false;
  for (const s of doc.statements) {
    const applies = statementApplies(s, request, variables);
    if (s.effect === 'Deny' && applies !== false) return 'Deny';
    if (s.effect === 'Allow' && applies === true) allowed = true;
  }
  return allowed ? 'Allow' : 'NoMatch';
}

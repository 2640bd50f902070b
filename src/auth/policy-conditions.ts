// The Condition block of a bucket policy statement, evaluated against the
// request's context keys: String*, Numeric*, Date*, Bool, BinaryEquals,
// IpAddress/NotIpAddress, Arn*, Null, each with ...IfExists, and the
// ForAnyValue: / ForAllValues: set qualifiers for multivalued keys.
// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html
// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-single-vs-multi-valued-context-keys.html
// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-logic-multiple-context-keys-or-values.html
import { iamMatch, type Variables } from './iam-glob.ts';
import { ipInCidr } from './ip-cidr.ts';

/** Context key (normalized with `contextKey`) -> its values; a key that is not there is absent. */
export type ConditionContext = ReadonlyMap<string, readonly string[]>;

/** Operator -> condition key -> the policy's values for it. */
export type ConditionBlock = Readonly<Record<string, Readonly<Record<string, readonly string[]>>>>;

/**
 * Key names compare case-insensitively, but what follows a `/` is a tag key
 * or similar, which is case-sensitive (`s3:ExistingObjectTag/Project`).
 */
export function contextKey(name: string): string {
  const slash = name.indexOf('/');
  return slash < 0 ? name.toLowerCase() : name.slice(0, slash).toLowerCase() + name.slice(slash);
}

type Compare = (requestValue: string, policyValue: string, variables: Variables | undefined) => boolean;

interface Operator {
  compare: Compare;
  /** Negated operators: true when no policy value matches, and true when the key is absent. */
  negated: boolean;
}

function number(text: string): number {
  return text.trim() === '' ? NaN : Number(text);
}

/** Dates are ISO 8601 text or epoch seconds (aws:EpochTime). */
function date(text: string): number {
  return /^\d+$/.test(text.trim()) ? Number(text) * 1000 : Date.parse(text);
}

const equalsText = (ignoreCase: boolean): Compare => (rv, pv, variables) =>
  iamMatch(pv, rv, { wildcards: false, ignoreCase, variables });
const likeText: Compare = (rv, pv, variables) => iamMatch(pv, rv, { wildcards: true, ignoreCase: false, variables });
const numeric = (test: (a: number, b: number) => boolean): Compare => (rv, pv) => {
  const a = number(rv);
  const b = number(pv);
  return !Number.isNaN(a) && !Number.isNaN(b) && test(a, b);
};
const dated = (test: (a: number, b: number) => boolean): Compare => (rv, pv) => {
  const a = date(rv);
  const b = date(pv);
  return !Number.isNaN(a) && !Number.isNaN(b) && test(a, b);
};
const positive = (compare: Compare): Operator => ({ compare, negated: false });
const negative = (compare: Compare): Operator => ({ compare, negated: true });

const OPERATORS: Readonly<Record<string, Operator>> = {
  StringEquals: positive(equalsText(false)),
  StringNotEquals: negative(equalsText(false)),
  StringEqualsIgnoreCase: positive(equalsText(true)),
  StringNotEqualsIgnoreCase: negative(equalsText(true)),
  StringLike: positive(likeText),
  StringNotLike: negative(likeText),
  NumericEquals: positive(numeric((a, b) => a === b)),
  NumericNotEquals: negative(numeric((a, b) => a === b)),
  NumericLessThan: positive(numeric((a, b) => a < b)),
  NumericLessThanEquals: positive(numeric((a, b) => a <= b)),
  NumericGreaterThan: positive(numeric((a, b) => a > b)),
  NumericGreaterThanEquals: positive(numeric((a, b) => a >= b)),
  DateEquals: positive(dated((a, b) => a === b)),
  DateNotEquals: negative(dated((a, b) => a === b)),
  DateLessThan: positive(dated((a, b) => a < b)),
  DateLessThanEquals: positive(dated((a, b) => a <= b)),
  DateGreaterThan: positive(dated((a, b) => a > b)),
  DateGreaterThanEquals: positive(dated((a, b) => a >= b)),
  Bool: positive((rv, pv) => rv.toLowerCase() === pv.toLowerCase()),
  BinaryEquals: positive((rv, pv) => rv === pv),
  IpAddress: positive((rv, pv) => ipInCidr(rv, pv)),
  NotIpAddress: negative((rv, pv) => ipInCidr(rv, pv)),
  // ARN operators compare the whole ARN with wildcards (IAM checks each of the six parts; whole-string is a superset only across ':').
  ArnEquals: positive(likeText),
  ArnLike: positive(likeText),
  ArnNotEquals: negative(likeText),
  ArnNotLike: negative(likeText),
};

/** Whether the operator name is one this evaluator knows (qualifier and IfExists stripped). */
export function knownOperator(name: string): boolean {
  const { base } = splitOperator(name);
  return base === 'Null' || OPERATORS[base] !== undefined;
}

function splitOperator(name: string): { qualifier: 'any' | 'all' | undefined; base: string; ifExists: boolean } {
  let rest = name;
  let qualifier: 'any' | 'all' | undefined;
  if (rest.startsWith('ForAnyValue:')) {
    qualifier = 'any';
    rest = rest.slice('ForAnyValue:'.length);
  } else if (rest.startsWith('ForAllValues:')) {
    qualifier = 'all';
    rest = rest.slice('ForAllValues:'.length);
  }
  const ifExists = rest.endsWith('IfExists') && rest !== 'IfExists';
  return { qualifier, base: ifExists ? rest.slice(0, -'IfExists'.length) : rest, ifExists };
}

/**
 * One operator applied to one key. Absent key: false, except negated
 * operators (true), ...IfExists (true), ForAllValues (true, vacuously) and
 * Null. Several policy values: a match with one of them is enough (for negated operators: none may match).
 * Several request values: at least one must satisfy, or all with ForAllValues.
 */
export function evaluateOperator(
  operator: string, key: string, policyValues: readonly string[], context: ConditionContext, variables?: Variables,
): boolean | undefined {
  const { qualifier, base, ifExists } = splitOperator(operator);
  const values = context.get(contextKey(key));
  const present = values !== undefined && values.length > 0;
  if (base === 'Null') {
    // "true": the key must be absent; "false": present.
    return policyValues.some((pv) => (pv.toLowerCase() === 'true') === !present);
  }
  const op = OPERATORS[base];
  if (!op) return undefined;
  if (!present) {
    if (ifExists || qualifier === 'all') return true;
    if (qualifier === 'any') return false;
    return op.negated;
  }
  const satisfies = (rv: string): boolean => {
    const matched = policyValues.some((pv) => op.compare(rv, pv, variables));
    return op.negated ? !matched : matched;
  };
  return qualifier === 'all' ? values.every(satisfies) : values.some(satisfies);
}

/**
 * A whole Condition block: every operator, and every key under it, must hold.
 * `undefined` when it uses an operator this evaluator does not know, so the
 * caller can fail closed (a Deny applies, an Allow does not).
 */
export function evaluateConditions(block: ConditionBlock | undefined, context: ConditionContext, variables?: Variables): boolean | undefined {
  if (block === undefined) return true;
  let unknown = false;
  for (const [operator, keys] of Object.entries(block)) {
    for (const [key, values] of Object.entries(keys)) {
      const result = evaluateOperator(operator, key, values, context, variables);
      if (result === undefined) unknown = true;
      else if (!result) return false;
    }
  }
  return unknown ? undefined : true;
}

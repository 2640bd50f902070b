// IAM pattern matching for bucket policies: `*` matches any run of characters
// (`/` and `:` included), `?` exactly one, and policy variables such as
// `${aws:username}` are replaced by the request's value (only in policies of
// version 2012-10-17; `${*}`, `${?}`, `${$}` stand for the literal character,
// `${key, 'default'}` gives a fallback).
// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_resource.html#reference_policies_elements_resource_wildcards
// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_variables.html

/** Looks a variable's key up in the request; undefined when the request has no value for it. */
export type Variables = (name: string) => string | undefined;

export interface PatternOptions {
  /** Whether `*` and `?` are wildcards (StringLike, Action, Resource) or literal (StringEquals). */
  wildcards: boolean;
  ignoreCase: boolean;
  /** When given, `${...}` is a policy variable; when not, it is literal text. */
  variables?: Variables;
}

const SPECIAL: Readonly<Record<string, string>> = { '*': '*', '?': '?', '$': '$' };
const VARIABLE_BODY = /^\s*([^\s,]+)\s*(?:,\s*'([^']*)'\s*)?$/;

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** Variable-free patterns are compiled once; policies are small, but evaluated on every request. */
const cache = new Map<string, RegExp>();
const CACHE_LIMIT = 2000;

/**
 * The pattern as an anchored RegExp, or undefined when it names a variable the
 * request has no value for: IAM then treats the value as matching nothing.
 */
export function iamPattern(pattern: string, options: PatternOptions): RegExp | undefined {
  const hasVariables = options.variables !== undefined && pattern.includes('${');
  const cacheKey = `${options.wildcards ? 'w' : 'l'}${options.ignoreCase ? 'i' : 's'}${pattern}`;
  if (!hasVariables) {
    const hit = cache.get(cacheKey);
    if (hit) return hit;
  }
  let source = '';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i];
    if (hasVariables && c === '$' && pattern[i + 1] === '{') {
      const end = pattern.indexOf('}', i + 2);
      if (end > 0) {
        const value = resolveVariable(pattern.slice(i + 2, end), options.variables as Variables);
        if (value === undefined) return undefined;
        source += escapeRegExp(value);
        i = end;
        continue;
      }
    }
    if (options.wildcards && c === '*') source += '.*';
    else if (options.wildcards && c === '?') source += '.';
    else source += escapeRegExp(c);
  }
  const re = new RegExp(`^${source}$`, options.ignoreCase ? 'isu' : 'su');
  if (!hasVariables) {
    if (cache.size >= CACHE_LIMIT) cache.clear();
    cache.set(cacheKey, re);
  }
  return re;
}

function resolveVariable(body: string, variables: Variables): string | undefined {
  const special = SPECIAL[body];
  if (special !== undefined) return special;
  const m = VARIABLE_BODY.exec(body);
  if (!m) return undefined;
  return variables(m[1]) ?? m[2];
}

/** Whether `text` matches the IAM pattern (false when a variable is unresolved). */
export function iamMatch(pattern: string, text: string, options: PatternOptions): boolean {
  return iamPattern(pattern, options)?.test(text) ?? false;
}

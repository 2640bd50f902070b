// The one XML writer: responses are built as element trees and rendered here,
// where every text and attribute value is escaped. No XML is concatenated elsewhere.

export const S3_XMLNS = 'http://s3.amazonaws.com/doc/2006-03-01/';

export type XmlChild = XmlElement | string | number | boolean | null | undefined | XmlChild[];

export interface XmlElement {
  readonly name: string;
  readonly attrs?: Readonly<Record<string, string>>;
  readonly children: readonly XmlChild[];
}

/** An element; null/undefined children are skipped, arrays are flattened. */
export function el(name: string, ...children: XmlChild[]): XmlElement {
  return { name, children };
}

/** An element with attributes (e.g. the root's xmlns). */
export function elA(name: string, attrs: Record<string, string>, ...children: XmlChild[]): XmlElement {
  return { name, attrs, children };
}

/** `el` that yields nothing when the value is absent, for optional fields. */
export function opt(name: string, value: string | number | boolean | null | undefined): XmlElement | undefined {
  return value === undefined || value === null ? undefined : el(name, value);
}

// XML 1.0 cannot carry most C0 controls even as references; S3 keys may
// contain them, so they are written as character references that parsers
// accepting XML 1.1-style input (the AWS SDKs) read back.
const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;', '\r': '&#13;', '\n': '&#10;', '\t': '&#9;' };

export function escapeXml(text: string): string {
  return text.replace(/[&<>"'\r\n\t]|[\u0000-\u0008\u000b\u000c\u000e-\u001f]/g,
    (ch) => ESCAPES[ch] ?? `&#${ch.charCodeAt(0)};`);
}

function renderInto(out: string[], node: XmlChild): void {
  if (node === null || node === undefined) return;
  if (Array.isArray(node)) {
    for (const child of node) renderInto(out, child);
    return;
  }
  if (typeof node !== 'object') {
    out.push(escapeXml(String(node)));
    return;
  }
  out.push('<', node.name);
  if (node.attrs) for (const [k, v] of Object.entries(node.attrs)) out.push(' ', k, '="', escapeXml(v), '"');
  if (node.children.length === 0) {
    out.push('/>');
    return;
  }
  out.push('>');
  for (const child of node.children) renderInto(out, child);
  out.push('</', node.name, '>');
}

/** A whole document with the XML declaration S3 sends. */
export function renderXml(root: XmlElement): string {
  const out: string[] = ['<?xml version="1.0" encoding="UTF-8"?>\n'];
  renderInto(out, root);
  return out.join('');
}

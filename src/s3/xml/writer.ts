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

const NEEDS_ESCAPE = /[&<>"'\r\n\t\u0000-\u0008\u000b\u000c\u000e-\u001f]/;
const ESCAPABLE = /[&<>"'\r\n\t]|[\u0000-\u0008\u000b\u000c\u000e-\u001f]/g;

export function escapeXml(text: string): string {
  // Most values (keys, dates, sizes) need nothing: test before replacing.
  if (!NEEDS_ESCAPE.test(text)) return text;
  return text.replace(ESCAPABLE, (ch) => ESCAPES[ch] ?? `&#${ch.charCodeAt(0)};`);
}

/** Appends one node; strings grow by concatenation, which V8 builds as ropes without copying. */
function render(node: XmlChild): string {
  if (node === null || node === undefined) return '';
  if (Array.isArray(node)) {
    let out = '';
    for (const child of node) out += render(child);
    return out;
  }
  if (typeof node !== 'object') return escapeXml(String(node));
  let out = `<${node.name}`;
  if (node.attrs) for (const [k, v] of Object.entries(node.attrs)) out += ` ${k}="${escapeXml(v)}"`;
  if (node.children.length === 0) return `${out}/>`;
  out += '>';
  for (const child of node.children) out += render(child);
  return `${out}</${node.name}>`;
}

/** A whole document with the XML declaration S3 sends. */
export function renderXml(root: XmlElement): string {
  return `<?xml version="1.0" encoding="UTF-8"?>\n${render(root)}`;
}

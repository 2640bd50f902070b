// The one XML parser, configured safe: no entity expansion, no DOCTYPE, no
// prototype keys, and a size limit enforced before a byte is parsed.
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import type { Readable } from 'node:stream';
import { S3Error } from '../errors.ts';

const parser = new XMLParser({
  ignoreAttributes: true,
  removeNSPrefix: true,
  processEntities: false,
  htmlEntities: false,
  parseTagValue: false,
  trimValues: false,
  ignoreDeclaration: true,
  isArray: () => false,
});

export type XmlTree = { [name: string]: XmlValue };
export type XmlValue = string | XmlTree | XmlValue[];

const ENTITY_REF = /&(amp|lt|gt|quot|apos|#\d+|#x[0-9a-fA-F]+);/g;

/** Decodes the five predefined entities and character references, and nothing else. */
export function decodeEntities(text: string): string {
  return text.replace(ENTITY_REF, (_m, ref: string) => {
    switch (ref) {
      case 'amp': return '&';
      case 'lt': return '<';
      case 'gt': return '>';
      case 'quot': return '"';
      case 'apos': return "'";
    }
    const cp = ref[1] === 'x' ? parseInt(ref.slice(2), 16) : parseInt(ref.slice(1), 10);
    return cp <= 0x10ffff ? String.fromCodePoint(cp) : '';
  });
}

/** Parses a document already in memory; MalformedXML for anything not well-formed. */
export function parseXml(text: string): XmlTree {
  if (/<!DOCTYPE|<!ENTITY/i.test(text) || XMLValidator.validate(text) !== true) throw new S3Error('MalformedXML');
  const tree = parser.parse(text) as unknown;
  if (typeof tree !== 'object' || tree === null) throw new S3Error('MalformedXML');
  return tree as XmlTree;
}

/** Reads a request body up to `limit` bytes (MalformedXML beyond it) and parses it. */
export async function readXmlBody(body: Readable, limit = 1024 * 1024): Promise<XmlTree | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body) {
    size += (chunk as Buffer).length;
    if (size > limit) throw new S3Error('MalformedXML', `The XML you provided was larger than the maximum of ${limit} bytes.`);
    chunks.push(chunk as Buffer);
  }
  const text = Buffer.concat(chunks).toString('utf8');
  if (text.trim() === '') return undefined;
  return parseXml(text);
}

/** The text of a leaf, with entities decoded; '' for an empty element. */
export function textOf(value: XmlValue | undefined): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value === 'string') return decodeEntities(value);
  if (Array.isArray(value)) return undefined;
  return Object.keys(value).length === 0 ? '' : undefined;
}

/** A child element that may occur once or many times, always as an array. */
export function childrenOf(tree: XmlTree, name: string): XmlValue[] {
  const v = tree[name];
  if (v === undefined) return [];
  return Array.isArray(v) ? v : [v];
}

export function isTree(v: XmlValue | undefined): v is XmlTree {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

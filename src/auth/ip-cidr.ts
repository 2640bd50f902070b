// IP addresses and CIDR blocks for the IpAddress / NotIpAddress condition
// operators (aws:SourceIp): IPv4 and IPv6, with IPv4-mapped IPv6 addresses
// (`::ffff:127.0.0.1`, what a dual-stack Node socket reports for an IPv4 peer)
// treated as the IPv4 address they carry, on either side.
// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html#Conditions_IPAddress
import { isIPv4, isIPv6 } from 'node:net';

export interface IpAddress {
  v6: boolean;
  /** 4 bytes for IPv4, 16 for IPv6. */
  bytes: number[];
}

export interface CidrBlock extends IpAddress {
  prefix: number;
}

function ipv4Bytes(text: string): number[] | undefined {
  if (!isIPv4(text)) return undefined;
  return text.split('.').map(Number);
}

function ipv6Bytes(text: string): number[] | undefined {
  if (!isIPv6(text)) return undefined;
  let head = text;
  let tail: number[] = [];
  const lastColon = text.lastIndexOf(':');
  if (text.slice(lastColon + 1).includes('.')) {
    const v4 = ipv4Bytes(text.slice(lastColon + 1));
    if (!v4) return undefined;
    tail = v4;
    head = text.slice(0, lastColon + 1);
    if (!head.endsWith('::')) head = head.slice(0, -1);
  }
  const groupsNeeded = 8 - tail.length / 2;
  const halves = head.split('::');
  const groupsOf = (part: string): string[] => (part === '' ? [] : part.split(':'));
  const left = groupsOf(halves[0]);
  const right = halves.length > 1 ? groupsOf(halves[1]) : [];
  const zeros = halves.length > 1 ? groupsNeeded - left.length - right.length : 0;
  if (zeros < 0 || (halves.length === 1 && left.length !== groupsNeeded)) return undefined;
  const groups = [...left, ...Array<string>(zeros).fill('0'), ...right].map((g) => parseInt(g, 16));
  return [...groups.flatMap((g) => [g >> 8, g & 0xff]), ...tail];
}

/** An IPv6 address in ::ffff:0:0/96 carries an IPv4 address. */
function isMapped(bytes: number[]): boolean {
  return bytes.length === 16 && bytes.slice(0, 10).every((b) => b === 0) && bytes[10] === 0xff && bytes[11] === 0xff;
}

/** Parses an address (IPv6 may be bracketed or carry a zone id); mapped IPv4 comes back as IPv4. */
export function parseIp(text: string): IpAddress | undefined {
  let t = text.trim();
  if (t.startsWith('[') && t.endsWith(']')) t = t.slice(1, -1);
  const zone = t.indexOf('%');
  if (zone >= 0) t = t.slice(0, zone);
  const v4 = ipv4Bytes(t);
  if (v4) return { v6: false, bytes: v4 };
  const v6 = ipv6Bytes(t);
  if (!v6) return undefined;
  return isMapped(v6) ? { v6: false, bytes: v6.slice(12) } : { v6: true, bytes: v6 };
}

/** `addr/prefix`, or a bare address (a single host). A mapped IPv6 block of /96 or longer becomes the IPv4 block it covers. */
export function parseCidr(text: string): CidrBlock | undefined {
  const slash = text.indexOf('/');
  const addressText = slash < 0 ? text : text.slice(0, slash);
  const prefixText = slash < 0 ? undefined : text.slice(slash + 1).trim();
  let t = addressText.trim();
  const zone = t.indexOf('%');
  if (zone >= 0) t = t.slice(0, zone);
  const v4 = ipv4Bytes(t);
  const v6 = v4 ? undefined : ipv6Bytes(t);
  const bytes = v4 ?? v6;
  if (!bytes) return undefined;
  const max = bytes.length * 8;
  if (prefixText !== undefined && !/^\d{1,3}$/.test(prefixText)) return undefined;
  const prefix = prefixText === undefined ? max : Number(prefixText);
  if (prefix > max) return undefined;
  if (v6 && isMapped(v6) && prefix >= 96) return { v6: false, bytes: v6.slice(12), prefix: prefix - 96 };
  return { v6: v4 === undefined, bytes, prefix };
}

/** Whether the address lies in the block; addresses of the other family never do. */
export function inCidr(ip: IpAddress, block: CidrBlock): boolean {
  if (ip.v6 !== block.v6) return false;
  let bits = block.prefix;
  for (let i = 0; bits > 0; i++, bits -= 8) {
    const mask = bits >= 8 ? 0xff : (0xff << (8 - bits)) & 0xff;
    if ((ip.bytes[i] & mask) !== (block.bytes[i] & mask)) return false;
  }
  return true;
}

/** Convenience for conditions: the address text in the CIDR text; false when either does not parse. */
export function ipInCidr(address: string, cidr: string): boolean {
  const ip = parseIp(address);
  const block = parseCidr(cidr);
  return ip !== undefined && block !== undefined && inCidr(ip, block);
}

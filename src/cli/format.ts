// How entries of the FS API are printed: `fs ls` lines in Alluxio's layout,
// `fs stat` blocks, timestamps and byte counts.
import type { FsEntry } from '../admin/fs-api.ts';
import type { TierPages } from '../cache/page-cache.ts';

const pad2 = (n: number): string => String(n).padStart(2, '0');

/** Local time as MM-dd-yyyy HH:mm:ss:SSS, the way Alluxio's `fs ls` shows it. */
export function formatTime(epochMs: number): string {
  const d = new Date(epochMs);
  return `${pad2(d.getMonth() + 1)}-${pad2(d.getDate())}-${String(d.getFullYear()).padStart(4, '0')} `
    + `${pad2(d.getHours())}:${pad2(d.getMinutes())}:${pad2(d.getSeconds())}:${String(d.getMilliseconds()).padStart(3, '0')}`;
}

export function persistenceState(entry: FsEntry): string {
  return entry.persisted ? 'PERSISTED' : 'NOT_PERSISTED';
}

/** Left-aligned in a column of `width`, but always followed by at least one space. */
function column(text: string, width: number): string {
  return `${text.padEnd(width - 1)} `;
}

/**
 * One `fs ls` line, columns as in Alluxio:
 * `-rw-r--r--  alluxio        staff                    27040       PERSISTED 06-18-2019 14:26:05:694 100% /testbucket/key1`
 * mode (12), owner (15), group (15), size (15, right), persistence (16, right),
 * time (24, right), cached percent or DIR (5, right), then the path.
 */
export function formatLsLine(entry: FsEntry): string {
  // Floored: 100% only when every byte is cached.
  const cached = entry.isDirectory ? 'DIR' : `${Math.floor(entry.cachedPercent)}%`;
  return column(entry.mode, 12)
    + column(entry.owner, 15)
    + column(entry.group, 15)
    + String(entry.size).padStart(15)
    + persistenceState(entry).padStart(16)
    + formatTime(entry.mtime).padStart(24)
    + cached.padStart(5)
    + ` ${entry.path}`;
}

/** The fields of one entry, one `name: value` line each. */
export function formatStat(entry: FsEntry): string {
  const fields: [string, string][] = [
    ['path', entry.path],
    ['type', entry.isDirectory ? 'directory' : 'file'],
    ['size', `${entry.size} bytes`],
    ['owner', entry.owner],
    ['group', entry.group],
    ['mode', entry.mode],
    ['modification time', `${formatTime(entry.mtime)} (${new Date(entry.mtime).toISOString()})`],
    ['persisted', persistenceState(entry)],
    ['cached', `${Math.floor(entry.cachedPercent)}%`],
    // Files on remote mounts: where their cached pages are (`fs stat` shows pages per tier).
    ...(entry.cache ? tierFields(entry.cache) : []),
    ...(entry.pinned ? [['pinned', 'yes'] as [string, string]] : []),
    ['etag', entry.etag ?? '-'],
  ];
  const width = Math.max(...fields.map(([name]) => name.length)) + 2;
  return fields.map(([name, value]) => `${`${name}:`.padEnd(width)}${value}`).join('\n');
}

function tierFields(cache: NonNullable<FsEntry['cache']>): [string, string][] {
  const tiers: [string, TierPages | undefined][] = [['memory', cache.memory], ['disk', cache.disk]];
  return tiers.flatMap(([name, t]): [string, string][] => (t ? [[`${name} tier`, `${t.pages} pages, ${formatBytes(t.bytes)}`]] : []));
}

/** Decimal units, to match MB/s: 20971520 -> "21.0 MB". */
export function formatBytes(bytes: number): string {
  if (bytes < 1000) return `${bytes} B`;
  const units = ['kB', 'MB', 'GB', 'TB', 'PB'];
  let value = bytes / 1000;
  let unit = 0;
  while (value >= 999.95 && unit < units.length - 1) {
    value /= 1000;
    unit++;
  }
  return `${value.toFixed(1)} ${units[unit]}`;
}

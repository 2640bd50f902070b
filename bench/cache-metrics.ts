// Where a benchmark row's bytes came from: scrapes the gateway's Prometheus
// metrics (GET /api/v1/metrics, src/admin/metrics.ts) before and after a
// slice and reports the MiB served per cache tier and from the under-storage,
// so a "warm" row shows which tier really served it. A gateway without the
// endpoint (or a scrape that fails) yields no figures, never a failed row.
import { MiB } from './client.ts';
import type { S3Client } from './client.ts';

export const METRICS_PATH = '/api/v1/metrics';

/** strata_cache_served_bytes_total by tier ("memory", "disk", "under_storage"). */
export type ServedBytes = Map<string, number>;

/** Parses the per-tier served-bytes counter out of the exposition text. */
export function parseServed(text: string): ServedBytes {
  const out: ServedBytes = new Map();
  for (const m of text.matchAll(/^strata_cache_served_bytes_total\{tier="([a-z_]+)"\}\s+([0-9.eE+-]+)\s*$/gm)) {
    out.set(m[1], Number(m[2]));
  }
  return out;
}

/** The current counters, or null when the gateway does not expose them. */
export async function scrapeServed(client: S3Client): Promise<ServedBytes | null> {
  try {
    const res = await client.send({ method: 'GET', path: METRICS_PATH, keepBody: true });
    const served = parseServed(res.text ?? '');
    return served.size > 0 ? served : null;
  } catch {
    return null;
  }
}

/**
 * Row extras from two scrapes: MiB served from memory, disk and the
 * under-storage in between, and the share served by the cache (%).
 */
export function servedExtras(before: ServedBytes | null, after: ServedBytes | null): Record<string, number> {
  if (!before || !after) return {};
  const delta = (tier: string): number => Math.max(0, (after.get(tier) ?? 0) - (before.get(tier) ?? 0));
  const memory = delta('memory');
  const disk = delta('disk');
  const under = delta('under_storage');
  const total = memory + disk + under;
  const round = (n: number): number => Math.round(n * 10) / 10;
  return {
    memoryMiB: round(memory / MiB),
    diskMiB: round(disk / MiB),
    remoteMiB: round(under / MiB),
    ...(total > 0 ? { cachedPct: round((100 * (memory + disk)) / total) } : {}),
  };
}

/**
 * The HTML page at `/`: links to the endpoints and, from the snapshot a scrape reads anyway, what a person looks at
 * first. Server-rendered, no script and no external asset, every value escaped; it reloads itself.
 */
import type { LandingView, ProviderRow, StreamRow } from './landing-view.js';

const REFRESH_SECONDS = 15;

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function duration(seconds: number | undefined): string {
  if (seconds === undefined) return '';
  const s = Math.floor(seconds);
  const [h, m] = [Math.floor(s / 3600), Math.floor((s % 3600) / 60)];
  return h > 0 ? `${h} h ${m} min` : m > 0 ? `${m} min ${s % 60} s` : `${s} s`;
}

function bitrate(kbps: number | undefined): string {
  if (kbps === undefined) return '';
  return kbps >= 1000 ? `${(kbps / 1000).toFixed(1)} Mbps` : `${Math.round(kbps)} kbps`;
}

function position(value: number | undefined): string {
  if (value === undefined) return '';
  if (value < 0) return 'not in list';
  return value === 0 ? 'primary' : `backup ${value}`;
}

function table(headings: readonly string[], rows: readonly (readonly string[])[], classes: readonly string[] = []): string {
  const head = headings.map((h) => `<th>${escapeHtml(h)}</th>`).join('');
  const body = rows
    .map((cells, i) => `<tr${classes[i] ? ` class="${classes[i]}"` : ''}>${cells.map((c) => `<td>${escapeHtml(c)}</td>`).join('')}</tr>`)
    .join('\n');
  return `<table><thead><tr>${head}</tr></thead><tbody>\n${body}\n</tbody></table>`;
}

function streamsSection(streams: readonly StreamRow[] | undefined): string {
  if (!streams) return '<p class="muted">Live streams were not read in this scrape.</p>';
  if (streams.length === 0) return '<p class="muted">Nothing is playing.</p>';
  return table(
    ['Channel', 'Number', 'Provider', 'State', 'Resolution', 'Bitrate', 'Uptime', 'Stream', 'Clients'],
    streams.map((s) => [
      s.channel,
      s.number,
      s.provider,
      s.state,
      s.resolution,
      bitrate(s.kbps),
      duration(s.uptimeSeconds),
      position(s.position),
      String(s.clients),
    ]),
    streams.map((s) => (s.position !== undefined && s.position !== 0 ? 'warn' : '')),
  );
}

function providersSection(providers: readonly ProviderRow[] | undefined): string {
  if (!providers) return '<p class="muted">Provider profiles were not read in this scrape (include_m3u_stats).</p>';
  if (providers.length === 0) return '<p class="muted">No provider profiles.</p>';
  return table(
    ['Account', 'Profile', 'Connections', 'Limit', 'Days to expiry'],
    providers.map((p) => [
      p.account,
      p.profile,
      String(p.connections),
      p.limit === 0 ? 'unlimited' : String(p.limit),
      p.daysLeft === undefined ? '' : String(p.daysLeft),
    ]),
    providers.map((p) => ((p.limit > 0 && p.connections >= p.limit) || (p.daysLeft !== undefined && p.daysLeft < 7) ? 'warn' : '')),
  );
}

function status(up: boolean | undefined): string {
  if (up === undefined) return '<span class="muted">not asked</span>';
  return up ? '<span class="ok">up</span>' : '<span class="bad">down</span>';
}

export function landingPage(version: string, view?: LandingView): string {
  const sections = view
    ? `<p>Dispatcharr ${view.dispatcharrVersion === 'unknown' ? '(version unknown)' : escapeHtml(view.dispatcharrVersion)}: database ${status(view.postgres)}, Redis ${status(view.redis)}, as of
${escapeHtml(new Date(view.time * 1000).toISOString())}.</p>
<h2>Active streams</h2>
${streamsSection(view.streams)}
<h2>Provider connections</h2>
${providersSection(view.providers)}
<h2>Errors in the last scrape</h2>
${view.errors.length === 0 ? '<p class="muted">None.</p>' : `<ul class="errors">${view.errors.map((e) => `<li>${escapeHtml(e)}</li>`).join('')}</ul>`}`
    : '';
  return `<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><meta http-equiv="refresh" content="${REFRESH_SECONDS}"><title>Dispatcharr Exporter</title>
<style>body{font-family:system-ui,sans-serif;max-width:72rem;margin:2rem auto;padding:0 1rem;color:#222}
header{background:#1f6f5c;color:#fff;padding:.75rem 1rem;border-radius:.4rem}a{color:#1f6f5c}
table{border-collapse:collapse;width:100%;margin:.5rem 0 1rem}th,td{text-align:left;padding:.3rem .5rem;border-bottom:1px solid #ddd}
th{background:#f3f6f5}tr.warn td{background:#fff4e0}.muted{color:#777}.ok{color:#1f6f5c;font-weight:600}.bad{color:#b3261e;font-weight:600}
.errors{color:#b3261e}</style></head>
<body>
<header><h1>Dispatcharr Exporter</h1></header>
<p>Prometheus exporter for Dispatcharr, version ${escapeHtml(version)}.
<a href="metrics">Metrics</a> (the Prometheus text exposition) · <a href="health">Health</a> (the exporter and its backends, as JSON)</p>
${sections}
</body>
</html>
`;
}

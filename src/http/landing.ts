/** The HTML page at `/`: what this is, and links to the endpoints. */

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

export function landingPage(version: string): string {
  return `<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>Dispatcharr Exporter</title>
<style>body{font-family:system-ui,sans-serif;max-width:40rem;margin:2rem auto;padding:0 1rem;color:#222}
header{background:#1f6f5c;color:#fff;padding:.75rem 1rem;border-radius:.4rem}a{color:#1f6f5c}</style></head>
<body>
<header><h1>Dispatcharr Exporter</h1></header>
<p>Prometheus exporter for Dispatcharr, version ${escapeHtml(version)}.</p>
<ul>
<li><a href="metrics">Metrics</a>: the Prometheus text exposition</li>
<li><a href="health">Health</a>: the exporter and its backends, as JSON</li>
</ul>
</body>
</html>
`;
}

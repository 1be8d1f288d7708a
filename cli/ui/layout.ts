import type { Context } from 'hono';
import { html, raw } from 'hono/html';
import type { HtmlEscapedString } from 'hono/utils/html';

export type Html = HtmlEscapedString | Promise<HtmlEscapedString>;

/** What every request carries: the CSP nonce of its page. */
export type WorkbenchEnv = { Variables: { nonce: string } };

/** The navigation: one entry per page module (adding a page is a route and a line here, via the page list). */
export interface NavEntry {
  path: string;
  label: string;
}

const STYLE = `
:root { --ink:#1f2328; --muted:#57606a; --line:#d0d7de; --accent:#1f6f4a; --bad:#a40e26; --warn:#7d4e00; --ok:#116329; --bg:#f6f8fa; }
* { box-sizing: border-box; }
body { margin:0; font:15px/1.5 system-ui, -apple-system, "Segoe UI", "Noto Sans", "Noto Sans JP", sans-serif; color:var(--ink); background:#fff; }
header.top { background:var(--accent); color:#fff; padding:.5rem 1rem; display:flex; gap:1.5rem; align-items:center; flex-wrap:wrap; }
header.top .brand { font-weight:700; color:#fff; text-decoration:none; }
nav ul { list-style:none; display:flex; gap:1rem; margin:0; padding:0; flex-wrap:wrap; }
nav a { color:#fff; }
nav a[aria-current="page"] { font-weight:700; text-decoration-thickness:3px; }
main { padding:1rem 1.5rem 3rem; max-width:1400px; }
a { color:#0b5cad; }
a:focus-visible, button:focus-visible, input:focus-visible, select:focus-visible { outline:3px solid #f1a208; outline-offset:2px; }
table { border-collapse:collapse; margin:.5rem 0 1rem; }
th, td { border:1px solid var(--line); padding:.3rem .6rem; text-align:left; vertical-align:top; }
th { background:var(--bg); }
.ok { color:var(--ok); } .bad { color:var(--bad); } .warn { color:var(--warn); } .muted { color:var(--muted); }
.problems li { color:var(--bad); } .warnings li { color:var(--warn); }
form.pickers { display:flex; flex-wrap:wrap; gap:.75rem 1rem; align-items:flex-end; margin:.5rem 0 1rem; }
form.pickers label, form.stack label { display:flex; flex-direction:column; font-size:.9rem; gap:.2rem; }
input, select, button { font:inherit; padding:.3rem .5rem; }
button { background:var(--accent); color:#fff; border:0; border-radius:4px; padding:.4rem .9rem; cursor:pointer; }
.frames { display:flex; gap:1.5rem; flex-wrap:wrap; align-items:flex-start; }
.frames figure { margin:0; }
.frames iframe { border:1px solid var(--line); background:#fff; height:900px; }
.inbox { border:1px solid var(--line); border-radius:6px; padding:.5rem .8rem; max-width:640px; background:var(--bg); }
.inbox .from { font-weight:700; } .inbox .subject { font-weight:600; } .inbox .preheader { color:var(--muted); }
pre.text { white-space:pre-wrap; border:1px solid var(--line); padding:.8rem; max-width:640px; background:var(--bg); }
.notice { border-left:4px solid var(--accent); padding:.4rem .8rem; background:#eef6f1; }
.error-box { border-left:4px solid var(--bad); padding:.4rem .8rem; background:#fdf0f1; }
footer.where { color:var(--muted); font-size:.85rem; padding:0 1.5rem 1rem; }
`;

/** The page shell: language, title, skip link, navigation, one <main>, and the page's nonce on its one style and script (a page may add its own rules: ours, never customer data). */
export function page(c: Context<WorkbenchEnv>, o: { title: string; nav: readonly NavEntry[]; active: string; body: Html; where: string; script?: string; style?: string }): Html {
  const nonce = c.get('nonce');
  return html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${o.title} · Lifecycle Mailer workbench</title>
<link rel="icon" href="data:,">
<style nonce="${nonce}">${raw(STYLE)}${o.style ? raw(o.style) : ''}</style>
</head>
<body>
<header class="top">
  <a class="brand" href="/">Lifecycle Mailer workbench</a>
  <nav aria-label="Pages"><ul>${o.nav.map((n) => html`<li><a href="${n.path}"${n.path === o.active ? html` aria-current="page"` : ''}>${n.label}</a></li>`)}</ul></nav>
</header>
<main id="main">
<h1>${o.title}</h1>
${o.body}
</main>
<footer class="where">Reading ${o.where}. This page shows customer data: it is served on 127.0.0.1 only.</footer>
${o.script ? html`<script nonce="${nonce}">${raw(o.script)}</script>` : ''}
</body>
</html>`;
}

/** Our own script (never customer data: it is printed unescaped). Reloads the page when the project is rebuilt (a campaign, template or journey file changed on disk). */
export const AUTO_RELOAD_SCRIPT = (version: number) => `
(() => {
  const shown = ${JSON.stringify(version)};
  const events = new EventSource('/events');
  events.addEventListener('project', (e) => { if (Number(e.data) !== shown) location.reload(); });
})();`;

export const problemList = (problems: readonly { file: string; line?: number; message: string }[], kind: 'problems' | 'warnings') =>
  problems.length ? html`<ul class="${kind}">${problems.map((p) => html`<li><code>${p.file}${p.line ? `:${p.line}` : ''}</code>: ${p.message}</li>`)}</ul>` : '';

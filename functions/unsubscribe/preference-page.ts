import { createHash } from 'node:crypto';
import { PREFERENCE_TEXTS, type PreferenceLanguage, type PreferenceTexts, topicText } from '#domain/preference-texts.ts';

/**
 * The unsubscribe endpoint's HTML, as pure functions of plain data. Every value that came
 * from a customer, a token or a translation goes through `escapeHtml`; no email address is
 * ever passed in, so none can be shown. Forms have no `action`: they post back to the URL
 * the page was served from, which works behind a Function URL and the local server alike.
 */
export interface TopicChoice {
  topic: string;
  subscribed: boolean;
}

export type PageView =
  | {
      kind: 'preferences';
      language: PreferenceLanguage;
      firstName?: string;
      topics: TopicChoice[];
      /** Marketing consent withdrawn: every box is unticked and the page says so. */
      allOff: boolean;
      token: string;
      /** Offer a one-button unsubscribe from this topic first (the List-Unsubscribe link opened in a browser). */
      focusTopic?: string;
      /** A sign-up waiting for confirmation (double opt-in): saving with a topic ticked confirms it. */
      pending?: boolean;
      /** An expired link: only the unsubscribe buttons are offered (it can no longer subscribe). */
      expired?: boolean;
    }
  | {
      /** The sunset email's "keep me subscribed" link (a GET); the button POSTs `action=keep`. */
      kind: 'keep';
      language: PreferenceLanguage;
      firstName?: string;
      token: string;
    }
  | {
      kind: 'kept';
      language: PreferenceLanguage;
      /** `kept`: the customer keeps (or already had) their emails; `unavailable`: another suppression, or no consent. */
      outcome: 'kept' | 'unavailable';
      token: string;
    }
  | {
      kind: 'confirmation';
      language: PreferenceLanguage;
      outcome: 'saved' | 'topic-unsubscribed' | 'all-unsubscribed';
      topic?: string;
      /** Topics the customer still receives. */
      subscribed: string[];
      token: string;
    }
  | {
      /** Double opt-in: what the confirmation link shows (a GET); the button POSTs the confirmation. */
      kind: 'confirm';
      language: PreferenceLanguage;
      firstName?: string;
      /** The topics asked for at sign-up; empty means every topic. */
      topics: string[];
      /** The confirmation token (never an unsubscribe token). */
      token: string;
    }
  | {
      kind: 'confirmed';
      language: PreferenceLanguage;
      outcome: 'confirmed' | 'already-subscribed';
      /** Topics the customer now receives. */
      subscribed: string[];
    }
  | { kind: 'problem'; language: PreferenceLanguage; problem: 'invalid-link' | 'invalid-confirm-link' | 'not-pending' | 'not-found' | 'bad-request' | 'error' };

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };
export const escapeHtml = (text: string): string => text.replace(/[&<>"']/g, (c) => ESCAPES[c]!);

const STYLE = `
:root{color-scheme:light dark;font-family:system-ui,-apple-system,"Segoe UI",Roboto,"Noto Sans","Noto Sans CJK JP","Noto Sans SC",sans-serif;line-height:1.5}
body{margin:0;padding:1.5rem;background:Canvas;color:CanvasText}
main{max-width:36rem;margin:0 auto}
h1{font-size:1.5rem;margin:0 0 1rem}
fieldset{border:1px solid GrayText;border-radius:.5rem;padding:1rem;margin:1rem 0}
legend{font-weight:600;padding:0 .25rem}
.topic{display:grid;grid-template-columns:auto 1fr;gap:0 .75rem;align-items:start;margin:.5rem 0}
.topic input{width:1.25rem;height:1.25rem;margin:.15rem 0 0}
.topic label{font-weight:600}
.topic p{grid-column:2;margin:0;font-size:.95em}
.note{border-left:.25rem solid GrayText;padding-left:.75rem}
.actions{display:flex;flex-wrap:wrap;gap:.75rem;margin-top:1rem}
button{font:inherit;padding:.6rem 1.1rem;border-radius:.4rem;border:1px solid ButtonBorder;background:ButtonFace;color:ButtonText;cursor:pointer}
button.primary{background:#1a56db;border-color:#1a56db;color:#fff}
button:focus-visible,input:focus-visible,a:focus-visible{outline:3px solid #f59e0b;outline-offset:2px}
`;

/** Response headers for every page: no caching, no indexing, no Referer (the URL carries the token), no scripts. */
export const PAGE_HEADERS: Readonly<Record<string, string>> = {
  'content-type': 'text/html; charset=utf-8',
  'cache-control': 'no-store',
  'referrer-policy': 'no-referrer',
  'x-robots-tag': 'noindex, nofollow',
  'x-content-type-options': 'nosniff',
  'content-security-policy': `default-src 'none'; style-src 'sha256-${createHash('sha256').update(STYLE).digest('base64')}'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'`,
};

function document(language: PreferenceLanguage, title: string, content: string): string {
  return `<!doctype html>
<html lang="${language}" dir="ltr">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex, nofollow">
<meta name="referrer" content="no-referrer">
<title>${escapeHtml(title)}</title>
<style>${STYLE}</style>
</head>
<body>
<main>
<h1>${escapeHtml(title)}</h1>
${content}
</main>
</body>
</html>
`;
}

const tokenField = (token: string) => `<input type="hidden" name="token" value="${escapeHtml(token)}">`;
const paragraph = (text: string, attributes = '') => `<p${attributes}>${escapeHtml(text)}</p>`;
const topicList = (t: PreferenceTexts, topics: readonly string[]) => `<ul>${topics.map((topic) => `<li>${escapeHtml(topicText(t, topic).label)}</li>`).join('')}</ul>`;

function preferencesPage(view: Extract<PageView, { kind: 'preferences' }>, t: PreferenceTexts): string {
  const parts: string[] = [];
  if (view.firstName) parts.push(paragraph(t.greeting(view.firstName)));
  if (view.focusTopic) {
    parts.push(`<form method="post">
${tokenField(view.token)}
<div class="actions"><button type="submit" name="action" value="topic" class="primary">${escapeHtml(t.unsubscribeTopic(topicText(t, view.focusTopic).label))}</button></div>
</form>`);
  }
  if (view.expired) {
    parts.push(paragraph(t.expiredNote, ' class="note"'));
    parts.push(`<form method="post">
${tokenField(view.token)}
<div class="actions"><button type="submit" name="action" value="all">${escapeHtml(t.unsubscribeAll)}</button></div>
</form>`);
    return document(view.language, t.preferencesTitle, parts.join('\n'));
  }
  parts.push(paragraph(t.intro));
  if (view.pending) parts.push(paragraph(t.pendingNote, ' class="note"'));
  else if (view.allOff) parts.push(paragraph(t.allOffNote, ' class="note"'));
  const boxes = view.topics.map(({ topic, subscribed }, i) => {
    const { label, description } = topicText(t, topic);
    const id = `topic-${i}`;
    const describedBy = description ? ` aria-describedby="${id}-description"` : '';
    return `<div class="topic">
<input type="checkbox" id="${id}" name="topic" value="${escapeHtml(topic)}"${subscribed ? ' checked' : ''}${describedBy}>
<label for="${id}">${escapeHtml(label)}</label>
${description ? paragraph(description, ` id="${id}-description"`) : ''}
</div>`;
  });
  parts.push(`<form method="post">
${tokenField(view.token)}
<fieldset>
<legend>${escapeHtml(t.topicsLegend)}</legend>
${boxes.join('\n')}
</fieldset>
<div class="actions">
<button type="submit" name="action" value="save" class="primary">${escapeHtml(t.save)}</button>
<button type="submit" name="action" value="all">${escapeHtml(t.unsubscribeAll)}</button>
</div>
</form>`);
  return document(view.language, t.preferencesTitle, parts.join('\n'));
}

function confirmationPage(view: Extract<PageView, { kind: 'confirmation' }>, t: PreferenceTexts): string {
  const topicLabel = topicText(t, view.topic ?? '').label;
  const [title, body] =
    view.outcome === 'saved'
      ? [t.savedTitle, t.savedBody]
      : view.outcome === 'topic-unsubscribed'
        ? [t.topicUnsubscribedTitle, t.topicUnsubscribedBody(topicLabel)]
        : [t.allUnsubscribedTitle, t.allUnsubscribedBody];
  const summary = view.subscribed.length
    ? `${paragraph(t.subscribedTo)}\n${topicList(t, view.subscribed)}`
    : paragraph(t.subscribedToNothing);
  const href = `?token=${encodeURIComponent(view.token)}&view=preferences`;
  return document(view.language, title, `<div role="status">${paragraph(body)}</div>\n${summary}\n<p><a href="${escapeHtml(href)}">${escapeHtml(t.changePreferences)}</a></p>`);
}

function confirmPage(view: Extract<PageView, { kind: 'confirm' }>, t: PreferenceTexts): string {
  const parts: string[] = [];
  if (view.firstName) parts.push(paragraph(t.greeting(view.firstName)));
  parts.push(paragraph(t.confirmIntro));
  parts.push(paragraph(t.confirmTopicsLead));
  parts.push(view.topics.length ? topicList(t, view.topics) : `<ul><li>${escapeHtml(t.allTopics)}</li></ul>`);
  parts.push(`<form method="post">
<input type="hidden" name="confirm" value="${escapeHtml(view.token)}">
<div class="actions"><button type="submit" name="action" value="confirm" class="primary">${escapeHtml(t.confirmButton)}</button></div>
</form>`);
  parts.push(paragraph(t.confirmIgnore, ' class="note"'));
  return document(view.language, t.confirmTitle, parts.join('\n'));
}

function confirmedPage(view: Extract<PageView, { kind: 'confirmed' }>, t: PreferenceTexts): string {
  const [title, body] = view.outcome === 'confirmed' ? [t.confirmedTitle, t.confirmedBody] : [t.alreadySubscribedTitle, t.alreadySubscribedBody];
  const summary = view.subscribed.length ? `${paragraph(t.subscribedTo)}\n${topicList(t, view.subscribed)}` : paragraph(t.subscribedToNothing);
  return document(view.language, title, `<div role="status">${paragraph(body)}</div>\n${summary}\n${paragraph(t.manageLater)}`);
}

function keepPage(view: Extract<PageView, { kind: 'keep' }>, t: PreferenceTexts): string {
  const parts: string[] = [];
  if (view.firstName) parts.push(paragraph(t.greeting(view.firstName)));
  parts.push(paragraph(t.keepIntro));
  parts.push(`<form method="post">
${tokenField(view.token)}
<div class="actions"><button type="submit" name="action" value="keep" class="primary">${escapeHtml(t.keepButton)}</button></div>
</form>`);
  return document(view.language, t.keepTitle, parts.join('\n'));
}

function keptPage(view: Extract<PageView, { kind: 'kept' }>, t: PreferenceTexts): string {
  const [title, body] = view.outcome === 'kept' ? [t.keptTitle, t.keptBody] : [t.keepUnavailableTitle, t.keepUnavailableBody];
  const href = `?token=${encodeURIComponent(view.token)}&view=preferences`;
  return document(view.language, title, `<div role="status">${paragraph(body)}</div>\n<p><a href="${escapeHtml(href)}">${escapeHtml(t.changePreferences)}</a></p>`);
}

function problemPage(view: Extract<PageView, { kind: 'problem' }>, t: PreferenceTexts): string {
  const texts: Record<typeof view.problem, [string, string]> = {
    'invalid-link': [t.invalidLinkTitle, t.invalidLinkBody],
    'invalid-confirm-link': [t.invalidLinkTitle, t.invalidConfirmLinkBody],
    'not-pending': [t.notPendingTitle, t.notPendingBody],
    'not-found': [t.notFoundTitle, t.notFoundBody],
    'bad-request': [t.badRequestTitle, t.badRequestBody],
    error: [t.errorTitle, t.errorBody],
  };
  const [title, body] = texts[view.problem];
  return document(view.language, title, paragraph(body));
}

export function renderPage(view: PageView): string {
  const t = PREFERENCE_TEXTS[view.language];
  switch (view.kind) {
    case 'preferences':
      return preferencesPage(view, t);
    case 'confirmation':
      return confirmationPage(view, t);
    case 'confirm':
      return confirmPage(view, t);
    case 'confirmed':
      return confirmedPage(view, t);
    case 'keep':
      return keepPage(view, t);
    case 'kept':
      return keptPage(view, t);
    case 'problem':
      return problemPage(view, t);
  }
}

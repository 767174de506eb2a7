import { createHash } from 'node:crypto';
import { STRICT_TRANSPORT_SECURITY } from './edge.js';
import { LANG_NAME, otherLang, queryInLang, t, type Lang } from './i18n.js';

/** Escapes text for HTML element content and double-quoted attribute values. */
export function escapeHtml(value: unknown): string {
  return String(value ?? '')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;');
}

/** A piece of HTML that is already safe; only `html` tagged templates and the renderers produce it. */
export class SafeHtml {
  constructor(readonly value: string) {}
  toString(): string {
    return this.value;
  }
}

type Interpolation = SafeHtml | string | number | null | undefined | false | Interpolation[];

function render(value: Interpolation): string {
  if (value === null || value === undefined || value === false) return '';
  if (Array.isArray(value)) return value.map(render).join('');
  if (value instanceof SafeHtml) return value.value;
  return escapeHtml(value);
}

/** Tagged template: every interpolated value is escaped unless it is SafeHtml. */
export function html(strings: TemplateStringsArray, ...values: Interpolation[]): SafeHtml {
  let out = strings[0]!;
  values.forEach((value, index) => {
    out += render(value) + strings[index + 1]!;
  });
  return new SafeHtml(out);
}

/** Styles are inline and allowed by their hash, so the Content-Security-Policy can forbid everything else. */
export const PAGE_STYLE = `
:root{color-scheme:light}
*{box-sizing:border-box}
body{margin:0;font-family:system-ui,-apple-system,"Segoe UI",Roboto,Arial,sans-serif;font-size:1.0625rem;line-height:1.5;color:#1b1b1b;background:#f4f5f7}
header{background:#0b3d91;color:#fff;padding:.75rem 1rem;display:flex;flex-wrap:wrap;justify-content:space-between;align-items:baseline;gap:.25rem 1rem}
header p{margin:0;font-weight:600}
header a{color:#fff;font-weight:600}
main{max-width:46rem;margin:1rem auto;padding:1.25rem;background:#fff;border:1px solid #d0d4da;border-radius:.25rem}
h1{font-size:1.5rem;margin:.25rem 0 1rem}
h2{font-size:1.2rem;margin:1.5rem 0 .5rem}
a{color:#0b3d91}
dl{display:grid;grid-template-columns:minmax(8rem,14rem) 1fr;gap:.25rem 1rem;margin:0}
dt{font-weight:600}
dd{margin:0;overflow-wrap:anywhere}
fieldset{border:1px solid #b6bcc6;border-radius:.25rem;margin:1rem 0;padding:.75rem 1rem}
legend{font-weight:600;padding:0 .25rem}
label{display:block;font-weight:600;margin:.75rem 0 .25rem}
.choice label{display:inline;font-weight:400;margin:0 0 0 .4rem}
.choice{margin:.4rem 0;display:flex;align-items:flex-start}
.choice input{margin-top:.35rem}
input[type=text],input[type=email],input[type=tel],input[type=date],textarea{width:100%;padding:.5rem;font:inherit;border:1px solid #5a6270;border-radius:.2rem}
textarea{min-height:6rem}
input:focus,textarea:focus,button:focus,a:focus{outline:3px solid #ffbf47;outline-offset:2px}
.hint{color:#4a505a;font-size:.95rem;margin:.1rem 0 .25rem}
.error{color:#b00020;font-weight:600;margin:.25rem 0}
.invalid{border-color:#b00020!important;border-width:2px!important}
.summary-errors{border:3px solid #b00020;padding:.75rem 1rem;margin-bottom:1rem}
.notice{border-left:6px solid #0b3d91;background:#eef3fb;padding:.75rem 1rem;margin:1rem 0}
.ok{border-left-color:#1d7a35;background:#edf7ef}
.warn{border-left-color:#b00020;background:#fbeeee}
button.secondary{background:#fff;color:#0b3d91;border:2px solid #0b3d91}
button{font:inherit;font-weight:600;background:#1d7a35;color:#fff;border:0;border-radius:.25rem;padding:.7rem 1.4rem;margin-top:1rem;cursor:pointer}
table{border-collapse:collapse;width:100%}
th,td{border:1px solid #d0d4da;padding:.35rem .5rem;text-align:left;vertical-align:top;overflow-wrap:anywhere}
footer{max-width:46rem;margin:0 auto 2rem;padding:0 1.25rem;color:#4a505a;font-size:.9rem}
@media (max-width:40rem){dl{grid-template-columns:1fr}main{margin:0;border:0}}
`;

export const PAGE_STYLE_HASH = `sha256-${createHash('sha256').update(PAGE_STYLE).digest('base64')}`;

/**
 * Security headers of every page: HTTPS only (HSTS), no scripts at all, no framing, no referrer, no caching of signed
 * pages. CloudFront's response-headers policy (lib/link-pages-distribution.ts) sends the same on every answer,
 * API Gateway's own included; the pages send them too, so they hold should that policy ever be detached.
 */
export const PAGE_SECURITY_HEADERS = {
  'strict-transport-security': STRICT_TRANSPORT_SECURITY,
  'content-security-policy': `default-src 'none'; style-src '${PAGE_STYLE_HASH}'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'`,
  'referrer-policy': 'no-referrer',
  'x-frame-options': 'DENY',
  'x-content-type-options': 'nosniff',
  'cache-control': 'no-store',
} as const;

export function pageHeaders(): Record<string, string> {
  return { 'content-type': 'text/html; charset=utf-8', ...PAGE_SECURITY_HEADERS };
}

/**
 * The whole document. `query` is the raw query of the current URL: the language switch in the header is a
 * plain GET link to the same URL in the other language (every other parameter kept as is), so following it
 * (a person, or a mail scanner) changes nothing.
 */
export function layout(title: string, body: SafeHtml, lang: Lang = 'pl', query = ''): string {
  const other = otherLang(lang);
  const languageSwitch = html`<p><a href="?${queryInLang(query, other)}" lang="${other}" hreflang="${other}">${LANG_NAME[other]}</a></p>`;
  return `<!doctype html>${html`<html lang="${lang}"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><meta name="robots" content="noindex, nofollow"><title>${title} — ${t(lang, 'Zmiana dostawcy SD')}</title><style>${new SafeHtml(PAGE_STYLE)}</style></head><body><header><p>${t(lang, 'MRPiPS · Zmiana dostawcy systemu dziedzinowego (SD) · CBB CSIZS')}</p>${languageSwitch}</header><main id="tresc">${body}</main><footer>${t(lang, 'Procedura zmiany dostawcy SD zasilającego Centralną Bazę Beneficjentów. W razie pytań: Departament Informatyki MRPiPS.')}</footer></body></html>`.value}`;
}

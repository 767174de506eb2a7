import { DynamoDBClient, ScanCommand, type AttributeValue } from '@aws-sdk/client-dynamodb';
import fc from 'fast-check';
import { expect } from 'vitest';
import { CONFIRMATION_PATH } from '../../lambdas/core/links.js';
import { startLocalStack, type LocalStack } from '../../local/stack.js';
import { untilWaitingForPeople } from '../e2e/participants.js';

/**
 * Shared machinery of the property tests: one local stack per file, a full-table snapshot and an inbox count
 * to prove "nothing changed", HTTP helpers that send exactly the bytes a generator produced, and the checks
 * every refusal page must pass (status, Polish HTML page, security headers, nothing injected).
 */

// ---------------------------------------------------------------------------------------------------------
// fast-check settings: a fixed seed (FC_SEED) so a failure is reproducible, a modest number of runs.

export const SEED = Number.parseInt(process.env.FC_SEED ?? '20260517', 10);
const RUNS_FACTOR = Number(process.env.FC_RUNS_FACTOR ?? '1');

export function fcOptions(numRuns: number): fc.Parameters<unknown> {
  return {
    seed: SEED,
    numRuns: Math.max(1, Math.round(numRuns * (Number.isFinite(RUNS_FACTOR) && RUNS_FACTOR > 0 ? RUNS_FACTOR : 1))),
    // A run that wrongly writes to the store makes every later run fail too, so shrinking would report a
    // harmless input; report the first failing input as generated (FC_SHRINK=1 shrinks, for stateless failures).
    endOnFailure: process.env.FC_SHRINK !== '1',
    // Shrinking over HTTP can be slow; stop it (keeping the smallest counterexample found) rather than time out.
    interruptAfterTimeLimit: 80_000,
    markInterruptAsFailure: false,
  };
}

/** Per-test timeout of a property (vitest's default of 60 s is for one request-sized test). */
export const PROPERTY_TIMEOUT = 120_000;

// ---------------------------------------------------------------------------------------------------------
// The stack and the world around it.

export interface World {
  stack: LocalStack;
  db: DynamoDBClient;
  table: string;
}

export async function startWorld(): Promise<World> {
  // Hundreds of form POSTs from one address: WAF's per-client rate rule (local/edge.ts, tested in test/local/edge.test.ts) must admit them.
  const stack = await startLocalStack({ PAGES_PORT: 0, SES_PORT: 0, DYNAMODB_PORT: 0, SFN_PORT: 0, SQS_PORT: 0, RESPONSE_TIMEOUT_SECONDS: 3600, FORM_POSTS_PER_CLIENT: 2_000_000_000 });
  const db = new DynamoDBClient({ region: 'eu-central-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' }, endpoint: stack.urls.dynamodb });
  return { stack, db, table: stack.config.TABLE_NAME };
}

/** Canonical JSON: object keys sorted, DynamoDB sets sorted (their order carries no meaning). */
function canonical(value: unknown, setKey = false): string {
  if (Array.isArray(value)) {
    const parts = value.map((v) => canonical(v));
    if (setKey) parts.sort();
    return `[${parts.join(',')}]`;
  }
  if (value instanceof Uint8Array) return JSON.stringify(Buffer.from(value).toString('base64'));
  if (value && typeof value === 'object') {
    return `{${Object.keys(value)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonical((value as Record<string, unknown>)[k], k === 'SS' || k === 'NS' || k === 'BS')}`)
      .join(',')}}`;
  }
  return JSON.stringify(value);
}

export interface Snapshot {
  items: string[];
  raw: Record<string, AttributeValue>[];
}

/** Every item of the table, nothing excluded, as a sorted list of canonical strings. */
export async function scanAll(world: World): Promise<Snapshot> {
  const raw: Record<string, AttributeValue>[] = [];
  let start: Record<string, AttributeValue> | undefined;
  do {
    const out = await world.db.send(new ScanCommand({ TableName: world.table, ExclusiveStartKey: start, ConsistentRead: true }));
    raw.push(...(out.Items ?? []));
    start = out.LastEvaluatedKey;
  } while (start);
  return { items: raw.map((item) => canonical(item)).sort(), raw };
}

export interface StoredEmail {
  messageId: string;
  from: string;
  destination: { to: string[]; cc: string[]; bcc: string[] };
  subject: string;
  body: { text?: string; html?: string };
  at: number;
}

export async function emails(world: World): Promise<StoredEmail[]> {
  const res = await fetch(`${world.stack.urls.inbox}/store`);
  expect(res.status, 'SES stand-in GET /store').toBe(200);
  return ((await res.json()) as { emails: StoredEmail[] }).emails;
}

export interface Baseline {
  snapshot: Snapshot;
  emailCount: number;
}

export async function baseline(world: World): Promise<Baseline> {
  return { snapshot: await scanAll(world), emailCount: (await emails(world)).length };
}

/**
 * Waits until every execution waits for a person and whatever they queued is sent (untilWaitingForPeople), then
 * takes the baseline: from then on nothing changes unless a request changes it.
 */
export async function settle(world: World): Promise<Baseline> {
  await untilWaitingForPeople(world.stack);
  return baseline(world);
}

/** The property's core promise: not one item added, removed or changed, not one e-mail sent. */
export async function expectNothingChanged(world: World, before: Baseline, what: string): Promise<void> {
  const after = await scanAll(world);
  if (canonical(after.items) !== canonical(before.snapshot.items)) {
    const added = after.items.filter((i) => !before.snapshot.items.includes(i));
    const removed = before.snapshot.items.filter((i) => !after.items.includes(i));
    expect.fail(`${what}: the table changed (nothing may be written).\nadded/changed:\n${added.join('\n').slice(0, 3000)}\nremoved/previous:\n${removed.join('\n').slice(0, 3000)}`);
  }
  const count = (await emails(world)).length;
  expect(count, `${what}: an e-mail was sent (none may be)`).toBe(before.emailCount);
}

// ---------------------------------------------------------------------------------------------------------
// HTTP: exactly the bytes the generator produced.

export interface Reply {
  method: string;
  url: string;
  status: number;
  headers: Headers;
  body: string;
}

export async function send(url: string, init: { method?: string; contentType?: string | null; body?: string | Uint8Array; headers?: Record<string, string> } = {}): Promise<Reply> {
  const method = init.method ?? 'GET';
  const headers: Record<string, string> = { ...(init.headers ?? {}) };
  if (init.contentType) headers['content-type'] = init.contentType;
  // A Uint8Array body gets no implicit content type, so "no content type" really means none.
  const body = init.body === undefined ? undefined : typeof init.body === 'string' ? new Uint8Array(Buffer.from(init.body, 'utf8')) : init.body;
  const res = await fetch(url, { method, headers, body, redirect: 'manual' });
  return { method, url, status: res.status, headers: res.headers, body: await res.text() };
}

export type Encoding = 'percent' | 'plus' | 'loose';

/**
 * Percent-encodes UTF-8 bytes (lone surrogates become U+FFFD, as any browser sends them); only A-Z a-z 0-9 - . _ ~
 * stay as they are. `plus` writes spaces as `+` (HTML forms); `loose` also leaves `!'()*,:;@/$` unencoded, which
 * decode to themselves.
 */
export function encodeComponent(value: string, encoding: Encoding = 'percent'): string {
  const wellFormed = Buffer.from(value, 'utf8').toString('utf8');
  let out = encodeURIComponent(wellFormed).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
  if (encoding === 'plus') out = out.replace(/%20/g, '+');
  if (encoding === 'loose') out = out.replace(/%(21|27|28|29|2A|2C|3A|3B|40|2F|24)/g, (_, h: string) => String.fromCharCode(Number.parseInt(h, 16)));
  return out;
}

export type Pair = readonly [name: string, value: string];

export function encodePairs(pairs: readonly Pair[], encoding: Encoding = 'percent'): string {
  return pairs.map(([n, v]) => `${encodeComponent(n, encoding)}=${encodeComponent(v, encoding)}`).join('&');
}

/** First value wins, as in the handlers. */
export function firstValues(pairs: readonly Pair[]): Map<string, string> {
  const map = new Map<string, string>();
  for (const [n, v] of pairs) if (!map.has(n)) map.set(n, v);
  return map;
}

// ---------------------------------------------------------------------------------------------------------
// What every refusal (and every page) must look like.

const INJECTED_HEADERS = ['set-cookie', 'set-cookie2', 'location', 'refresh', 'x-injected', 'link', 'content-disposition'];

/** Security headers and no header smuggled in from the input. */
export function expectPageHeaders(reply: Reply, what: string, opts: { location?: boolean } = {}): void {
  const h = reply.headers;
  expect(h.get('content-type'), `${what}: content type is HTML`).toMatch(/^text\/html;\s*charset=utf-8$/i);
  expect(h.get('content-security-policy') ?? '', `${what}: CSP forbids everything by default`).toContain("default-src 'none'");
  expect(h.get('content-security-policy') ?? '', `${what}: CSP forbids framing`).toContain("frame-ancestors 'none'");
  expect(h.get('referrer-policy'), `${what}: Referrer-Policy`).toBe('no-referrer');
  expect(h.get('x-frame-options'), `${what}: X-Frame-Options`).toBe('DENY');
  expect(h.get('cache-control'), `${what}: Cache-Control`).toBe('no-store');
  expect(h.get('x-content-type-options'), `${what}: X-Content-Type-Options`).toBe('nosniff');
  for (const name of INJECTED_HEADERS) {
    if (name === 'location' && opts.location) continue;
    expect(h.get(name), `${what}: response carries a "${name}" header (header injection?)`).toBeNull();
  }
  for (const [name, value] of h) {
    expect(name, `${what}: header name "${name}" is a token`).toMatch(/^[!#$%&'*+.^_`|~0-9a-z-]+$/);
    expect(value, `${what}: header ${name} has a CR/LF`).not.toMatch(/[\r\n]/);
  }
}

const TAG = /<(\/?)([a-zA-Z][a-zA-Z0-9-]*)((?:[^>"']|"[^"]*"|'[^']*')*)>/g;
const FORBIDDEN_TAGS = new Set([
  'script', 'img', 'svg', 'iframe', 'object', 'embed', 'base', 'link', 'math', 'frame', 'frameset', 'video', 'audio', 'source',
  'applet', 'marquee', 'xmp', 'plaintext', 'noscript', 'template', 'isindex', 'image', 'animate', 'set', 'x',
]);
const SINGLETONS = ['html', 'head', 'body', 'title', 'main', 'h1', 'style'];

function decodeEntities(s: string): string {
  return s
    .replace(/&#x([0-9a-f]+);?/gi, (_, h: string) => String.fromCodePoint(Number.parseInt(h, 16)))
    .replace(/&#(\d+);?/g, (_, d: string) => String.fromCodePoint(Number(d)))
    .replace(/&quot;/g, '"')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&amp;/g, '&');
}

/**
 * Nothing from the input became markup: no forbidden element, no event-handler attribute, no script URL, each
 * structural element exactly once, every textarea closed. Escaped text (`&lt;script&gt;`, an `onerror=` inside
 * a quoted attribute value) is harmless and allowed.
 */
export function expectNoInjectedMarkup(body: string, what: string): void {
  expect(body.toLowerCase().includes('<script'), `${what}: raw "<script" in the page`).toBe(false);
  const counts = new Map<string, number>();
  for (const match of body.matchAll(TAG)) {
    const [, closing, rawName, attrs] = match;
    const name = rawName!.toLowerCase();
    if (!closing) counts.set(name, (counts.get(name) ?? 0) + 1);
    else counts.set(`/${name}`, (counts.get(`/${name}`) ?? 0) + 1);
    expect(FORBIDDEN_TAGS.has(name), `${what}: injected <${name}> element`).toBe(false);
    const values: string[] = [];
    const bare = attrs!.replace(/"([^"]*)"|'([^']*)'/g, (_, d: string | undefined, s: string | undefined) => {
      values.push(d ?? s ?? '');
      return `"${values.length - 1}"`;
    });
    expect(bare.includes("'"), `${what}: stray quote in <${name}${attrs}>`).toBe(false);
    for (const attr of bare.matchAll(/([^\s="/]+)(?:\s*=\s*(?:"(\d+)"|([^\s>]+)))?/g)) {
      const attrName = attr[1]!.toLowerCase();
      expect(attrName.startsWith('on'), `${what}: event handler attribute ${attrName} on <${name}>`).toBe(false);
      expect(['srcdoc', 'formaction', 'style', 'src', 'background', 'http-equiv'].includes(attrName), `${what}: attribute ${attrName} on <${name}>`).toBe(false);
      if (attr[3] !== undefined) expect.fail(`${what}: unquoted attribute value ${attr[0]} on <${name}>`);
      const value = attr[2] !== undefined ? decodeEntities(values[Number(attr[2])]!) : '';
      if (['href', 'action'].includes(attrName)) {
        expect(/^\s*(javascript|data|vbscript):/i.test(value.replace(/[\u0000-\u001f\s]/g, '')), `${what}: script URL in ${attrName}`).toBe(false);
      }
    }
  }
  for (const name of SINGLETONS) {
    expect(counts.get(name) ?? 0, `${what}: <${name}> appears ${counts.get(name) ?? 0} times`).toBe(1);
    expect(counts.get(`/${name}`) ?? 0, `${what}: </${name}> appears ${counts.get(`/${name}`) ?? 0} times`).toBe(1);
  }
  for (const name of ['textarea', 'form', 'fieldset', 'label', 'p', 'a', 'button']) {
    expect(counts.get(`/${name}`) ?? 0, `${what}: <${name}> and </${name}> do not pair up (markup broken by input)`).toBe(counts.get(name) ?? 0);
  }
}

/** A Polish HTML page: `<html lang="pl">`, one `<h1>` with text, Polish text in the main content. */
export function expectPolishPage(reply: Reply, what: string): void {
  const body = reply.body;
  expect(body.startsWith('<!doctype html>'), `${what}: page starts with <!doctype html>`).toBe(true);
  expect(body, `${what}: <html lang="pl">`).toContain('<html lang="pl">');
  const h1 = /<h1>([^<]+)<\/h1>/.exec(body);
  expect(h1?.[1]?.trim(), `${what}: the page has an <h1> heading`).toBeTruthy();
  const main = (/<main[^>]*>([\s\S]*)<\/main>/.exec(body)?.[1] ?? '').replace(/<[^>]*>/g, ' ');
  const polishWords = main.toLowerCase().match(/(?<![\p{L}])(nie|lub|się|jest|został[a-z]*|sprawy|sprawa|kroku|krok|link[a-z]*|strona|formularz[a-z]*|ponownie|wiadomości|oraz|żądania)(?![\p{L}])/gu) ?? [];
  expect(/[ąćęłńóśźż]/i.test(main) || new Set(polishWords).size >= 2, `${what}: the page's text is Polish`).toBe(true);
}

export interface PageExpectation {
  /** Exact status, or the allowed statuses; default any 4xx. */
  status?: number | readonly number[];
  location?: boolean;
}

/** Everything a page answer must satisfy; HEAD answers only the headers. */
export function expectPage(reply: Reply, what: string, expected: PageExpectation = {}): void {
  const label = `${what} [${reply.method} ${reply.url.slice(0, 300)} → ${reply.status}]`;
  expect(reply.status, `${label}: a 5xx (server error)`).toBeLessThan(500);
  if (expected.status === undefined) {
    expect(reply.status >= 400 && reply.status < 500, `${label}: expected a 4xx refusal`).toBe(true);
  } else if (typeof expected.status === 'number') {
    expect(reply.status, `${label}: status`).toBe(expected.status);
  } else {
    expect(expected.status, `${label}: status`).toContain(reply.status);
  }
  expectPageHeaders(reply, label, { location: expected.location });
  if (reply.method === 'HEAD') {
    expect(reply.body, `${label}: HEAD has no body`).toBe('');
    return;
  }
  expectPolishPage(reply, label);
  expectNoInjectedMarkup(reply.body, label);
}

/** A 405 page naming the allowed methods. */
export function expect405(reply: Reply, what: string): void {
  expectPage(reply, what, { status: 405 });
  const allow = (reply.headers.get('allow') ?? '').split(',').map((m) => m.trim().toUpperCase());
  expect(allow, `${what}: Allow header lists GET`).toContain('GET');
  expect(allow, `${what}: Allow header lists POST`).toContain('POST');
  expect(allow, `${what}: Allow header does not list the refused method`).not.toContain(reply.method.toUpperCase());
}

// ---------------------------------------------------------------------------------------------------------
// Reading a step page's form, whatever its fields are (the link format and the hidden fields may evolve).

export interface ParsedForm {
  action: string;
  hidden: Pair[];
  radios: Map<string, string[]>;
  checkboxes: Map<string, string>;
  dates: string[];
  texts: string[];
  textareas: string[];
}

function attributes(tag: string): Record<string, string> {
  const attrs: Record<string, string> = Object.create(null);
  for (const m of tag.matchAll(/([a-zA-Z_:][-a-zA-Z0-9_:.]*)(?:\s*=\s*"([^"]*)")?/g)) attrs[m[1]!.toLowerCase()] = decodeEntities(m[2] ?? '');
  return attrs;
}

export function parseStepForm(html: string, pageUrl: string): ParsedForm {
  const form = /<form\b([^>]*method="post"[^>]*)>([\s\S]*?)<\/form>/i.exec(html);
  if (!form) throw new Error(`no POST form on the step page:\n${html.slice(0, 2000)}`);
  const action = new URL(attributes(form[1]!).action ?? '', pageUrl).toString();
  const parsed: ParsedForm = { action, hidden: [], radios: new Map(), checkboxes: new Map(), dates: [], texts: [], textareas: [] };
  for (const m of form[2]!.matchAll(/<input\b([^>]*)>/gi)) {
    const a = attributes(m[1]!);
    const name = a.name;
    if (!name) continue;
    switch ((a.type ?? 'text').toLowerCase()) {
      case 'hidden':
        parsed.hidden.push([name, a.value ?? '']);
        break;
      case 'radio':
        parsed.radios.set(name, [...(parsed.radios.get(name) ?? []), a.value ?? '']);
        break;
      case 'checkbox':
        parsed.checkboxes.set(name, a.value ?? 'on');
        break;
      case 'date':
        parsed.dates.push(name);
        break;
      default:
        parsed.texts.push(name);
    }
  }
  for (const m of form[2]!.matchAll(/<textarea\b([^>]*)>/gi)) {
    const name = attributes(m[1]!).name;
    if (name) parsed.textareas.push(name);
  }
  return parsed;
}

export function todayInWarsaw(offsetDays = 0): string {
  return new Intl.DateTimeFormat('sv-SE', { timeZone: 'Europe/Warsaw' }).format(new Date(Date.now() + offsetDays * 86_400_000));
}

/** A valid answer to a step form, field kinds permitting: the hidden fields, first radio option, ticked boxes, today. */
export function validAnswer(form: ParsedForm): Pair[] {
  if (form.texts.length) throw new Error(`cannot fill text fields generically: ${form.texts.join(', ')}`);
  return [
    ...form.hidden,
    ...[...form.radios].map(([name, options]): Pair => [name, options[0]!]),
    ...[...form.checkboxes].map(([name, value]): Pair => [name, value]),
    ...form.dates.map((name): Pair => [name, todayInWarsaw()]),
  ];
}

export const FORM_CONTENT_TYPE = 'application/x-www-form-urlencoded';

/** Cookies the page set (none today); sent back with the form so a cookie-bound CSRF token would still work. */
export function cookiesOf(reply: Reply): string | undefined {
  const cookies = reply.headers.getSetCookie().map((c) => c.split(';')[0]!);
  return cookies.length ? cookies.join('; ') : undefined;
}

// ---------------------------------------------------------------------------------------------------------
// The one real case a link test needs.

/** Confirmation links (not status-page links) to this stack's pages in an e-mail's text. */
export function linksIn(email: StoredEmail, pagesUrl: string): string[] {
  const text = email.body.text ?? '';
  return [...text.matchAll(/https?:\/\/\S+/g)]
    .map((m) => m[0].replace(/[)>.,;]+$/, ''))
    .filter((u) => u.startsWith(`${pagesUrl}${CONFIRMATION_PATH}?`));
}

export async function waitFor<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const found = await probe();
    if (found !== undefined) return found;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

export function notificationFields(overrides: Record<string, string> = {}): Record<string, string> {
  const inAMonth = todayInWarsaw(30);
  const suffix = Math.random().toString(36).slice(2, 8).toUpperCase();
  return {
    officeName: 'Miejski Ośrodek Pomocy Społecznej w Przykładowie',
    teryt: '1465011',
    mztUnitCode: 'MOPS-1465011',
    plannedChangeDate: inAMonth,
    'areas.0.area': 'świadczenia rodzinne',
    'areas.0.oldCollectionCode': `SR-${suffix}`,
    'areas.1.area': 'fundusz alimentacyjny',
    'areas.1.oldCollectionCode': `FA-${suffix}`,
    'contact.name': 'Anna Kowalska',
    'contact.email': 'anna.kowalska@mops.przykladowo.pl',
    'contact.phone': '+48 22 123 45 67',
    'oldSd.product': 'System Stary 5',
    'oldSd.supplier': 'Stary Dostawca sp. z o.o.',
    'newSd.product': 'Nowy System 2',
    'newSd.supplier': 'Nowy Dostawca S.A.',
    'newSd.contactEmail': 'wdrozenia@nowydostawca.pl',
    ...overrides,
  };
}

export interface RealCase {
  caseId: string;
  /** The first e-mail of the case that carries a link (MRPiPS's variant request, or the JST's contact confirmation). */
  email: StoredEmail;
  link: string;
  page: Reply;
  form: ParsedForm;
  cookie?: string;
  /** `STEP#<step.round>` of the step the link confirms. */
  stepSk: string;
}

/** Submits a valid notification (with the form page's hidden fields) and opens the first link e-mail of the new case. */
export async function createRealCase(world: World): Promise<RealCase> {
  const formPage = await send(world.stack.urls.form);
  const hidden = [...formPage.body.matchAll(/<input\b([^>]*)>/g)].map((m) => attributes(m[1]!)).filter((a) => a.type === 'hidden' && a.name && a.name !== 'rows');
  const fields: Pair[] = [...hidden.map((a): Pair => [a.name!, a.value ?? '']), ...Object.entries(notificationFields())];
  const res = await send(world.stack.urls.form, { method: 'POST', contentType: FORM_CONTENT_TYPE, body: encodePairs(fields) });
  expect(res.status, `a valid notification is accepted: ${res.body.slice(0, 500)}`).toBe(201);
  const caseId = /ZSD-\d{4}-\d{5,}/.exec(res.body)![0];
  const email = await waitFor('the first link e-mail of the case', async () =>
    (await emails(world)).find((e) => e.subject.includes(caseId) && linksIn(e, world.stack.urls.pages).length > 0),
  );
  const link = linksIn(email, world.stack.urls.pages)[0]!;
  await settle(world);
  const page = await send(link);
  expect(page.status, `the fresh link opens its page: ${page.body.slice(0, 500)}`).toBe(200);
  const form = parseStepForm(page.body, link);
  const snapshot = await scanAll(world);
  const pending = snapshot.raw.filter((item) => item.pk?.S === `CASE#${caseId}` && item.sk?.S?.startsWith('STEP#') && item.status?.S === 'PENDING');
  expect(pending, 'exactly one step of the new case waits for a confirmation').toHaveLength(1);
  return { caseId, email, link, page, form, cookie: cookiesOf(page), stepSk: pending[0]!.sk!.S! };
}

export function stepStatus(snapshot: Snapshot, caseId: string, stepSk: string): string | undefined {
  return snapshot.raw.find((item) => item.pk?.S === `CASE#${caseId}` && item.sk?.S === stepSk)?.status?.S;
}

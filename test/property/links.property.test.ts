import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_FORM_BYTES } from '../../lambdas/core/form.js';
import { signLink, signingKeysSchema, type LinkFor, type SigningKeys } from '../../lambdas/core/links.js';
import {
  HEADER_INJECTIONS,
  OBJECT_KEYS,
  WRONG_METHODS,
  contentType,
  controlInLongText,
  hostileString,
  injectionString,
  isUrlencoded,
} from './arbitraries.js';
import {
  FORM_CONTENT_TYPE,
  PROPERTY_TIMEOUT,
  createRealCase,
  encodePairs,
  expect405,
  expectNothingChanged,
  expectPage,
  fcOptions,
  firstValues,
  scanAll,
  send,
  settle,
  startWorld,
  stepStatus,
  todayInWarsaw,
  validAnswer,
  type Baseline,
  type Encoding,
  type Pair,
  type RealCase,
  type Reply,
  type World,
} from './support.js';

/**
 * The signed-link page (/potwierdzenie) under random and hostile input, against one real case whose first step
 * waits for a confirmation. Tampered, truncated, forged and repeated links, hostile form bodies on the valid
 * link, wrong methods: every answer is a Polish 4xx page (405 with Allow for methods), the step stays PENDING,
 * not one item of the table changes and no e-mail is sent.
 */

let world: World;
let real: RealCase;
let before: Baseline;
let original: Pair[];
let keys: SigningKeys;
let recipient: string;

beforeAll(async () => {
  world = await startWorld();
  real = await createRealCase(world);
  original = [...new URL(real.link).searchParams];
  keys = signingKeysSchema.parse(JSON.parse(world.stack.config.LINK_SIGNING_KEYS));
  recipient = (/Potwierdzasz jako: <strong>([^<]+)<\/strong>/.exec(real.page.body)?.[1] ?? real.email.destination.to[0]!).replace(/&amp;/g, '&');
  before = await settle(world);
});

afterAll(async () => {
  await world?.stack.close();
});

/** `lang` only picks the page's language and is not signed; every other parameter must be protected. */
const UNSIGNED = new Set(['lang']);

function withCookie(headers: Record<string, string> = {}): Record<string, string> {
  return real.cookie ? { ...headers, cookie: real.cookie } : headers;
}

async function expectUnchanged(what: string): Promise<void> {
  await expectNothingChanged(world, before, what);
  expect(stepStatus(await scanAll(world), real.caseId, real.stepSk), `${what}: the step must stay PENDING`).toBe('PENDING');
}

const linkBase = () => real.link.slice(0, real.link.indexOf('?'));

/**
 * Would the handler see exactly the original link (first value of each name wins)? Then it is not a tampering.
 * Parameters named like Object.prototype members (`toString`, `constructor`, …) are dropped by the handler's
 * query parsing (see the report), so they do not make a link different either.
 */
function effectivelyOriginal(pairs: readonly Pair[]): boolean {
  const first = firstValues(pairs.filter(([n]) => !(n in Object.prototype)));
  for (const [name, value] of original) if (!UNSIGNED.has(name) && first.get(name) !== value) return false;
  const names = new Set(original.map(([n]) => n));
  for (const name of first.keys()) if (!names.has(name) && !UNSIGNED.has(name)) return false;
  const lang = first.get('lang');
  return lang === undefined || lang === 'pl' || lang === 'en';
}

// ---------------------------------------------------------------------------------------------------------
// Tampering.

const B64URL = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';

type Tamper =
  | { op: 'flip'; name: string; index: number; char: string }
  | { op: 'set'; name: string; value: string }
  | { op: 'drop'; name: string }
  | { op: 'rename'; name: string; to: string }
  | { op: 'hostile-first'; name: string; value: string }
  | { op: 'extra'; name: string; value: string };

function nowSeconds(): number {
  return Math.floor(Date.now() / 1000);
}

/** Values a parameter should never accept in place of its own, by parameter. */
function specialValues(name: string): fc.Arbitrary<string> {
  const common = fc.oneof(hostileString, injectionString, fc.constantFrom(...HEADER_INJECTIONS, '', ' ', '%00', '\u0000'));
  switch (name) {
    case 'sig':
      return fc.oneof(
        fc.integer({ min: 0, max: 42 }).map((n) => `@trunc:${n}`),
        fc.string({ unit: fc.constantFrom(...B64URL), minLength: 1, maxLength: 20 }).map((extra) => `@extend:${extra}`),
        fc.constantFrom('@pad', '@std', '@upper', '@lower', '@reverse'),
        fc.tuple(fc.integer({ min: 0, max: 42 }), fc.constantFrom('+', '/', '=', '%', ' ', '.', '~', '!', '*', '\u0000', 'ą', '😀')).map(([i, c]) => `@insert:${i}:${c}`),
        common,
      );
    case 'k':
      return fc.oneof(
        { weight: 2, arbitrary: fc.constantFrom(...OBJECT_KEYS) }, // names every plain object has
        { weight: 2, arbitrary: fc.constantFrom('other', 'k0', 'k2', 'local2', 'LOCAL1', 'current', 'x'.repeat(16), 'x'.repeat(17), '@suffix', '@upper') },
        { weight: 1, arbitrary: common },
      );
    case 'e': {
      const now = nowSeconds();
      return fc.oneof(
        fc.integer({ min: 1, max: now - 1 }).map(String), // past
        fc.integer({ min: now + 1, max: 999_999_999_999 }).map(String), // far future (signature no longer matches)
        fc.constantFrom('0', '-1', '1e10', '0x7fffffff', '1.5', ' 123', '+123', 'Infinity', 'NaN', '１２３', 'abc', '9007199254740993', '1_000'),
        fc.integer({ min: 1, max: 5 }).map((z) => '@zeros:' + z), // leading zeros on the real expiry
        fc.integer({ min: 13, max: 400 }).map((n) => '9'.repeat(n)), // huge
        common,
      );
    }
    case 'r':
      return fc.oneof(fc.constantFrom('JST', 'MRPIPS', 'VOIVODESHIP_ADMIN', 'mrpips', 'ADMIN', 'SYSTEM'), common);
    case 's':
      return fc.oneof(fc.constantFrom('AGREE_VARIANT.1', 'AGREE_VARIANT.2', 'CONFIRM_CONTACT.1', 'NEW_COLLECTIONS.1', 'VERIFY_COLLECTIONS.3', 'AGREE_VARIANT.01', 'AGREE_VARIANT', 'UNKNOWN.1', 'AGREE_VARIANT.1.1'), common);
    case 'c':
      return fc.oneof(fc.constantFrom('ZSD-2026-00001', 'ZSD-2026-99999', 'zsd-2026-00001', 'ZSD-2026-1', 'ZSD-2026-<script>', '@lower'), common);
    default:
      return fc.oneof(fc.constantFrom('@upper', '@lower', '@suffix', '@reverse'), common);
  }
}

function resolveSpecial(value: string, current: string): string {
  if (value.startsWith('@trunc:')) return current.slice(0, Number(value.slice(7)));
  if (value.startsWith('@extend:')) return current + value.slice(8);
  if (value.startsWith('@insert:')) {
    const [, index, ch] = /^@insert:(\d+):([\s\S]*)$/.exec(value)!;
    return current.slice(0, Number(index)) + ch + current.slice(Number(index));
  }
  if (value.startsWith('@zeros:')) return '0'.repeat(Number(value.slice(7))) + current;
  switch (value) {
    case '@pad':
      return `${current}=`;
    case '@std':
      return current.replace(/-/g, '+').replace(/_/g, '/') + (current.includes('-') || current.includes('_') ? '' : '+');
    case '@upper':
      return current.toUpperCase() === current ? `${current}X` : current.toUpperCase();
    case '@lower':
      return current.toLowerCase() === current ? `${current}x` : current.toLowerCase();
    case '@reverse':
      return [...current].reverse().join('') === current ? `${current}x` : [...current].reverse().join('');
    case '@suffix':
      return `${current}x`;
    default:
      return value;
  }
}

function tamperArb(): fc.Arbitrary<Tamper> {
  const names = original.map(([n]) => n).filter((n) => !UNSIGNED.has(n));
  // The signature, the expiry and the key id are what an attacker plays with first.
  const weighted = fc.oneof(
    { weight: 3, arbitrary: fc.constantFrom(...names.filter((n) => ['sig', 'e', 'k'].includes(n))) },
    { weight: 2, arbitrary: fc.constantFrom(...names) },
  );
  return fc.oneof(
    { weight: 3, arbitrary: fc.tuple(fc.constantFrom(...names), fc.nat(), fc.constantFrom(...B64URL, '.', '~', '%', '+', ' ')).map(([name, index, char]): Tamper => ({ op: 'flip', name, index, char })) },
    { weight: 6, arbitrary: weighted.chain((name) => specialValues(name).map((value): Tamper => ({ op: 'set', name, value }))) },
    { weight: 2, arbitrary: fc.constantFrom(...names).map((name): Tamper => ({ op: 'drop', name })) },
    { weight: 1, arbitrary: fc.tuple(fc.constantFrom(...names), fc.constantFrom('@upper', '[]', ' ', '%00', '.', '\u200B')).map(([name, how]): Tamper => ({ op: 'rename', name, to: how === '@upper' ? name.toUpperCase() : `${name}${how}` })) },
    { weight: 2, arbitrary: weighted.chain((name) => specialValues(name).map((value): Tamper => ({ op: 'hostile-first', name, value }))) },
    {
      weight: 1,
      arbitrary: fc
        .tuple(fc.oneof(hostileString, fc.constantFrom(...OBJECT_KEYS, 'x', 'csrf', 'action', 'lang', 'sig2', 'C', 'tt')), fc.oneof(hostileString, fc.constantFrom('en', 'pl', '1')))
        .map(([name, value]): Tamper => ({ op: 'extra', name, value })),
    },
  );
}

function applyTampers(tampers: readonly Tamper[]): Pair[] {
  let pairs: Pair[] = original.map(([n, v]): Pair => [n, v]);
  for (const t of tampers) {
    const index = pairs.findIndex(([n]) => n === t.name);
    const current = index >= 0 ? pairs[index]![1] : '';
    switch (t.op) {
      case 'flip': {
        if (index < 0 || current.length === 0) break;
        const i = t.index % current.length;
        const char = t.char === current[i] ? (current[i] === 'A' ? 'B' : 'A') : t.char;
        pairs[index] = [t.name, current.slice(0, i) + char + current.slice(i + 1)];
        break;
      }
      case 'set':
        if (index >= 0) pairs[index] = [t.name, resolveSpecial(t.value, current)];
        break;
      case 'drop':
        pairs = pairs.filter(([n]) => n !== t.name);
        break;
      case 'rename':
        pairs = pairs.map(([n, v]): Pair => [n === t.name ? t.to : n, v]);
        break;
      case 'hostile-first':
        pairs.splice(Math.max(index, 0), 0, [t.name, resolveSpecial(t.value, current || 'x')]);
        break;
      case 'extra':
        // An explicit language choice may legitimately give an English page; these tests want the Polish ones.
        pairs.push([t.name, t.name === 'lang' && (t.value === 'en' || t.value === 'pl') ? 'xx' : t.value]);
        break;
    }
  }
  return pairs;
}

const encodingArb = fc.constantFrom<Encoding>('percent', 'plus', 'loose');

/** A tampered link: 1-4 tamperings (the result checked not to be the original link), or the link cut short. */
function tamperedLinkArb(): fc.Arbitrary<{ how: string; query: string }> {
  const originalQuery = real.link.slice(real.link.indexOf('?') + 1);
  return fc.oneof(
    {
      weight: 5,
      arbitrary: fc
        .tuple(fc.oneof(fc.array(tamperArb(), { minLength: 1, maxLength: 1 }), fc.array(tamperArb(), { minLength: 2, maxLength: 4 })), encodingArb)
        .map(([tampers, encoding]) => ({ tampers, pairs: applyTampers(tampers), encoding }))
        .filter(({ pairs }) => !effectivelyOriginal(pairs))
        .map(({ tampers, pairs, encoding }) => ({ how: JSON.stringify(tampers).slice(0, 400), query: encodePairs(pairs, encoding).slice(0, 8_000) })),
    },
    {
      weight: 1,
      arbitrary: fc.integer({ min: 0, max: originalQuery.length - 1 }).map((cut) => ({ how: `query cut after ${cut} characters`, query: originalQuery.slice(0, cut) })),
    },
    {
      weight: 1,
      arbitrary: fc.constantFrom(
        { how: 'no query', query: '' },
        { how: 'only ?', query: '&' },
        { how: 'query of separators', query: '&&&===' },
        { how: 'raw CR/LF', query: `${originalQuery.replace(/&sig=[^&]*/, '')}&sig=%0d%0aSet-Cookie:%20x=1` },
        { how: 'percent garbage', query: `${originalQuery}%` },
        { how: 'semicolon separators', query: originalQuery.replace(/&/g, ';') },
        { how: 'double-encoded', query: originalQuery.replace(/=/g, '%3D') },
        { how: 'parameter names doubled', query: originalQuery.replace(/(^|&)([a-z]+)=/g, '$1$2$2=') },
      ),
    },
  );
}

// ---------------------------------------------------------------------------------------------------------
// Hostile answers to the valid link's form.

interface Answer {
  why: string;
  pairs: Pair[];
  csrfIntact: boolean;
}

const FUTURE_OR_INVALID_DATE = fc.oneof(
  fc.integer({ min: 2, max: 4_000 }).map((d) => todayInWarsaw(d)),
  fc.constantFrom('', 'jutro', '2025-02-30', '2031-13-01', '31.12.2025', '20250101', '2025-1-1', '+02025-01-01'),
  injectionString,
);

const normalise = (v: string) =>
  v
    .normalize('NFKC')
    .replace(/[\s\u0000-\u001f\u007f-\u009f\u00ad\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff]/g, '')
    .toUpperCase();

/** One required field of the step's form broken beyond any normalisation; `undefined` removes the field. */
function breakArb(): fc.Arbitrary<{ why: string; set: Record<string, string | undefined> }> {
  const { radios, checkboxes, dates, textareas } = real.form;
  const options: fc.Arbitrary<{ why: string; set: Record<string, string | undefined> }>[] = [];
  for (const [name, values] of radios) {
    const valid = new Set(values.map(normalise));
    options.push(fc.constant({ why: `${name} missing`, set: { [name]: undefined } }));
    options.push(
      fc
        .oneof(hostileString, injectionString, fc.constantFrom('', 'YES', 'ACCEPT', 'WITH', 'MIGRATION', '0', '1', 'true'))
        .filter((v) => !valid.has(normalise(v)))
        .map((v) => ({ why: `${name} not one of the options`, set: { [name]: v } })),
    );
    if (values.includes('REJECT') && textareas.includes('reason')) {
      options.push(fc.constantFrom(undefined, '', '   ', '\r\n\t').map((reason) => ({ why: 'REJECT without a reason', set: { [name]: 'REJECT', reason } })));
    }
  }
  for (const [name, value] of checkboxes) {
    options.push(
      fc
        .oneof(fc.constant<string | undefined>(undefined), fc.constantFrom('', 'nie', 'on', 'true', '1', 'false', 'yes', 'no', 'checked'), hostileString)
        .filter((v) => v === undefined || normalise(v) !== normalise(value))
        .map((v) => ({ why: `${name} not ticked`, set: { [name]: v } })),
    );
  }
  for (const name of dates) options.push(fc.oneof(fc.constant<string | undefined>(undefined), FUTURE_OR_INVALID_DATE).map((v) => ({ why: `${name} missing/invalid/future`, set: { [name]: v } })));
  if (!options.length) throw new Error('the step form has no required field the test knows how to break');
  return fc.oneof(...options);
}

const INVALID_DELEGATE = fc.oneof(
  fc.constantFrom('', 'not-an-email', 'a@', '@b.pl', 'a b@c.pl', 'x@y.pl\r\nBcc: evil@example.com', '<script>@x.pl', `${'a'.repeat(250)}@x.pl`, 'a@b.pl,c@d.pl'),
  injectionString,
);

function answerArb(): fc.Arbitrary<Answer> {
  const { hidden, textareas } = real.form;
  const knownNames = [...hidden.map(([n]) => n), ...real.form.radios.keys(), ...real.form.checkboxes.keys(), ...real.form.dates, ...textareas];
  const fieldName = fc.oneof(
    { weight: 4, arbitrary: fc.constantFrom(...knownNames, 'note', 'reason', 'delegateEmail') },
    { weight: 1, arbitrary: fc.constantFrom(...OBJECT_KEYS, 'x'.repeat(81), 'decision[]', 'Decision', 'csrf ') },
    { weight: 1, arbitrary: hostileString },
  );
  const csrfMode = hidden.length
    ? fc.oneof(
        { weight: 5, arbitrary: fc.constant<'intact' | 'missing' | 'tampered' | 'hostile-first' | 'repeated-after'>('intact') },
        { weight: 1, arbitrary: fc.constant('missing' as const) },
        { weight: 2, arbitrary: fc.constant('tampered' as const) },
        { weight: 1, arbitrary: fc.constant('hostile-first' as const) },
        { weight: 1, arbitrary: fc.constant('repeated-after' as const) },
      )
    : fc.constant('intact' as const);
  const mode = fc.oneof(
    { weight: 5, arbitrary: breakArb().map((b) => ({ kind: 'confirm' as const, ...b })) },
    {
      weight: 1,
      arbitrary: fc
        .oneof(INVALID_DELEGATE, fc.constantFrom(recipient, ` ${recipient.toUpperCase()} `))
        .map((delegate) => ({ kind: 'reassign' as const, why: `reassign to ${JSON.stringify(delegate).slice(0, 60)}`, set: { action: 'reassign', delegateEmail: delegate } as Record<string, string | undefined> })),
    },
  );
  return fc
    .record({
      mode,
      csrf: csrfMode,
      tamper: fc.tuple(fc.nat(), fc.oneof(hostileString, fc.constantFrom(...B64URL))),
      mutations: fc.array(fc.tuple(fieldName, fc.oneof(hostileString, injectionString, controlInLongText)), { maxLength: 5 }),
      duplicates: fc.array(fc.tuple(fieldName, fc.oneof(hostileString, fc.constantFrom(...validAnswer(real.form).map(([, v]) => v)))), { maxLength: 4 }),
      huge: fc.option(fc.record({ field: fieldName, size: fc.oneof(fc.integer({ min: 100, max: 31_000 }), fc.integer({ min: MAX_FORM_BYTES + 1, max: 1_000_000 })) }), { freq: 5 }),
      order: fc.integer(),
    })
    .map(({ mode, csrf, tamper, mutations, duplicates, huge, order }): Answer => {
      const fields = new Map<string, string>(validAnswer(real.form));
      // Only the reassignment path may carry action=reassign; in the confirm path any other action value is noise.
      for (const [n, v] of mutations) fields.set(n, n === 'action' && v === 'reassign' ? 'x' : v);
      if (mode.kind === 'confirm' && fields.get('action') === 'reassign') fields.delete('action');
      if (huge) fields.set(huge.field === 'action' ? 'note' : huge.field, 'ż'.repeat(Math.ceil(huge.size / 2)));
      for (const [n, v] of Object.entries(mode.set)) {
        if (v === undefined) fields.delete(n);
        else fields.set(n, v);
      }
      let csrfIntact = true;
      const extra: Pair[] = [];
      for (const [name, value] of hidden) {
        if (csrf === 'missing') {
          fields.delete(name);
          csrfIntact = false;
        } else if (csrf === 'tampered') {
          const [at, other] = tamper;
          const i = at % (value.length || 1);
          let changed = value.slice(0, i) + other + value.slice(i + 1);
          if (changed === value) changed = `${value}x`;
          fields.set(name, changed);
          csrfIntact = false;
        } else if (csrf === 'hostile-first') {
          fields.set(name, tamper[1] === value ? `${value}x` : tamper[1]);
          extra.push([name, value]);
          csrfIntact = false;
        } else {
          fields.set(name, value);
          if (csrf === 'repeated-after') extra.push([name, tamper[1]]);
        }
      }
      const unique = [...fields].sort(([a], [b]) => (hashOf(a, order) - hashOf(b, order)) || a.localeCompare(b));
      // Duplicates never precede the field they repeat, so what the handler reads (first value) is `fields`.
      // A duplicate of a field the break removed would become its first occurrence: those are left out.
      const removed = new Set(Object.keys(mode.set).filter((n) => !fields.has(n)));
      const repeats = duplicates.filter(([n]) => !removed.has(n)).map(([n, v]): Pair => [n, n === 'action' && v === 'reassign' ? 'x' : v]);
      const pairs: Pair[] = [...unique, ...extra, ...repeats];
      return { why: `${mode.why}; csrf ${csrf}`, pairs, csrfIntact };
    });
}

function hashOf(s: string, salt: number): number {
  let h = salt | 0;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 16777619);
  return h;
}

/** The page's form action, optionally with hostile repeats of its parameters after the originals (first wins). */
function targetArb(): fc.Arbitrary<{ url: string; polluted: boolean }> {
  const names = original.map(([n]) => n).filter((n) => !UNSIGNED.has(n));
  return fc.oneof(
    { weight: 3, arbitrary: fc.constant({ url: real.form.action, polluted: false }) },
    {
      weight: 1,
      arbitrary: fc
        .array(fc.tuple(fc.constantFrom(...names), fc.oneof(hostileString, injectionString, fc.constantFrom(...HEADER_INJECTIONS))), { minLength: 1, maxLength: 4 })
        .map((repeats) => ({ url: `${real.form.action}&${encodePairs(repeats)}`.slice(0, 8_000), polluted: true })),
    },
  );
}

// ---------------------------------------------------------------------------------------------------------

describe('signed links (/potwierdzenie) under hostile input', () => {
  it('sanity: the real link opens its step page (200) and the stack key re-signs its claims to the same signature', async () => {
    const reply = await send(real.link, { headers: withCookie() });
    expectPage(reply, 'the untampered link', { status: 200 });
    const q = Object.fromEntries(original);
    const link = { caseId: q.c, step: q.s, role: q.r, recipient, expiresAt: Number(q.e), linkId: q.l } as unknown as LinkFor;
    expect(new URLSearchParams(signLink(link, keys)).get('sig'), 'the link format changed: update the forged-link property').toBe(q.sig);
    await expectUnchanged('opening the real link');
  });

  it(
    'tampered, truncated and malformed links (signature, key id, expiry, any parameter) get a Polish 4xx page on GET, HEAD and POST (even with a valid form), nothing changes',
    async () => {
      await fc.assert(
        fc.asyncProperty(tamperedLinkArb(), fc.constantFrom('GET', 'HEAD', 'POST'), async ({ how, query }, method) => {
          const url = `${linkBase()}?${query}`;
          const reply: Reply =
            method === 'POST'
              ? await send(url, { method, contentType: FORM_CONTENT_TYPE, body: encodePairs(validAnswer(real.form)), headers: withCookie() })
              : await send(url, { method, headers: withCookie() });
          const what = `tampered link (${how})`;
          expectPage(reply, what);
          await expectUnchanged(what);
        }),
        {
          ...fcOptions(200),
          // Always tried, whatever the seed: key ids that name members of every plain JavaScript object.
          examples: OBJECT_KEYS.slice(0, 3).map((k): [{ how: string; query: string }, string] => [
            { how: `key id "${k}"`, query: encodePairs(original.map(([n, v]): Pair => [n, n === 'k' ? k : v])) },
            'GET',
          ]),
        },
      );
    },
    PROPERTY_TIMEOUT,
  );

  it(
    'links signed with the real key but for another case, step, role, recipient, link id, or already expired get a Polish 4xx page, nothing changes',
    async () => {
      const q = Object.fromEntries(original);
      const base = { caseId: q.c!, step: q.s!, role: q.r!, recipient, expiresAt: Number(q.e), linkId: q.l! };
      const forged = fc.oneof(
        fc.integer({ min: 1, max: 10 * 365 * 86_400 }).map((ago) => ({ why: 'expired', claims: { ...base, expiresAt: Math.max(1, nowSeconds() - ago) } })),
        fc.constantFrom('JST', 'MRPIPS', 'VOIVODESHIP_ADMIN').filter((r) => r !== base.role).map((role) => ({ why: `role ${role}`, claims: { ...base, role } })),
        fc
          .constantFrom('CONFIRM_CONTACT.1', 'CONFIRM_CONTACT.2', 'AGREE_VARIANT.1', 'AGREE_VARIANT.2', 'NEW_COLLECTIONS.1', 'OLD_SD_DEACTIVATED.1', 'NEW_SD_FEEDING.1', 'MZT_DEACTIVATED.1', 'VERIFY_COLLECTIONS.3')
          .filter((s) => s !== base.step)
          .map((step) => ({ why: `step ${step}`, claims: { ...base, step } })),
        fc.integer({ min: 1, max: 99_999 }).map((n) => `ZSD-${new Date().getFullYear()}-${String(n).padStart(5, '0')}`).filter((c) => c !== base.caseId).map((caseId) => ({ why: `case ${caseId}`, claims: { ...base, caseId } })),
        fc.emailAddress().filter((other) => other.toLowerCase() !== recipient.toLowerCase()).map((other) => ({ why: 'another recipient', claims: { ...base, recipient: other } })),
        fc.stringMatching(/^[A-Za-z0-9_-]{24}$/).filter((l) => l !== base.linkId).map((linkId) => ({ why: 'another link id', claims: { ...base, linkId } })),
      );
      await fc.assert(
        fc.asyncProperty(forged, fc.constantFrom('GET', 'HEAD', 'POST'), async ({ why, claims }, method) => {
          const url = `${linkBase()}?${signLink(claims as unknown as LinkFor, keys)}`;
          const reply =
            method === 'POST'
              ? await send(url, { method, contentType: FORM_CONTENT_TYPE, body: encodePairs(validAnswer(real.form)), headers: withCookie() })
              : await send(url, { method, headers: withCookie() });
          const what = `link signed with the real key, ${why}`;
          expectPage(reply, what);
          await expectUnchanged(what);
        }),
        fcOptions(60),
      );
    },
    PROPERTY_TIMEOUT,
  );

  it(
    'hostile form bodies on the valid link are refused (400 invalid values, 413 over 32 KB, 4xx bad form token or content type); the step stays PENDING, nothing stored, no e-mail',
    async () => {
      await fc.assert(
        fc.asyncProperty(answerArb(), targetArb(), encodingArb, contentType, fc.boolean(), async (answer, target, encoding, type, rawControls) => {
          let body = encodePairs(answer.pairs, encoding);
          if (rawControls) body = body.replace(/%0D/g, '\r').replace(/%0A/g, '\n');
          const bytes = Buffer.byteLength(body);
          const reply = await send(target.url, { method: 'POST', contentType: type, body, headers: withCookie() });
          const what = `hostile answer (${answer.why}; ${type ?? 'no content type'}; ${bytes} bytes${target.polluted ? '; polluted query' : ''})`;
          const status = bytes > MAX_FORM_BYTES ? 413 : answer.pairs.length > 200 ? 400 : isUrlencoded(type) && answer.csrfIntact ? 400 : undefined;
          expectPage(reply, what, { status });
          await expectUnchanged(what);
        }),
        fcOptions(150),
      );
    },
    PROPERTY_TIMEOUT,
  );

  it(
    'the valid link with hostile repeats of its parameters after the originals only shows the page (GET/HEAD), escaped, nothing changes',
    async () => {
      await fc.assert(
        fc.asyncProperty(targetArb().filter((t) => t.polluted), fc.constantFrom('GET', 'HEAD'), async ({ url }, method) => {
          const reply = await send(url, { method, headers: withCookie() });
          const what = 'valid link with hostile repeated parameters';
          expectPage(reply, what, { status: [200, 400] });
          await expectUnchanged(what);
        }),
        fcOptions(50),
      );
    },
    PROPERTY_TIMEOUT,
  );

  it(
    'methods other than GET/HEAD/POST get 405 with an Allow header on valid and tampered links, nothing changes',
    async () => {
      await fc.assert(
        fc.asyncProperty(fc.constantFrom(...WRONG_METHODS), fc.oneof(fc.constant({ how: 'valid', query: real.link.slice(real.link.indexOf('?') + 1) }), tamperedLinkArb()), async (method, { how, query }) => {
          const reply = await send(`${linkBase()}?${query}`, { method, contentType: FORM_CONTENT_TYPE, body: encodePairs(validAnswer(real.form)), headers: withCookie() });
          const what = `${method} on a ${how} link`;
          expect405(reply, what);
          await expectUnchanged(what);
        }),
        fcOptions(40),
      );
    },
    PROPERTY_TIMEOUT,
  );

  it('after all of it: no e-mail for the case beyond its first ones, the step still PENDING, the link still opens', async () => {
    await settle(world); // anything asynchronous (a workflow step, an e-mail) would have happened by now
    await expectUnchanged('after the properties');
    const reply = await send(real.link, { headers: withCookie() });
    expectPage(reply, 'the untampered link after the properties', { status: 200 });
  });

  it('control: the untampered link with the page\'s own valid answer completes the step (so the refusals above were caused by the input)', async () => {
    const reply = await send(real.form.action, { method: 'POST', contentType: FORM_CONTENT_TYPE, body: encodePairs(validAnswer(real.form)), headers: withCookie() });
    expectPage(reply, 'valid answer', { status: 200 });
    await settle(world);
    expect(stepStatus(await scanAll(world), real.caseId, real.stepSk)).toBe('COMPLETED');
  });
});

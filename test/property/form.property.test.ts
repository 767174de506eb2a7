import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_FORM_BYTES, parseFormBody } from '../../lambdas/core/form.js';
import { parseNotificationForm } from '../../lambdas/core/notification.js';
import { openNotificationForm } from '../e2e/participants.js';
import {
  HEADER_INJECTIONS,
  OBJECT_KEYS,
  WRONG_METHODS,
  contentType,
  controlInLongText,
  controlInText,
  hostileString,
  injectionString,
  isUrlencoded,
  nonUrlencodedBody,
} from './arbitraries.js';
import {
  PROPERTY_TIMEOUT,
  baseline,
  encodePairs,
  expect405,
  expectNothingChanged,
  expectPage,
  fcOptions,
  notificationFields,
  send,
  settle,
  startWorld,
  todayInWarsaw,
  type Encoding,
  type Pair,
  type World,
} from './support.js';

/**
 * The public notification form (/zgloszenie) under random and hostile input. Every generated notification is
 * invalid by construction (at least one field is broken, chosen by the generator, after any other mutation), so
 * every POST must be refused with a Polish 4xx page and must not write a single item or send a single e-mail.
 */

let world: World;

beforeAll(async () => {
  world = await startWorld();
  await settle(world);
});

afterAll(async () => {
  await world?.stack.close();
});

const KNOWN_FIELDS = Object.keys(notificationFields());
const OPTIONAL_FIELDS = ['newSd.contactEmail', 'remarks'];
const REQUIRED_FIELDS = KNOWN_FIELDS.filter((f) => !OPTIONAL_FIELDS.includes(f) && !f.startsWith('areas.'));

/** One field broken in a way no normalisation (trim, case folding) can repair; `undefined` removes it. */
interface Break {
  why: string;
  set: Record<string, string | undefined>;
}

const brk = (why: string, set: Record<string, string | undefined>): Break => ({ why, set });
const tooLong = (max: number) => fc.integer({ min: max + 1, max: max + 300 }).chain((n) => fc.constantFrom('x', 'ż', 'ab ').map((c) => c.repeat(n).slice(0, n)));
const pastDate = fc.integer({ min: 2, max: 40_000 }).map((days) => todayInWarsaw(-days));
const invalidEmail = fc.constantFrom(
  'not-an-email',
  'anna@',
  '@mops.pl',
  'anna kowalska@mops.pl',
  'anna@mops..pl',
  'anna@@mops.pl',
  'anna@mops.pl\r\nBcc: evil@example.com',
  'anna@mops.pl%0d%0aBcc:evil@example.com',
  '<script>@mops.pl',
  '"><img src=x onerror=alert(1)>@x.pl',
  `${'a'.repeat(250)}@mops.pl`,
  'anna@mops.pl,evil@example.com',
  'anna\u0000@mops.pl',
);

const breakArb: fc.Arbitrary<Break> = fc.oneof(
  fc.constantFrom(...REQUIRED_FIELDS).map((field) => brk(`required ${field} missing`, { [field]: undefined })),
  fc.tuple(fc.constantFrom(...REQUIRED_FIELDS), fc.constantFrom('', ' ', '\t', '\u3000 ', '\r\n')).map(([field, blank]) => brk(`required ${field} blank`, { [field]: blank })),
  fc.oneof(fc.constant('ab'), tooLong(200), controlInText).map((v) => brk('officeName too short/long/with control', { officeName: v })),
  fc
    .oneof(
      fc.constantFrom('123456', '12345678', '14650a1', '１４６５０１１', '١٤٦٥٠١١', '1465011\u0000', '14-65-011', '0x16501', '1.46E+6', '-465011'),
      fc.tuple(fc.constantFrom('00', '01', '03', '13', '15', '31', '33', '34', '99'), fc.integer({ min: 0, max: 99_999 })).map(([v, n]) => `${v}${String(n).padStart(5, '0')}`),
      injectionString,
    )
    .map((v) => brk('teryt invalid', { teryt: v })),
  fc.oneof(fc.constantFrom('MOPS 1465011', 'MOPS<1>', 'MOPS-ą', 'MOPS😀', 'MOPS\u202E1', 'MOPS\u200B1'), tooLong(50), injectionString).map((v) => brk('mztUnitCode invalid', { mztUnitCode: v })),
  fc
    .oneof(pastDate, fc.constantFrom('2025-02-30', '2031-13-01', '2031-00-10', '20310101', '01.01.2031', '2031-1-1', '+02031-01-01', '2031-01-01T00:00', 'jutro'), injectionString)
    .map((v) => brk('plannedChangeDate invalid or past', { plannedChangeDate: v })),
  fc.constant(brk('no area rows at all', Object.fromEntries(Array.from({ length: 10 }, (_, i) => [[`areas.${i}.area`, undefined], [`areas.${i}.oldCollectionCode`, undefined]]).flat()))),
  fc
    .oneof(fc.constantFrom('SR 1', 'SR<1>', 'ŻR-1', '-SR', '.X', '/X', 'SR\u00001', 'SR😀'), tooLong(40).map((s) => s.replace(/[^x]/g, 'x')).map((s) => `S${s}`), injectionString)
    .map((v) => brk('areas.0.oldCollectionCode invalid', { 'areas.0.area': 'świadczenia rodzinne', 'areas.0.oldCollectionCode': v })),
  fc.oneof(fc.constant('ab'), tooLong(120), controlInText).map((v) => brk('areas.0.area too short/long/with control', { 'areas.0.area': v, 'areas.0.oldCollectionCode': 'SR-OK1' })),
  fc.constantFrom('SR-DUP1', 'FA.2/3').map((code) =>
    brk('the same collection code twice (case-insensitively)', {
      'areas.0.area': 'świadczenia rodzinne',
      'areas.0.oldCollectionCode': code,
      'areas.1.area': 'fundusz alimentacyjny',
      'areas.1.oldCollectionCode': code.toLowerCase(),
    }),
  ),
  fc.oneof(fc.constant('ab'), tooLong(120), controlInText).map((v) => brk('contact.name invalid', { 'contact.name': v })),
  invalidEmail.map((v) => brk('contact.email invalid', { 'contact.email': v })),
  fc
    .oneof(fc.constantFrom('abc', '123', '+48', '+48 22 123 45 67 89 01 23 45 67', '22\u0000123456789', '+48 22 123 45 6x', '(((((((())))', '--------', '+4 8', '１２３４５６７８９'), injectionString)
    .map((v) => brk('contact.phone invalid', { 'contact.phone': v })),
  fc
    .tuple(fc.constantFrom('oldSd.product', 'oldSd.supplier', 'newSd.product', 'newSd.supplier'), fc.oneof(tooLong(160), controlInText))
    .map(([field, v]) => brk(`${field} too long/with control`, { [field]: v })),
  invalidEmail.map((v) => brk('newSd.contactEmail invalid', { 'newSd.contactEmail': v })),
  fc.oneof(tooLong(2000).map((s) => `Uwagi ${s}`), controlInLongText).map((v) => brk('remarks too long/with control', { remarks: v })),
);

const FIELD_NAMES = fc.oneof(
  { weight: 6, arbitrary: fc.constantFrom(...KNOWN_FIELDS, 'remarks', 'areas.2.area', 'areas.2.oldCollectionCode', 'areas.9.area', 'areas.10.area', 'rows', 'submissionId') },
  { weight: 2, arbitrary: fc.constantFrom(...OBJECT_KEYS, 'areas.__proto__.area', 'contact.__proto__', 'areas.-1.area', 'areas.0.constructor', 'action', 'x'.repeat(81), 'teryt[]', 'Teryt', 'teryt ') },
  { weight: 1, arbitrary: hostileString },
);

interface Submission {
  path: string;
  submissionId: string | null;
  breaks: Break;
  mutations: [string, string][];
  duplicates: [string, string][];
  huge?: { field: string; size: number };
  order: number;
  encoding: Encoding;
  rawControls: boolean;
  contentType: string | null;
}

const submission: fc.Arbitrary<Submission> = fc.record({
  path: fc.constantFrom('/zgloszenie', '/zgloszenie', '/'),
  submissionId: fc.option(fc.oneof(fc.stringMatching(/^[A-Za-z0-9_-]{24}$/), hostileString)),
  breaks: breakArb,
  mutations: fc.array(fc.tuple(FIELD_NAMES, fc.oneof(hostileString, injectionString, fc.constantFrom(...HEADER_INJECTIONS))), { maxLength: 6 }),
  duplicates: fc.array(fc.tuple(FIELD_NAMES, fc.oneof(hostileString, fc.constantFrom('1465011', 'Anna Kowalska', todayInWarsaw(30)))), { maxLength: 4 }),
  huge: fc.option(fc.record({ field: FIELD_NAMES, size: fc.oneof(fc.integer({ min: 1_000, max: 31_000 }), fc.integer({ min: MAX_FORM_BYTES + 1, max: 1_000_000 })) }), { freq: 4 }).map((h) => h ?? undefined),
  order: fc.integer(),
  encoding: fc.constantFrom<Encoding>('percent', 'plus', 'loose'),
  rawControls: fc.boolean(),
  contentType,
});

/**
 * Builds the body: base fields, then mutations, then the break (so nothing can repair it), duplicates last. With a
 * rendering of the form, a submission without an id of its own carries that rendering's id and token, so the
 * fields themselves are what is refused.
 */
function build(s: Submission, rendering?: { submissionId: string; formToken: string }): { pairs: Pair[]; body: string } {
  const fields = new Map<string, string>(Object.entries(notificationFields({ 'areas.0.oldCollectionCode': 'SR-PROP1', 'areas.1.oldCollectionCode': 'FA-PROP1' })));
  if (s.submissionId !== null) fields.set('submissionId', s.submissionId);
  else if (rendering) for (const [name, value] of Object.entries(rendering)) fields.set(name, value);
  for (const [name, value] of s.mutations) fields.set(name, name === 'action' && value === 'addArea' ? 'x' : value);
  if (s.huge) fields.set(s.huge.field === 'action' ? 'remarks' : s.huge.field, 'A'.repeat(s.huge.size));
  for (const [name, value] of Object.entries(s.breaks.set)) {
    if (value === undefined) fields.delete(name);
    else fields.set(name, value);
  }
  // Shuffled deterministically by the generated `order`; a field's first occurrence is always the one above.
  const unique = [...fields].sort(([a], [b]) => (hash(a, s.order) - hash(b, s.order)) || a.localeCompare(b));
  // A duplicate of a field the break removed would become its first occurrence: those are left out.
  const removed = new Set(Object.keys(s.breaks.set).filter((n) => !fields.has(n)));
  const repeats = s.duplicates.filter(([n]) => !removed.has(n)).map(([n, v]): Pair => [n, n === 'action' && v === 'addArea' ? 'x' : v]);
  const pairs: Pair[] = [...unique, ...repeats];
  let body = encodePairs(pairs, s.encoding);
  if (s.rawControls) body = body.replace(/%0D/g, '\r').replace(/%0A/g, '\n').replace(/%09/g, '\t');
  return { pairs, body };
}

function hash(s: string, salt: number): number {
  let h = salt | 0;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 16777619);
  return h;
}

function expectedStatus(body: string, pairs: Pair[], type: string | null): number | undefined {
  if (Buffer.byteLength(body, 'utf8') > MAX_FORM_BYTES) return 413;
  if (pairs.length > 200) return 400;
  if (!isUrlencoded(type)) return undefined; // any 4xx: a stricter handler may refuse the content type itself
  return 400;
}

describe('notification form (/zgloszenie) under hostile input', () => {
  it('sanity: the base notification the generators start from is valid (so each refusal is caused by the break)', () => {
    const base = notificationFields({ 'areas.0.oldCollectionCode': 'SR-PROP1', 'areas.1.oldCollectionCode': 'FA-PROP1' });
    expect(parseNotificationForm(base).ok).toBe(true);
  });

  it('generator sanity: every generated notification is refused by the domain parser too (the break is real)', () => {
    fc.assert(
      fc.property(submission, (s) => {
        const { body } = build(s);
        let form: Record<string, string>;
        try {
          form = parseFormBody(body);
        } catch {
          return; // too large: refused before parsing
        }
        const parsed = parseNotificationForm(form);
        expect(parsed.ok, `generated notification (${s.breaks.why}) was accepted by parseNotificationForm`).toBe(false);
      }),
      { ...fcOptions(400), interruptAfterTimeLimit: undefined },
    );
  });

  it(
    'an invalid notification (one field broken, others hostile) gets a Polish 400/413 page, escapes every reflected value, stores nothing, sends nothing',
    async () => {
      const before = await baseline(world);
      const rendering = await openNotificationForm(world.stack.urls.form);
      await fc.assert(
        fc.asyncProperty(submission, async (s) => {
          const { pairs, body } = build(s, rendering);
          const reply = await send(world.stack.urls.pages + s.path, { method: 'POST', contentType: s.contentType, body });
          const what = `invalid notification (${s.breaks.why})`;
          expectPage(reply, what, { status: expectedStatus(body, pairs, s.contentType) });
          await expectNothingChanged(world, before, what);
        }),
        fcOptions(150),
      );
    },
    PROPERTY_TIMEOUT,
  );

  it(
    'bodies that are not urlencoded (JSON, multipart, XML, random bytes, text) with any content type get a Polish 4xx page and change nothing',
    async () => {
      const before = await baseline(world);
      await fc.assert(
        fc.asyncProperty(nonUrlencodedBody(notificationFields()), async ({ kind, body, contentType: type }) => {
          const reply = await send(world.stack.urls.form, { method: 'POST', contentType: type, body });
          const what = `non-urlencoded body (${kind}, ${type ?? 'no content type'})`;
          expectPage(reply, what);
          await expectNothingChanged(world, before, what);
        }),
        fcOptions(100),
      );
    },
    PROPERTY_TIMEOUT,
  );

  it(
    'oversized bodies (32 KB … 1 MB, one huge field or thousands of fields) are refused with 413 and change nothing',
    async () => {
      const before = await baseline(world);
      const oversized = fc.record({
        size: fc.integer({ min: MAX_FORM_BYTES + 1, max: 1_000_000 }),
        shape: fc.constantFrom('one-field', 'many-fields', 'valid-then-padding'),
        filler: fc.constantFrom('A', 'ż', '%00', '<script>', '\r\n', '😀'),
      });
      await fc.assert(
        fc.asyncProperty(oversized, async ({ size, shape, filler }) => {
          const valid = new URLSearchParams(notificationFields()).toString();
          const pad = encodePairs([['remarks', filler.repeat(Math.ceil(size / filler.length))]]).slice(0, size);
          const body =
            shape === 'one-field' ? pad : shape === 'many-fields' ? Array.from({ length: Math.ceil(size / 8) }, (_, i) => `f${i}=${i}`).join('&').slice(0, size) : `${valid}&${pad}`;
          const reply = await send(world.stack.urls.form, { method: 'POST', contentType: 'application/x-www-form-urlencoded', body });
          const what = `oversized body (${shape}, ${Buffer.byteLength(body)} bytes)`;
          expectPage(reply, what, { status: 413 });
          await expectNothingChanged(world, before, what);
        }),
        fcOptions(25),
      );
    },
    PROPERTY_TIMEOUT,
  );

  it(
    'more than 200 fields are refused with 400 (even when they include a complete valid notification) and change nothing',
    async () => {
      const before = await baseline(world);
      await fc.assert(
        fc.asyncProperty(fc.integer({ min: 201 - KNOWN_FIELDS.length, max: 1_500 }), fc.boolean(), async (extra, validFirst) => {
          const filler: Pair[] = Array.from({ length: extra }, (_, i) => [`x${i}`, '1']);
          const valid = Object.entries(notificationFields());
          const pairs = validFirst ? [...valid, ...filler] : [...filler, ...valid];
          const body = encodePairs(pairs);
          const reply = await send(world.stack.urls.form, { method: 'POST', contentType: 'application/x-www-form-urlencoded', body });
          const what = `${pairs.length} fields`;
          expectPage(reply, what, { status: Buffer.byteLength(body) > MAX_FORM_BYTES ? 413 : 400 });
          await expectNothingChanged(world, before, what);
        }),
        fcOptions(20),
      );
    },
    PROPERTY_TIMEOUT,
  );

  it(
    'methods other than GET/HEAD/POST get 405 with an Allow header, a Polish page, and change nothing',
    async () => {
      const before = await baseline(world);
      await fc.assert(
        fc.asyncProperty(fc.constantFrom(...WRONG_METHODS), fc.constantFrom('/zgloszenie', '/'), fc.option(hostileString), async (method, path, body) => {
          const reply = await send(world.stack.urls.pages + path, {
            method,
            contentType: 'application/x-www-form-urlencoded',
            body: body === null ? new URLSearchParams(notificationFields()).toString() : body,
          });
          const what = `${method} ${path}`;
          expect405(reply, what);
          await expectNothingChanged(world, before, what);
        }),
        fcOptions(60),
      );
    },
    PROPERTY_TIMEOUT,
  );

  it(
    'GET/HEAD with a hostile query string only show the empty form (200), reflect nothing, change nothing',
    async () => {
      const before = await baseline(world);
      const query = fc.array(fc.tuple(FIELD_NAMES, fc.oneof(hostileString, injectionString, fc.constantFrom(...HEADER_INJECTIONS))), { minLength: 1, maxLength: 6 });
      await fc.assert(
        fc.asyncProperty(fc.constantFrom('GET', 'HEAD'), query, fc.constantFrom<Encoding>('percent', 'plus', 'loose'), async (method, pairs, encoding) => {
          const qs = encodePairs(pairs, encoding).slice(0, 6_000);
          const reply = await send(`${world.stack.urls.form}?${qs}`, { method });
          const what = `${method} /zgloszenie?<hostile>`;
          expectPage(reply, what, { status: 200 });
          if (method === 'GET') {
            const visible = [...reply.body.matchAll(/<input\b([^>]*)>/g)].map((m) => m[1]!).filter((attrs) => !attrs.includes('type="hidden"'));
            expect(visible.length, `${what}: the form has inputs`).toBeGreaterThan(10);
            for (const attrs of visible) expect(attrs, `${what}: the empty form shows no values from the query`).toContain('value=""');
          }
          await expectNothingChanged(world, before, what);
        }),
        fcOptions(60),
      );
    },
    PROPERTY_TIMEOUT,
  );

  it(
    '"add area" with hostile values and row counts re-shows the form (200) with every value escaped, and changes nothing',
    async () => {
      const before = await baseline(world);
      const values = fc.array(fc.tuple(FIELD_NAMES, fc.oneof(hostileString, injectionString)), { maxLength: 8 });
      const rows = fc.oneof(fc.constantFrom('-5', '0', '3', '9', '10', '11', '1e9', '99999999999999999999', 'NaN', '', ' 4', '0x10', '4.5'), hostileString);
      await fc.assert(
        fc.asyncProperty(values, rows, async (pairs, rowCount) => {
          const body = encodePairs([['action', 'addArea'], ['rows', rowCount], ...pairs.filter(([n]) => n !== 'action' && n !== 'rows')]);
          fc.pre(Buffer.byteLength(body) <= MAX_FORM_BYTES);
          const reply = await send(world.stack.urls.form, { method: 'POST', contentType: 'application/x-www-form-urlencoded', body });
          const what = `addArea with rows=${JSON.stringify(rowCount).slice(0, 80)}`;
          expectPage(reply, what, { status: 200 });
          const shown = (reply.body.match(/<fieldset><legend>Obszar \d+/g) ?? []).length;
          expect(shown >= 3 && shown <= 10, `${what}: between 3 and 10 area rows shown (got ${shown})`).toBe(true);
          await expectNothingChanged(world, before, what);
        }),
        fcOptions(60),
      );
    },
    PROPERTY_TIMEOUT,
  );
});

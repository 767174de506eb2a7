import fc from 'fast-check';

/** Hostile values shared by the property tests. Every arbitrary here produces strings (possibly invalid UTF-16). */

export const SCRIPT_INJECTIONS = [
  '<script>alert(1)</script>',
  '"><img src=x onerror=alert(1)>',
  "'><svg onload=alert(1)>",
  '</textarea><script>alert(1)</script>',
  '</title><script>alert(1)</script>',
  '</style><script>alert(1)</script>',
  '" autofocus onfocus="alert(1)',
  "' onmouseover='alert(1)",
  '"/><iframe src=javascript:alert(1)>',
  'javascript:alert(1)',
  '<a href="javascript:alert(1)">x</a>',
  '<base href="https://evil.example/">',
  '<meta http-equiv="refresh" content="0;url=https://evil.example">',
  '<!--',
  '-->',
  '<![CDATA[',
  '&lt;script&gt;',
  '&#60;script&#62;',
  '{{7*7}}${7*7}<%= 7*7 %>',
  '<scr<script>ipt>',
  '<SCRIPT SRC=//evil.example/x.js></SCRIPT>',
  '<x onclick=alert(1)>',
] as const;

export const HEADER_INJECTIONS = [
  '\r\nSet-Cookie: x=1',
  '\nSet-Cookie: x=1',
  '%0d%0aLocation: https://evil.example',
  '%0D%0ASet-Cookie:%20x=1',
  '\r\nLocation: https://evil.example\r\n\r\n<html>',
  '\r\nX-Injected: 1',
  '\u560a\u560dSet-Cookie: x=1', // low bytes of these code points are LF/CR
  '\u010d\u010aX-Injected: 1',
] as const;

export const UNICODE_ODDITIES = [
  '\u202E', // right-to-left override
  '\u202Dabc\u202C',
  '\u2066\u2069',
  '\u200B', // zero-width space
  '\u200C\u200D',
  '\uFEFF',
  '\u00AD',
  '😀',
  '👨‍👩‍👧‍👦',
  '🏳️‍🌈',
  '\uD800', // lone high surrogate
  '\uDFFF', // lone low surrogate
  '\uDBFF',
  'e\u0301\u0301\u0301',
  'İ',
  'ß',
  'ﬀ',
  'Ⅻ',
  '１４６５０１１', // full-width digits
  '١٤٦٥٠١١', // Arabic-Indic digits
  '\u{10FFFF}',
  '\uFFFD',
  'Zażółć gęślą jaźń',
] as const;

/** C0 and C1 controls, DEL, and the Unicode line/paragraph separators. */
export const controlChar = fc.oneof(
  fc.integer({ min: 0x00, max: 0x1f }),
  fc.integer({ min: 0x7f, max: 0x9f }),
  fc.constantFrom(0x2028, 0x2029),
).map((code) => String.fromCharCode(code));

/** Controls a single-line field must refuse even in the middle of text (all C0/C1, DEL, U+2028/2029). */
export const controlInText = fc
  .tuple(fc.constantFrom('Urząd', 'abc', 'Nowy Dostawca'), controlChar, fc.constantFrom('Gminy', 'def', 'S.A.'))
  .map(([a, c, b]) => `${a}${c}${b}`);

/** Controls a multi-line field must refuse (tab, LF and CR are allowed in long text). */
export const controlInLongText = fc
  .tuple(
    fc.constantFrom('Uwagi', 'abc'),
    controlChar.filter((c) => !['\t', '\n', '\r'].includes(c)),
    fc.constantFrom(' do sprawy', 'def'),
  )
  .map(([a, c, b]) => `${a}${c}${b}`);

export const OBJECT_KEYS = ['__proto__', 'constructor', 'prototype', 'toString', 'valueOf', 'hasOwnProperty', '__defineGetter__', 'isPrototypeOf'] as const;

const fragment = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom(...SCRIPT_INJECTIONS) },
  { weight: 2, arbitrary: fc.constantFrom(...HEADER_INJECTIONS) },
  { weight: 2, arbitrary: fc.constantFrom(...UNICODE_ODDITIES) },
  { weight: 2, arbitrary: controlChar },
  { weight: 1, arbitrary: fc.constantFrom(...OBJECT_KEYS) },
  { weight: 1, arbitrary: fc.constantFrom("' OR '1'='1", '{"$gt":""}', '%00', '%', '%zz', '%E2%80', '+', '&', '=', '&amp;', '#', '?', '\\', '../../etc/passwd', 'NaN', '-0', '1e309') },
  { weight: 2, arbitrary: fc.string({ maxLength: 12 }) },
  { weight: 2, arbitrary: fc.string({ unit: 'binary', maxLength: 12 }) },
);

/** A hostile string: a mix of injections, controls and Unicode oddities, sometimes long. */
export const hostileString: fc.Arbitrary<string> = fc.oneof(
  { weight: 6, arbitrary: fc.array(fragment, { minLength: 1, maxLength: 5 }).map((parts) => parts.join('')) },
  { weight: 1, arbitrary: fc.constant('') },
  { weight: 1, arbitrary: fc.tuple(fragment, fc.integer({ min: 50, max: 800 })).map(([f, n]) => (f || 'x').repeat(n).slice(0, 6000)) },
);

/** Strings that contain markup or attribute breakouts: the page must show them as text, escaped. */
export const injectionString = fc
  .tuple(fc.constantFrom(...SCRIPT_INJECTIONS), fc.constantFrom('', ...UNICODE_ODDITIES.slice(0, 6)), fc.constantFrom('', 'Urząd ', 'abc'))
  .map(([inj, odd, prefix]) => `${prefix}${odd}${inj}`);

/** Request content types, from the right one through near misses to nonsense (printable ASCII only: header values). */
export const URLENCODED_TYPES = ['application/x-www-form-urlencoded', 'application/x-www-form-urlencoded; charset=utf-8', 'APPLICATION/X-WWW-FORM-URLENCODED', 'application/x-www-form-urlencoded;charset=UTF-8'] as const;
export const OTHER_TYPES = [
  'text/plain',
  'text/plain; charset=utf-8',
  'application/json',
  'multipart/form-data; boundary=----x',
  'application/xml',
  'text/html',
  'application/octet-stream',
  '*/*',
  'application/x-www-form-urlencoded; charset=iso-8859-2',
  'application/x-www-form-urlencoded; charset="><script>',
  'x/x; a=b',
  ';;;',
] as const;

export const contentType: fc.Arbitrary<string | null> = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom<string | null>(...URLENCODED_TYPES) },
  { weight: 2, arbitrary: fc.constantFrom<string | null>(null, ...OTHER_TYPES) },
  { weight: 1, arbitrary: fc.string({ unit: 'binary-ascii', minLength: 1, maxLength: 40 }).map((s) => s.replace(/[^\x20-\x7e]/g, '').trim() || 'x/y') },
);

export const isUrlencoded = (type: string | null): boolean => type !== null && /^application\/x-www-form-urlencoded\s*(;\s*charset=("?)utf-8\2\s*)?$/i.test(type.trim());

/** HTTP methods the handlers do not serve, all of which Node's HTTP parser accepts and fetch may send. */
export const WRONG_METHODS = ['PUT', 'DELETE', 'PATCH', 'OPTIONS', 'PROPFIND', 'PROPPATCH', 'MKCOL', 'COPY', 'MOVE', 'LOCK', 'UNLOCK', 'SEARCH', 'PURGE', 'REPORT', 'MKACTIVITY', 'NOTIFY', 'SUBSCRIBE'] as const;

/** Bodies that are not application/x-www-form-urlencoded. */
export function nonUrlencodedBody(validFields: Record<string, string>): fc.Arbitrary<{ kind: string; body: Uint8Array; contentType: string | null }> {
  const json = JSON.stringify(validFields);
  const multipart = Object.entries(validFields)
    .map(([n, v]) => `------x\r\nContent-Disposition: form-data; name="${n}"\r\n\r\n${v}\r\n`)
    .join('') + '------x--\r\n';
  const xml = `<?xml version="1.0"?><notification>${Object.entries(validFields).map(([n, v]) => `<f n="${n}">${v}</f>`).join('')}</notification>`;
  const bytes = (s: string) => new Uint8Array(Buffer.from(s, 'utf8'));
  return fc.oneof(
    fc.constantFrom<string | null>(null, 'application/json', ...URLENCODED_TYPES.slice(0, 1), 'text/plain').map((ct) => ({ kind: 'json', body: bytes(json), contentType: ct })),
    fc.constantFrom<string | null>('multipart/form-data; boundary=----x', ...URLENCODED_TYPES.slice(0, 1), null).map((ct) => ({ kind: 'multipart', body: bytes(multipart), contentType: ct })),
    fc.constantFrom<string | null>('application/xml', 'text/xml', ...URLENCODED_TYPES.slice(0, 1)).map((ct) => ({ kind: 'xml', body: bytes(xml), contentType: ct })),
    // Random bytes (invalid UTF-8 included); they can never name a TERYT code, so they can never be a valid notification.
    fc
      .tuple(fc.uint8Array({ minLength: 1, maxLength: 4096 }), contentType)
      .filter(([b]) => !new URLSearchParams(Buffer.from(b).toString('utf8')).has('teryt'))
      .map(([b, ct]) => ({ kind: 'bytes', body: b, contentType: ct })),
    fc
      .tuple(hostileString, contentType)
      .filter(([s]) => !new URLSearchParams(s).has('teryt'))
      .map(([s, ct]) => ({ kind: 'text', body: bytes(s), contentType: ct })),
  );
}

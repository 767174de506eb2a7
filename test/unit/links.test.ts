import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  CONFIRMATION_PATH,
  STATUS_LINK_DAYS,
  STATUS_PATH,
  formToken,
  formTokenMatches,
  hashLinkId,
  linkUrl,
  newLinkId,
  recipientTag,
  sentTo,
  signLink,
  signingKeysSchema,
  statusLinks,
  statusUrl,
  verifyLink,
  verifyStatusLink,
  type LinkClaims,
  type LinkFor,
  type SigningKeys,
} from '../../lambdas/core/links.js';

const KEY_1 = 'k1-secret-0123456789abcdefghijklmnopqrstuvwxyz';
const KEY_2 = 'k2-secret-ZYXWVUTSRQPONMLKJIHGFEDCBA9876543210';
const NOW = 1_773_100_000; // epoch seconds

const keys = (raw: Record<string, string>): SigningKeys => signingKeysSchema.parse(raw);
const KEYS = keys({ current: 'k1', k1: KEY_1 });

const RECIPIENT = 'anna.kowalska@mops.przykladowo.pl';
const LINK: LinkFor = { caseId: 'ZSD-2026-00042', step: 'OLD_SD_DEACTIVATED.1', role: 'JST', recipient: RECIPIENT, expiresAt: NOW + 3600, linkId: 'Qm9yZWFsaXMtbGluay1pZC0x' };
/** The claims a link for LINK carries when signed with `keys`: the recipient as its tag under the current key. */
const claimsOf = (keys: SigningKeys): LinkClaims => {
  const { recipient, ...rest } = LINK;
  return { ...rest, recipientTag: recipientTag(recipient, keys) };
};
const CLAIMS = claimsOf(KEYS);

const queryOf = (qs: string): Record<string, string> => Object.fromEntries(new URLSearchParams(qs));
/** What verifyLink returns for a good link: the claims, and the key id and signature the form token is bound to. */
const verified = (query: Record<string, string>, claims: LinkClaims = CLAIMS) => ({ ok: true, claims, keyId: query.k, signature: query.sig });

describe('signLink / verifyLink', () => {
  it('GIVEN a freshly signed link WHEN verified before expiry THEN the claims come back unchanged, with the key id and the signature', () => {
    const query = queryOf(signLink(LINK, KEYS));
    expect(verifyLink(query, KEYS, NOW)).toEqual({ ok: true, claims: CLAIMS, keyId: 'k1', signature: query.sig });
  });

  it('GIVEN a link WHEN signed THEN it names the current key and carries exactly c, s, r, t, e, l, k, sig', () => {
    const query = queryOf(signLink(LINK, KEYS));
    expect(Object.keys(query).sort()).toEqual(['c', 'e', 'k', 'l', 'r', 's', 'sig', 't']);
    expect(query).toMatchObject({ c: CLAIMS.caseId, s: CLAIMS.step, r: 'JST', t: recipientTag(RECIPIENT, KEYS), e: String(CLAIMS.expiresAt), l: CLAIMS.linkId, k: 'k1' });
    expect(query.sig).toMatch(/^[A-Za-z0-9_-]{43}$/);
  });

  it('GIVEN a link WHEN signed THEN the recipient\'s address is nowhere in it (only its tag)', () => {
    const qs = signLink(LINK, KEYS);
    expect(qs).not.toContain('kowalska');
    expect(decodeURIComponent(qs)).not.toContain(RECIPIENT);
  });

  it.each(['pl', 'en'])('GIVEN the page language switch lang=%s WHEN verified THEN it is allowed and not signed (the claims are the same)', (lang) => {
    const query = queryOf(signLink(LINK, KEYS));
    expect(verifyLink({ ...query, lang }, KEYS, NOW)).toEqual(verified(query));
  });

  it.each(['de', 'PL', '', 'en-GB'])('GIVEN lang=%j WHEN verified THEN it is MALFORMED', (lang) => {
    expect(verifyLink({ ...queryOf(signLink(LINK, KEYS)), lang }, KEYS, NOW)).toEqual({ ok: false, reason: 'MALFORMED' });
  });

  const tampered: [string, string][] = [
    ['c', 'ZSD-2026-00043'],
    ['c', 'ZSD-2027-00042'],
    ['s', 'NEW_SD_FEEDING.1'],
    ['s', 'OLD_SD_DEACTIVATED.2'],
    ['s', 'OLD_SD_DEACTIVATED.01'],
    ['r', 'MRPIPS'],
    ['r', 'VOIVODESHIP_ADMIN'],
    ['t', recipientTag('jan.nowak@mops.przykladowo.pl', KEYS)],
    ['t', recipientTag(RECIPIENT, KEYS).slice(0, 15)],
    ['t', `${recipientTag(RECIPIENT, KEYS)}A`],
    ['e', String(NOW + 3601)],
    ['e', String(NOW + 86_400 * 365)],
    ['e', `0${NOW + 3600}`],
    ['l', 'Qm9yZWFsaXMtbGluay1pZC0y'],
    ['l', 'Qm9yZWFsaXMtbGluay1pZC0x-'],
    ['k', 'k2'],
    ['k', 'k0'],
    ['c', ''],
    ['r', 'ADMIN'],
    ['e', 'tomorrow'],
    ['l', 'short'],
    ['sig', ''],
    ['sig', 'A'.repeat(43)],
  ];

  it.each(tampered)('GIVEN field %s changed to %j WHEN verified THEN it is refused (BAD_SIGNATURE or MALFORMED)', (field, value) => {
    const query = { ...queryOf(signLink(LINK, KEYS)), [field]: value };
    const check = verifyLink(query, KEYS, NOW);
    expect(check.ok).toBe(false);
    expect(['BAD_SIGNATURE', 'MALFORMED']).toContain(!check.ok && check.reason);
  });

  it.each([0, 1, 20, 41, 42])('GIVEN one character of the signature at position %i changed THEN it is refused', (position) => {
    const query = queryOf(signLink(LINK, KEYS));
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
    const original = query.sig![position]!;
    // Flip the lowest bit of the 6-bit value: the smallest possible change of the text.
    const changed = alphabet[alphabet.indexOf(original) ^ 1]!;
    const sig = query.sig!.slice(0, position) + changed + query.sig!.slice(position + 1);
    expect(verifyLink({ ...query, sig }, KEYS, NOW)).toMatchObject({ ok: false });
  });

  it('GIVEN a missing field WHEN verified THEN it is MALFORMED', () => {
    for (const field of ['c', 's', 'r', 't', 'e', 'l', 'k', 'sig']) {
      const query: Record<string, string | undefined> = queryOf(signLink(LINK, KEYS));
      query[field] = undefined;
      expect(verifyLink(query, KEYS, NOW), field).toEqual({ ok: false, reason: 'MALFORMED' });
    }
  });

  it('GIVEN an extra query parameter WHEN verified THEN it is MALFORMED (nothing unsigned is accepted)', () => {
    expect(verifyLink({ ...queryOf(signLink(LINK, KEYS)), redirect: 'https://evil.example' }, KEYS, NOW)).toEqual({ ok: false, reason: 'MALFORMED' });
  });

  it('GIVEN a step key naming an unknown step WHEN verified THEN it is MALFORMED', () => {
    const forged = signLink({ ...LINK, step: 'DELETE_CASE.1' }, KEYS);
    expect(verifyLink(queryOf(forged), KEYS, NOW)).toEqual({ ok: false, reason: 'MALFORMED' });
  });

  it('GIVEN a link signed with a key id the server does not know THEN it is BAD_SIGNATURE', () => {
    const foreign = keys({ current: 'k9', k9: KEY_1 });
    expect(verifyLink(queryOf(signLink(LINK, foreign)), KEYS, NOW)).toEqual({ ok: false, reason: 'BAD_SIGNATURE' });
  });

  it('GIVEN a link signed by someone with a different key under the same id THEN it is BAD_SIGNATURE', () => {
    const attacker = keys({ current: 'k1', k1: KEY_2 });
    expect(verifyLink(queryOf(signLink(LINK, attacker)), KEYS, NOW)).toEqual({ ok: false, reason: 'BAD_SIGNATURE' });
  });

  it('GIVEN the expiry WHEN verified one second before, exactly at and after it THEN ok, EXPIRED, EXPIRED', () => {
    const query = queryOf(signLink(LINK, KEYS));
    expect(verifyLink(query, KEYS, CLAIMS.expiresAt - 1).ok).toBe(true);
    expect(verifyLink(query, KEYS, CLAIMS.expiresAt)).toEqual({ ok: false, reason: 'EXPIRED' });
    expect(verifyLink(query, KEYS, CLAIMS.expiresAt + 1)).toEqual({ ok: false, reason: 'EXPIRED' });
  });

  it('GIVEN an expired link whose expiry was pushed forward THEN it is BAD_SIGNATURE (expiry cannot be extended)', () => {
    const query = queryOf(signLink(LINK, KEYS));
    const later = CLAIMS.expiresAt + 10;
    expect(verifyLink({ ...query, e: String(later + 3600) }, KEYS, later)).toEqual({ ok: false, reason: 'BAD_SIGNATURE' });
  });
});

describe('key rotation', () => {
  const before = keys({ current: 'k1', k1: KEY_1 });
  const during = keys({ current: 'k2', k1: KEY_1, k2: KEY_2 });
  const after = keys({ current: 'k2', k2: KEY_2 });

  it('GIVEN a link signed with the old key WHEN the new key is current and the old one still in the set THEN it verifies', () => {
    const old = queryOf(signLink(LINK, before));
    expect(verifyLink(old, during, NOW)).toEqual(verified(old, claimsOf(before)));
  });

  it('GIVEN the new key is current WHEN a link is signed THEN it uses the new key id and verifies after the old key is removed', () => {
    const fresh = queryOf(signLink(LINK, during));
    expect(fresh.k).toBe('k2');
    expect(verifyLink(fresh, after, NOW).ok).toBe(true);
  });

  it('GIVEN the old key was removed WHEN an old link is opened THEN it is BAD_SIGNATURE', () => {
    expect(verifyLink(queryOf(signLink(LINK, before)), after, NOW)).toEqual({ ok: false, reason: 'BAD_SIGNATURE' });
  });
});

describe('signingKeysSchema', () => {
  it('GIVEN the secret JSON THEN every key except `current` is a key id', () => {
    const parsed = keys({ current: 'k2', k1: KEY_1, k2: KEY_2 });
    expect(parsed.current).toBe('k2');
    expect(Object.keys(parsed.keys).sort()).toEqual(['k1', 'k2']);
    expect(parsed.keys.k2!.toString('utf8')).toBe(KEY_2);
  });

  it.each([
    ['missing current', { k1: KEY_1 }, '"current" must name one of the keys'],
    ['current naming an unknown key', { current: 'k3', k1: KEY_1 }, '"current" must name one of the keys'],
    ['a key shorter than 32 characters', { current: 'k1', k1: 'x'.repeat(31) }, 'at least 32 characters'],
    ['a short old key', { current: 'k1', k1: KEY_1, k0: 'short' }, 'at least 32 characters'],
    ['a key id with a space', { current: 'k 1', 'k 1': KEY_1 }, 'id of 1-16'],
    ['a key id over 16 characters', { current: 'k'.repeat(17), ['k'.repeat(17)]: KEY_1 }, 'id of 1-16'],
  ])('GIVEN %s THEN it is refused with a message saying why', (_name, raw, message) => {
    const result = signingKeysSchema.safeParse(raw);
    expect(result.success).toBe(false);
    expect(result.error?.issues.map((i) => i.message).join(' ')).toContain(message);
  });

  it('GIVEN a key of exactly 32 characters THEN it is accepted', () => {
    expect(signingKeysSchema.safeParse({ current: 'k1', k1: 'x'.repeat(32) }).success).toBe(true);
  });
});

describe('linkUrl: host and path are not signed', () => {
  it('GIVEN a link built for one base URL WHEN its query is served under another host and path THEN it still verifies', () => {
    const url = new URL(linkUrl('https://zmiana-sd.mrpips.gov.pl', LINK, KEYS));
    expect(url.pathname).toBe(CONFIRMATION_PATH);
    const moved = new URL(`https://proxy.example.org/prefix/inny${url.search}`);
    expect(verifyLink(Object.fromEntries(moved.searchParams), KEYS, NOW)).toMatchObject({ ok: true, claims: CLAIMS });
  });

  it('GIVEN two base URLs THEN the query strings are identical', () => {
    const a = new URL(linkUrl('https://a.example', LINK, KEYS));
    const b = new URL(linkUrl('http://localhost:3000', LINK, KEYS));
    expect(a.search).toBe(b.search);
  });
});

describe('link ids', () => {
  it('GIVEN a link id THEN its stored hash is not the id, is stable, and differs per id', () => {
    const id = newLinkId();
    const hash = hashLinkId(id);
    expect(hash).not.toBe(id);
    expect(hash).not.toContain(id);
    expect(hash).toMatch(/^[0-9a-f]{64}$/);
    expect(hashLinkId(id)).toBe(hash);
    expect(hashLinkId(newLinkId())).not.toBe(hash);
  });

  it('GIVEN new link ids THEN they are random and fit the link format', () => {
    const ids = new Set(Array.from({ length: 50 }, newLinkId));
    expect(ids.size).toBe(50);
    for (const id of ids) expect(verifyLink(queryOf(signLink({ ...LINK, linkId: id }, KEYS)), KEYS, NOW).ok).toBe(true);
  });
});

describe('recipientTag: keyed with the link\'s signing key', () => {
  const rotated = keys({ current: 'k2', k1: KEY_1, k2: KEY_2 });

  it('GIVEN an address THEN the tag is 16 URL-safe characters and does not reveal the address', () => {
    const tag = recipientTag(RECIPIENT, KEYS);
    expect(tag).toMatch(/^[A-Za-z0-9_-]{16}$/);
    expect(tag).not.toContain('anna');
  });

  it('GIVEN the same address in another case or with spaces around THEN the tag is the same', () => {
    expect(recipientTag(' Anna.Kowalska@MOPS.przykladowo.pl ', KEYS)).toBe(recipientTag(RECIPIENT, KEYS));
  });

  it('GIVEN another address THEN the tag differs', () => {
    expect(recipientTag('jan.nowak@mops.przykladowo.pl', KEYS)).not.toBe(recipientTag(RECIPIENT, KEYS));
  });

  it('GIVEN only the address (no key) THEN the tag in a link cannot be computed from it: no unkeyed hash of the address gives it', () => {
    const t = queryOf(signLink(LINK, KEYS)).t!;
    for (const form of [RECIPIENT, RECIPIENT.toUpperCase(), ` ${RECIPIENT} `]) {
      for (const algorithm of ['sha256', 'sha1', 'md5', 'sha512']) {
        const digest = createHash(algorithm).update(form.trim().toLowerCase());
        const unkeyed = digest.digest();
        expect([unkeyed.toString('base64url'), unkeyed.toString('hex')].some((text) => text.includes(t))).toBe(false);
      }
    }
    // The same address under another key has another tag: the tag depends on the secret key.
    expect(recipientTag(RECIPIENT, keys({ current: 'k1', k1: KEY_2 }))).not.toBe(t);
  });

  it('GIVEN a link signed with the old key WHEN the new key is current THEN it is still sent to its recipient (the tag is checked under the key id it carries)', () => {
    const old = verifyLink(queryOf(signLink(LINK, KEYS)), rotated, NOW);
    expect(old.ok && sentTo(old.claims, old.keyId, RECIPIENT, rotated)).toBe(true);
    const fresh = verifyLink(queryOf(signLink(LINK, rotated)), rotated, NOW);
    expect(fresh.ok && fresh.keyId === 'k2' && sentTo(fresh.claims, fresh.keyId, RECIPIENT, rotated)).toBe(true);
    // Under the other key, the tag does not match: the key id is what the tag is checked with.
    expect(old.ok && sentTo(old.claims, 'k2', RECIPIENT, rotated)).toBe(false);
  });

  it('GIVEN a verified link WHEN checked against another address THEN it was not sent to it', () => {
    const check = verifyLink(queryOf(signLink(LINK, KEYS)), KEYS, NOW);
    expect(check.ok && sentTo(check.claims, check.keyId, 'jan.nowak@mops.przykladowo.pl', KEYS)).toBe(false);
    expect(check.ok && sentTo(check.claims, check.keyId, ' ANNA.kowalska@mops.przykladowo.pl', KEYS)).toBe(true);
  });
});

describe('form token (per page, no cookies)', () => {
  const query = queryOf(signLink(LINK, KEYS));
  const token = formToken(KEYS, 'k1', query.sig!);

  it('GIVEN a verified link THEN its form token is stable, URL-safe, and neither the signature nor derivable without the key', () => {
    expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(formToken(KEYS, 'k1', query.sig!)).toBe(token);
    expect(token).not.toBe(query.sig);
    const attacker = keys({ current: 'k1', k1: KEY_2 });
    expect(formToken(attacker, 'k1', query.sig!)).not.toBe(token);
  });

  it('GIVEN the token of the page the link opened THEN it matches', () => {
    expect(formTokenMatches(token, KEYS, 'k1', query.sig!)).toBe(true);
  });

  it.each([
    ['missing', undefined],
    ['empty', ''],
    ['the link signature itself', query.sig],
    ['the token of another link', formToken(KEYS, 'k1', queryOf(signLink({ ...LINK, linkId: 'Qm9yZWFsaXMtbGluay1pZC0y' }, KEYS)).sig!)],
    ['truncated', token.slice(0, 42)],
    ['with a character appended', `${token}A`],
    ['in standard base64', Buffer.from(token, 'base64url').toString('base64')],
  ])('GIVEN a form token that is %s THEN it does not match', (_what, given) => {
    expect(formTokenMatches(given, KEYS, 'k1', query.sig!)).toBe(false);
  });

  it('GIVEN the token spelled non-canonically (same bytes, padding bits changed) THEN it does not match', () => {
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
    const last = token.at(-1)!;
    // 32 bytes are 43 characters: the low 4 bits of the last one are padding, so flipping one keeps the bytes.
    const twin = token.slice(0, 42) + alphabet[alphabet.indexOf(last) ^ 1]!;
    expect(Buffer.from(twin, 'base64url').equals(Buffer.from(token, 'base64url'))).toBe(true);
    expect(formTokenMatches(twin, KEYS, 'k1', query.sig!)).toBe(false);
  });

  it('GIVEN two keys during a rotation THEN a form token is bound to the key of its link', () => {
    const during = keys({ current: 'k2', k1: KEY_1, k2: KEY_2 });
    expect(formTokenMatches(formToken(during, 'k1', query.sig!), during, 'k1', query.sig!)).toBe(true);
    expect(formTokenMatches(formToken(during, 'k2', query.sig!), during, 'k1', query.sig!)).toBe(false);
    expect(formTokenMatches(formToken(during, 'k1', query.sig!), during, 'k2', query.sig!)).toBe(false);
  });

  it('GIVEN a link signed before a rotation WHEN its page is shown during the rotation THEN its form token still matches', () => {
    const during = keys({ current: 'k2', k1: KEY_1, k2: KEY_2 });
    const check = verifyLink(query, during, NOW);
    expect(check.ok).toBe(true);
    if (!check.ok) return;
    expect(check.keyId).toBe('k1');
    expect(formTokenMatches(formToken(KEYS, 'k1', query.sig!), during, check.keyId, check.signature)).toBe(true);
  });
});

describe('status links (read-only /sprawa)', () => {
  const CASE = 'ZSD-2026-00042';
  const EXPIRES = NOW + 400 * 86_400;
  const url = new URL(statusUrl('https://zmiana-sd.mrpips.gov.pl', CASE, EXPIRES, KEYS));
  const query = Object.fromEntries(url.searchParams);

  it('GIVEN a status link THEN it points at /sprawa and carries exactly c, e, k, sig', () => {
    expect(url.origin + url.pathname).toBe(`https://zmiana-sd.mrpips.gov.pl${STATUS_PATH}`);
    expect(STATUS_PATH).toBe('/sprawa');
    expect(Object.keys(query).sort()).toEqual(['c', 'e', 'k', 'sig']);
    expect(query).toMatchObject({ c: CASE, e: String(EXPIRES), k: 'k1' });
    expect(query.sig).toMatch(/^[A-Za-z0-9_-]{43}$/);
  });

  it('GIVEN a status link WHEN verified before expiry THEN it names the case', () => {
    expect(verifyStatusLink(query, KEYS, NOW)).toEqual({ ok: true, caseId: CASE });
  });

  it.each(['pl', 'en'])('GIVEN lang=%s THEN the status link still verifies (the switch is not signed)', (lang) => {
    expect(verifyStatusLink({ ...query, lang }, KEYS, NOW)).toEqual({ ok: true, caseId: CASE });
  });

  it.each([
    ['c', 'ZSD-2026-00043'],
    ['c', 'ZSD-2027-00042'],
    ['e', String(EXPIRES + 1)],
    ['e', String(EXPIRES - 1)],
    ['e', `0${EXPIRES}`],
    ['k', 'k2'],
    ['sig', 'A'.repeat(43)],
  ])('GIVEN a status link with %s changed to %j THEN it is BAD_SIGNATURE or MALFORMED', (field, value) => {
    const check = verifyStatusLink({ ...query, [field]: value }, KEYS, NOW);
    expect(check.ok).toBe(false);
    expect(['BAD_SIGNATURE', 'MALFORMED']).toContain(!check.ok && check.reason);
  });

  it.each([
    ['c', 'ZSD-2026-00043', 'BAD_SIGNATURE'],
    ['e', String(EXPIRES + 1), 'BAD_SIGNATURE'],
    ['k', 'k2', 'BAD_SIGNATURE'],
    ['c', '42', 'MALFORMED'],
    ['c', '<script>', 'MALFORMED'],
    ['e', 'jutro', 'MALFORMED'],
    ['k', 'k 1', 'MALFORMED'],
    ['sig', 'short', 'MALFORMED'],
    ['lang', 'de', 'MALFORMED'],
  ])('GIVEN %s = %j THEN the reason is %s', (field, value, reason) => {
    expect(verifyStatusLink({ ...query, [field]: value }, KEYS, NOW)).toEqual({ ok: false, reason });
  });

  it.each(['c', 'e', 'k', 'sig'])('GIVEN the status link without %s THEN it is MALFORMED', (field) => {
    const { [field]: _gone, ...rest } = query;
    expect(verifyStatusLink(rest, KEYS, NOW)).toEqual({ ok: false, reason: 'MALFORMED' });
    expect(verifyStatusLink({ ...query, [field]: undefined }, KEYS, NOW)).toEqual({ ok: false, reason: 'MALFORMED' });
  });

  it('GIVEN an extra parameter THEN the status link is MALFORMED', () => {
    expect(verifyStatusLink({ ...query, s: 'AGREE_VARIANT.1' }, KEYS, NOW)).toEqual({ ok: false, reason: 'MALFORMED' });
  });

  it('GIVEN one character of the signature changed THEN it is refused', () => {
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
    const sig = alphabet[alphabet.indexOf(query.sig![0]!) ^ 1]! + query.sig!.slice(1);
    expect(verifyStatusLink({ ...query, sig }, KEYS, NOW)).toEqual({ ok: false, reason: 'BAD_SIGNATURE' });
  });

  it('GIVEN the expiry WHEN verified one second before, exactly at and after it THEN ok, EXPIRED, EXPIRED', () => {
    expect(verifyStatusLink(query, KEYS, EXPIRES - 1).ok).toBe(true);
    expect(verifyStatusLink(query, KEYS, EXPIRES)).toEqual({ ok: false, reason: 'EXPIRED' });
    expect(verifyStatusLink(query, KEYS, EXPIRES + 1)).toEqual({ ok: false, reason: 'EXPIRED' });
  });

  it('GIVEN an expired status link whose expiry was pushed forward THEN it is BAD_SIGNATURE', () => {
    expect(verifyStatusLink({ ...query, e: String(EXPIRES + 86_400) }, KEYS, EXPIRES + 10)).toEqual({ ok: false, reason: 'BAD_SIGNATURE' });
  });

  it('GIVEN a status link signed by someone with a different key under the same id THEN it is BAD_SIGNATURE', () => {
    const forged = new URL(statusUrl('https://x.example', CASE, EXPIRES, keys({ current: 'k1', k1: KEY_2 })));
    expect(verifyStatusLink(Object.fromEntries(forged.searchParams), KEYS, NOW)).toEqual({ ok: false, reason: 'BAD_SIGNATURE' });
  });

  describe('key rotation', () => {
    const during = keys({ current: 'k2', k1: KEY_1, k2: KEY_2 });
    const after = keys({ current: 'k2', k2: KEY_2 });

    it('GIVEN a status link signed with the old key WHEN the old key is still in the set THEN it verifies', () => {
      expect(verifyStatusLink(query, during, NOW)).toEqual({ ok: true, caseId: CASE });
    });

    it('GIVEN the new key is current THEN new status links use it and survive the removal of the old key', () => {
      const fresh = Object.fromEntries(new URL(statusUrl('https://x.example', CASE, EXPIRES, during)).searchParams);
      expect(fresh.k).toBe('k2');
      expect(verifyStatusLink(fresh, after, NOW)).toEqual({ ok: true, caseId: CASE });
    });

    it('GIVEN the old key was removed THEN an old status link is BAD_SIGNATURE', () => {
      expect(verifyStatusLink(query, after, NOW)).toEqual({ ok: false, reason: 'BAD_SIGNATURE' });
    });
  });

  it('GIVEN statusLinks at a moment THEN each case gets a link valid for STATUS_LINK_DAYS from then', () => {
    const links = statusLinks('https://zmiana-sd.mrpips.gov.pl', KEYS, NOW);
    const link = new URL(links(CASE));
    expect(link.searchParams.get('e')).toBe(String(NOW + STATUS_LINK_DAYS * 86_400));
    expect(STATUS_LINK_DAYS).toBe(400);
    expect(verifyStatusLink(Object.fromEntries(link.searchParams), KEYS, NOW + STATUS_LINK_DAYS * 86_400 - 1)).toEqual({ ok: true, caseId: CASE });
    expect(new URL(links('ZSD-2026-00043')).searchParams.get('sig')).not.toBe(link.searchParams.get('sig'));
  });

  it('GIVEN a status link and a confirmation link THEN neither signature opens the other kind of page', () => {
    const confirmation = queryOf(signLink(LINK, KEYS));
    // A confirmation signature under a status link's fields, and the status signature under a confirmation link's.
    expect(verifyStatusLink({ c: CASE, e: String(CLAIMS.expiresAt), k: 'k1', sig: confirmation.sig }, KEYS, NOW)).toEqual({ ok: false, reason: 'BAD_SIGNATURE' });
    expect(verifyLink({ ...confirmation, sig: query.sig }, KEYS, NOW)).toEqual({ ok: false, reason: 'BAD_SIGNATURE' });
    // A form token is not a status signature either.
    expect(verifyStatusLink({ ...query, sig: formToken(KEYS, 'k1', query.sig!) }, KEYS, NOW)).toEqual({ ok: false, reason: 'BAD_SIGNATURE' });
    // A confirmation link's query is not a status link (it has fields a status link has not).
    expect(verifyStatusLink(confirmation, KEYS, NOW)).toEqual({ ok: false, reason: 'MALFORMED' });
  });
});

import { describe, expect, it } from 'vitest';
import { CONFIRMATION_PATH, hashLinkId, linkUrl, newLinkId, signLink, signingKeysSchema, verifyLink, type LinkClaims, type SigningKeys } from '../../lambdas/core/links.js';

const KEY_1 = 'k1-secret-0123456789abcdefghijklmnopqrstuvwxyz';
const KEY_2 = 'k2-secret-ZYXWVUTSRQPONMLKJIHGFEDCBA9876543210';
const NOW = 1_773_100_000; // epoch seconds

const keys = (raw: Record<string, string>): SigningKeys => signingKeysSchema.parse(raw);
const KEYS = keys({ current: 'k1', k1: KEY_1 });

const CLAIMS: LinkClaims = { caseId: 'ZSD-2026-00042', step: 'OLD_SD_DEACTIVATED.1', role: 'JST', expiresAt: NOW + 3600, linkId: 'Qm9yZWFsaXMtbGluay1pZC0x' };

const queryOf = (qs: string): Record<string, string> => Object.fromEntries(new URLSearchParams(qs));

describe('signLink / verifyLink', () => {
  it('GIVEN a freshly signed link WHEN verified before expiry THEN the claims come back unchanged', () => {
    expect(verifyLink(queryOf(signLink(CLAIMS, KEYS)), KEYS, NOW)).toEqual({ ok: true, claims: CLAIMS });
  });

  it('GIVEN a link WHEN signed THEN it names the current key and carries exactly c, s, r, e, l, k, sig', () => {
    const query = queryOf(signLink(CLAIMS, KEYS));
    expect(Object.keys(query).sort()).toEqual(['c', 'e', 'k', 'l', 'r', 's', 'sig']);
    expect(query).toMatchObject({ c: CLAIMS.caseId, s: CLAIMS.step, r: 'JST', e: String(CLAIMS.expiresAt), l: CLAIMS.linkId, k: 'k1' });
  });

  const tampered: [string, string][] = [
    ['c', 'ZSD-2026-00043'],
    ['c', 'ZSD-2027-00042'],
    ['s', 'NEW_SD_FEEDING.1'],
    ['s', 'OLD_SD_DEACTIVATED.2'],
    ['s', 'OLD_SD_DEACTIVATED.01'],
    ['r', 'MRPIPS'],
    ['r', 'VOIVODESHIP_ADMIN'],
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
    const query = { ...queryOf(signLink(CLAIMS, KEYS)), [field]: value };
    const check = verifyLink(query, KEYS, NOW);
    expect(check.ok).toBe(false);
    expect(['BAD_SIGNATURE', 'MALFORMED']).toContain(!check.ok && check.reason);
  });

  it.each([0, 1, 20, 41, 42])('GIVEN one character of the signature at position %i changed THEN it is refused', (position) => {
    const query = queryOf(signLink(CLAIMS, KEYS));
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
    const original = query.sig![position]!;
    // Flip the lowest bit of the 6-bit value: the smallest possible change of the text.
    const changed = alphabet[alphabet.indexOf(original) ^ 1]!;
    const sig = query.sig!.slice(0, position) + changed + query.sig!.slice(position + 1);
    expect(verifyLink({ ...query, sig }, KEYS, NOW)).toMatchObject({ ok: false });
  });

  it('GIVEN a missing field WHEN verified THEN it is MALFORMED', () => {
    for (const field of ['c', 's', 'r', 'e', 'l', 'k', 'sig']) {
      const query: Record<string, string | undefined> = queryOf(signLink(CLAIMS, KEYS));
      query[field] = undefined;
      expect(verifyLink(query, KEYS, NOW), field).toEqual({ ok: false, reason: 'MALFORMED' });
    }
  });

  it('GIVEN an extra query parameter WHEN verified THEN it is MALFORMED (nothing unsigned is accepted)', () => {
    expect(verifyLink({ ...queryOf(signLink(CLAIMS, KEYS)), redirect: 'https://evil.example' }, KEYS, NOW)).toEqual({ ok: false, reason: 'MALFORMED' });
  });

  it('GIVEN a step key naming an unknown step WHEN verified THEN it is MALFORMED', () => {
    const forged = signLink({ ...CLAIMS, step: 'DELETE_CASE.1' }, KEYS);
    expect(verifyLink(queryOf(forged), KEYS, NOW)).toEqual({ ok: false, reason: 'MALFORMED' });
  });

  it('GIVEN a link signed with a key id the server does not know THEN it is BAD_SIGNATURE', () => {
    const foreign = keys({ current: 'k9', k9: KEY_1 });
    expect(verifyLink(queryOf(signLink(CLAIMS, foreign)), KEYS, NOW)).toEqual({ ok: false, reason: 'BAD_SIGNATURE' });
  });

  it('GIVEN a link signed by someone with a different key under the same id THEN it is BAD_SIGNATURE', () => {
    const attacker = keys({ current: 'k1', k1: KEY_2 });
    expect(verifyLink(queryOf(signLink(CLAIMS, attacker)), KEYS, NOW)).toEqual({ ok: false, reason: 'BAD_SIGNATURE' });
  });

  it('GIVEN the expiry WHEN verified one second before, exactly at and after it THEN ok, EXPIRED, EXPIRED', () => {
    const query = queryOf(signLink(CLAIMS, KEYS));
    expect(verifyLink(query, KEYS, CLAIMS.expiresAt - 1).ok).toBe(true);
    expect(verifyLink(query, KEYS, CLAIMS.expiresAt)).toEqual({ ok: false, reason: 'EXPIRED' });
    expect(verifyLink(query, KEYS, CLAIMS.expiresAt + 1)).toEqual({ ok: false, reason: 'EXPIRED' });
  });

  it('GIVEN an expired link whose expiry was pushed forward THEN it is BAD_SIGNATURE (expiry cannot be extended)', () => {
    const query = queryOf(signLink(CLAIMS, KEYS));
    const later = CLAIMS.expiresAt + 10;
    expect(verifyLink({ ...query, e: String(later + 3600) }, KEYS, later)).toEqual({ ok: false, reason: 'BAD_SIGNATURE' });
  });
});

describe('key rotation', () => {
  const before = keys({ current: 'k1', k1: KEY_1 });
  const during = keys({ current: 'k2', k1: KEY_1, k2: KEY_2 });
  const after = keys({ current: 'k2', k2: KEY_2 });

  it('GIVEN a link signed with the old key WHEN the new key is current and the old one still in the set THEN it verifies', () => {
    const old = queryOf(signLink(CLAIMS, before));
    expect(verifyLink(old, during, NOW)).toEqual({ ok: true, claims: CLAIMS });
  });

  it('GIVEN the new key is current WHEN a link is signed THEN it uses the new key id and verifies after the old key is removed', () => {
    const fresh = queryOf(signLink(CLAIMS, during));
    expect(fresh.k).toBe('k2');
    expect(verifyLink(fresh, after, NOW).ok).toBe(true);
  });

  it('GIVEN the old key was removed WHEN an old link is opened THEN it is BAD_SIGNATURE', () => {
    expect(verifyLink(queryOf(signLink(CLAIMS, before)), after, NOW)).toEqual({ ok: false, reason: 'BAD_SIGNATURE' });
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
    const url = new URL(linkUrl('https://zmiana-sd.mrpips.gov.pl', CLAIMS, KEYS));
    expect(url.pathname).toBe(CONFIRMATION_PATH);
    const moved = new URL(`https://proxy.example.org/prefix/inny${url.search}`);
    expect(verifyLink(Object.fromEntries(moved.searchParams), KEYS, NOW)).toEqual({ ok: true, claims: CLAIMS });
  });

  it('GIVEN two base URLs THEN the query strings are identical', () => {
    const a = new URL(linkUrl('https://a.example', CLAIMS, KEYS));
    const b = new URL(linkUrl('http://localhost:3000', CLAIMS, KEYS));
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
    for (const id of ids) expect(verifyLink(queryOf(signLink({ ...CLAIMS, linkId: id }, KEYS)), KEYS, NOW).ok).toBe(true);
  });
});

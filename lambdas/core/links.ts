import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { z } from 'zod';
import { CASE_ID_PATTERN, type Role } from './case.js';
import { stepKeySchema } from './steps.js';

/**
 * Signed links for participants. The URL carries what the server needs to find the step (case, step
 * instance, role), an expiry, a random link id and the id of the signing key, plus an HMAC-SHA256 over
 * exactly those fields. Host and path are not signed, so a proxy or a custom domain does not break links.
 * The task token never leaves the case store. The step keeps only a hash of its current link id, so a
 * new link (reminder, re-send) revokes the older ones.
 */
export interface SigningKeys {
  current: string;
  keys: Record<string, Buffer>;
}

export interface LinkClaims {
  caseId: string;
  step: string; // step key, e.g. AGREE_VARIANT.1
  role: Role;
  expiresAt: number; // epoch seconds
  linkId: string;
}

export const CONFIRMATION_PATH = '/potwierdzenie';

/** Parses the secret's JSON ({"current":"k1","k1":"...","k0":"..."}): every key except `current` is a key id. */
export const signingKeysSchema = z
  .record(z.string(), z.string())
  .transform((raw, ctx): SigningKeys => {
    const { current, ...rest } = raw;
    const keys: Record<string, Buffer> = {};
    for (const [id, value] of Object.entries(rest)) {
      if (!/^[A-Za-z0-9_-]{1,16}$/.test(id) || value.length < 32) {
        ctx.addIssue({ code: 'custom', message: `signing key "${id}" must have an id of 1-16 [A-Za-z0-9_-] and at least 32 characters` });
        return z.NEVER;
      }
      keys[id] = Buffer.from(value, 'utf8');
    }
    if (!current || !keys[current]) {
      ctx.addIssue({ code: 'custom', message: '"current" must name one of the keys' });
      return z.NEVER;
    }
    return { current, keys };
  });

function canonical(claims: LinkClaims, keyId: string): string {
  return ['v1', claims.caseId, claims.step, claims.role, String(claims.expiresAt), claims.linkId, keyId].join('\n');
}

function mac(key: Buffer, claims: LinkClaims, keyId: string): Buffer {
  return createHmac('sha256', key).update(canonical(claims, keyId)).digest();
}

export function newLinkId(): string {
  return randomBytes(18).toString('base64url');
}

export function hashLinkId(linkId: string): string {
  return createHash('sha256').update(linkId).digest('hex');
}

/** Returns the query string of a signed link (without the leading `?`). */
export function signLink(claims: LinkClaims, keys: SigningKeys): string {
  const keyId = keys.current;
  const signature = mac(keys.keys[keyId]!, claims, keyId).toString('base64url');
  return new URLSearchParams({
    c: claims.caseId,
    s: claims.step,
    r: claims.role,
    e: String(claims.expiresAt),
    l: claims.linkId,
    k: keyId,
    sig: signature,
  }).toString();
}

export function linkUrl(baseUrl: string, claims: LinkClaims, keys: SigningKeys): string {
  return `${baseUrl}${CONFIRMATION_PATH}?${signLink(claims, keys)}`;
}

const querySchema = z
  .object({
    c: z.string().regex(CASE_ID_PATTERN).max(40),
    s: z.string().max(40).refine((value) => stepKeySchema.safeParse(value).success),
    r: z.enum(['JST', 'MRPIPS', 'VOIVODESHIP_ADMIN']),
    e: z.string().regex(/^[1-9]\d{0,11}$/).transform(Number),
    l: z.string().regex(/^[A-Za-z0-9_-]{16,64}$/),
    k: z.string().regex(/^[A-Za-z0-9_-]{1,16}$/),
    sig: z.string().regex(/^[A-Za-z0-9_-]{43}$/),
  })
  .strict();

export type LinkCheck =
  | { ok: true; claims: LinkClaims }
  | { ok: false; reason: 'MALFORMED' | 'BAD_SIGNATURE' | 'EXPIRED' };

/**
 * Verifies a link's query parameters. The signature is compared in constant time; an unknown key id is
 * treated exactly like a bad signature (a dummy comparison is still made).
 */
export function verifyLink(query: Record<string, string | undefined>, keys: SigningKeys, nowSeconds: number): LinkCheck {
  const parsed = querySchema.safeParse(Object.fromEntries(Object.entries(query).filter(([, v]) => v !== undefined)));
  if (!parsed.success) return { ok: false, reason: 'MALFORMED' };
  const { c, s, r, e, l, k, sig } = parsed.data;
  const claims: LinkClaims = { caseId: c, step: s, role: r, expiresAt: e, linkId: l };
  const key = keys.keys[k];
  const expected = mac(key ?? Buffer.alloc(32), claims, k);
  const given = Buffer.from(sig, 'base64url');
  // Only the canonical encoding counts: base64url padding bits must not give a second spelling of a signature.
  const matches = given.length === expected.length && given.toString('base64url') === sig && timingSafeEqual(given, expected);
  if (!key || !matches) return { ok: false, reason: 'BAD_SIGNATURE' };
  if (e <= nowSeconds) return { ok: false, reason: 'EXPIRED' };
  return { ok: true, claims };
}

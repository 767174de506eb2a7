import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import * as z from 'zod';
import { CASE_ID_PATTERN, OPEN_CASE_STATUSES, type CaseRecord, type Role } from './case.js';
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
  /** Binds the link to the person it was sent to, without putting their address in the URL (see `recipientTag`). */
  recipientTag: string;
  expiresAt: number; // epoch seconds
  linkId: string;
}

/** What a link is signed for: the claims, with the recipient's address in place of its tag. */
export type LinkFor = Omit<LinkClaims, 'recipientTag'> & { recipient: string };

export const CONFIRMATION_PATH = '/potwierdzenie';
export const STATUS_PATH = '/sprawa';

/**
 * The recipient's tag in a link: an HMAC of the address with the link's signing key, so whoever holds a link
 * cannot test guessed addresses against it. Keyed by the key id the link carries: links signed with an older
 * key keep matching their recipient while the keys rotate.
 */
export function recipientTag(email: string, keys: SigningKeys, keyId: string = keys.current): string {
  return hmac(keys.keys[keyId]!, `recipient\n${email.trim().toLowerCase()}`).toString('base64url').slice(0, 16);
}

/** Whether a verified link was sent to `email` (constant-time comparison of the tags). */
export function sentTo(claims: Pick<LinkClaims, 'recipientTag'>, keyId: string, email: string, keys: SigningKeys): boolean {
  const expected = Buffer.from(recipientTag(email, keys, keyId));
  const given = Buffer.from(claims.recipientTag);
  return given.length === expected.length && timingSafeEqual(given, expected);
}

/** Parses the secret's JSON ({"current":"k1","k1":"...","k0":"..."}): every key except `current` is a key id. */
export const signingKeysSchema = z
  .record(z.string(), z.string())
  .transform((raw, ctx): SigningKeys => {
    const { current, ...rest } = raw;
    // No prototype: a key id such as `constructor` or `__proto__` must not find anything.
    const keys: Record<string, Buffer> = Object.create(null);
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
  return ['v1', claims.caseId, claims.step, claims.role, claims.recipientTag, String(claims.expiresAt), claims.linkId, keyId].join('\n');
}

function hmac(key: Buffer, text: string): Buffer {
  return createHmac('sha256', key).update(text).digest();
}

function mac(key: Buffer, claims: LinkClaims, keyId: string): Buffer {
  return hmac(key, canonical(claims, keyId));
}

/** Constant-time check of a base64url MAC given by a client; only the canonical spelling is accepted. */
export function macMatches(given: string, expected: Buffer): boolean {
  const bytes = Buffer.from(given, 'base64url');
  return bytes.length === expected.length && bytes.toString('base64url') === given && timingSafeEqual(bytes, expected);
}

export function newLinkId(): string {
  return randomBytes(18).toString('base64url');
}

export function hashLinkId(linkId: string): string {
  return createHash('sha256').update(linkId).digest('hex');
}

/** Returns the query string of a signed link (without the leading `?`), signed and tagged with the current key. */
export function signLink(link: LinkFor, keys: SigningKeys): string {
  const keyId = keys.current;
  const { recipient, ...rest } = link;
  const claims: LinkClaims = { ...rest, recipientTag: recipientTag(recipient, keys, keyId) };
  const signature = mac(keys.keys[keyId]!, claims, keyId).toString('base64url');
  return new URLSearchParams({
    c: claims.caseId,
    s: claims.step,
    r: claims.role,
    t: claims.recipientTag,
    e: String(claims.expiresAt),
    l: claims.linkId,
    k: keyId,
    sig: signature,
  }).toString();
}

export function linkUrl(baseUrl: string, link: LinkFor, keys: SigningKeys): string {
  return `${baseUrl}${CONFIRMATION_PATH}?${signLink(link, keys)}`;
}

const querySchema = z
  .object({
    c: z.string().regex(CASE_ID_PATTERN).max(40),
    s: z.string().max(40).refine((value) => stepKeySchema.safeParse(value).success),
    r: z.enum(['JST', 'MRPIPS', 'VOIVODESHIP_ADMIN']),
    t: z.string().regex(/^[A-Za-z0-9_-]{16}$/),
    e: z.string().regex(/^[1-9]\d{0,11}$/).transform(Number),
    l: z.string().regex(/^[A-Za-z0-9_-]{16,64}$/),
    k: z.string().regex(/^[A-Za-z0-9_-]{1,16}$/),
    sig: z.string().regex(/^[A-Za-z0-9_-]{43}$/),
    // The page's language switch; not part of what is signed.
    lang: z.enum(['pl', 'en']).optional(),
  })
  .strict();

export type LinkCheck =
  | { ok: true; claims: LinkClaims; keyId: string; signature: string }
  | { ok: false; reason: 'MALFORMED' | 'BAD_SIGNATURE' | 'EXPIRED' };

/**
 * Verifies a link's query parameters. The signature is compared in constant time; an unknown key id is
 * treated exactly like a bad signature (a dummy comparison is still made).
 */
export function verifyLink(query: Record<string, string | undefined>, keys: SigningKeys, nowSeconds: number): LinkCheck {
  const parsed = querySchema.safeParse(Object.fromEntries(Object.entries(query).filter(([, v]) => v !== undefined)));
  if (!parsed.success) return { ok: false, reason: 'MALFORMED' };
  const { c, s, r, t, e, l, k, sig } = parsed.data;
  const claims: LinkClaims = { caseId: c, step: s, role: r, recipientTag: t, expiresAt: e, linkId: l };
  const key = Object.hasOwn(keys.keys, k) ? keys.keys[k] : undefined;
  const matches = macMatches(sig, mac(key ?? Buffer.alloc(32), claims, k));
  if (!key || !matches) return { ok: false, reason: 'BAD_SIGNATURE' };
  if (e <= nowSeconds) return { ok: false, reason: 'EXPIRED' };
  return { ok: true, claims, keyId: k, signature: sig };
}

/**
 * The per-page token of a link's forms (no cookies): derived from the verified link with the link's key,
 * so a form posted from anywhere but the page the link opened is refused.
 */
export function formToken(keys: SigningKeys, keyId: string, signature: string): string {
  return hmac(keys.keys[keyId]!, `form\n${signature}`).toString('base64url');
}

export function formTokenMatches(given: string | undefined, keys: SigningKeys, keyId: string, signature: string): boolean {
  return typeof given === 'string' && macMatches(given, hmac(keys.keys[keyId]!, `form\n${signature}`));
}

/**
 * What a status link names: the case and the generation of its status links. Revoking the links of a case (the
 * CLI's `revoke-status-links`, a cancellation) raises the generation on the case item, so every link signed
 * before shows a refusal; e-mails sent afterwards carry links of the new generation.
 */
export interface StatusLinkSubject {
  caseId: string;
  /** Absent until the links of the case are first revoked. */
  statusLinkGeneration?: number;
}

const statusCanonical = (caseId: string, generation: number, keyId: string) => ['v2-status', caseId, String(generation), keyId].join('\n');

/**
 * A read-only link to a case's status page: the case, the generation of its status links and the key id, signed
 * with the status keys (never the keys of the confirmation links: the status page must not be able to mint a link
 * that acts). The link carries no expiry of its own: how long it works follows the case (statusLinkStanding).
 */
export function statusUrl(baseUrl: string, subject: StatusLinkSubject, keys: SigningKeys): string {
  const keyId = keys.current;
  const generation = subject.statusLinkGeneration ?? 0;
  const signature = hmac(keys.keys[keyId]!, statusCanonical(subject.caseId, generation, keyId)).toString('base64url');
  return `${baseUrl}${STATUS_PATH}?${new URLSearchParams({ c: subject.caseId, g: String(generation), k: keyId, sig: signature }).toString()}`;
}

export type StatusLinks = (subject: StatusLinkSubject) => string;

export function statusLinks(baseUrl: string, keys: SigningKeys): StatusLinks {
  return (subject) => statusUrl(baseUrl, subject, keys);
}

/**
 * How long a status link works after its case ended (completed, rejected, lapsed, escalated, failed, cancelled),
 * unless configured otherwise (STATUS_LINK_DAYS_AFTER_END): a month, the ordinary term of an administrative
 * matter (art. 35 § 3 KPA), is long enough to read the outcome and answer it, and no longer than that a link
 * forwarded or left in a mailbox shows the case. While the case runs (at most a year: a Standard execution's
 * limit, see case-life.ts) its links work unless revoked.
 */
export const STATUS_LINK_DAYS_AFTER_END = 30;

export type StatusLinkStanding = 'VALID' | 'REVOKED' | 'EXPIRED';

/** Whether a verified status link of `generation` still shows the case. */
export function statusLinkStanding(
  record: Pick<CaseRecord, 'status' | 'statusLinkGeneration' | 'endedAt' | 'updatedAt'>,
  generation: number,
  now: Date,
  daysAfterEnd: number,
): StatusLinkStanding {
  if (generation !== (record.statusLinkGeneration ?? 0)) return 'REVOKED';
  if (OPEN_CASE_STATUSES.includes(record.status)) return 'VALID';
  // Cases that ended before `endedAt` was recorded: their last change is when they ended.
  const endedAt = Date.parse(record.endedAt ?? record.updatedAt);
  return now.getTime() < endedAt + daysAfterEnd * 86_400_000 ? 'VALID' : 'EXPIRED';
}

const statusQuerySchema = z
  .object({
    c: z.string().regex(CASE_ID_PATTERN).max(40),
    g: z.string().regex(/^(0|[1-9]\d{0,5})$/).transform(Number),
    k: z.string().regex(/^[A-Za-z0-9_-]{1,16}$/),
    sig: z.string().regex(/^[A-Za-z0-9_-]{43}$/),
    lang: z.enum(['pl', 'en']).optional(),
  })
  .strict();

export function verifyStatusLink(query: Record<string, string | undefined>, keys: SigningKeys): { ok: true; caseId: string; generation: number } | { ok: false; reason: 'MALFORMED' | 'BAD_SIGNATURE' } {
  const parsed = statusQuerySchema.safeParse(Object.fromEntries(Object.entries(query).filter(([, v]) => v !== undefined)));
  if (!parsed.success) return { ok: false, reason: 'MALFORMED' };
  const { c, g, k, sig } = parsed.data;
  const key = Object.hasOwn(keys.keys, k) ? keys.keys[k] : undefined;
  const matches = macMatches(sig, hmac(key ?? Buffer.alloc(32), statusCanonical(c, g, k)));
  if (!key || !matches) return { ok: false, reason: 'BAD_SIGNATURE' };
  return { ok: true, caseId: c, generation: g };
}

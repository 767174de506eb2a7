import { createHmac, randomBytes } from 'node:crypto';
import { ValidationError } from './errors.js';
import { macMatches, type SigningKeys } from './links.js';

export const MAX_FORM_BYTES = 32 * 1024;

/**
 * Parses an application/x-www-form-urlencoded body into a flat record of strings. Repeated names keep the
 * first value; oversized bodies and too many fields are rejected before any parsing work is done.
 */
export function parseFormBody(body: string): Record<string, string> {
  if (Buffer.byteLength(body, 'utf8') > MAX_FORM_BYTES) throw new ValidationError('Formularz jest za duży.');
  const params = new URLSearchParams(body);
  const form: Record<string, string> = Object.create(null);
  let count = 0;
  for (const [name, value] of params) {
    if (++count > 200) throw new ValidationError('Formularz ma za dużo pól.');
    if (name.length > 80) continue;
    if (!(name in form)) form[name] = value;
  }
  return form;
}

/**
 * Every rendering of the notification form carries a random submission id, so a double click or a browser
 * retry of the same POST finds the case it already created instead of creating a second one.
 */
export const SUBMISSION_ID_PATTERN = /^[A-Za-z0-9_-]{24}$/;

export function newSubmissionId(): string {
  return randomBytes(18).toString('base64url');
}

/** How long a rendered form may be sent: a person may fill it in over a working day, not reuse it for days. */
export const FORM_TOKEN_TTL_SECONDS = 24 * 3600;

export type FormTokenProblem = 'MISSING' | 'INVALID' | 'EXPIRED';

function formTokenMac(key: Buffer, keyId: string, issuedAt: number, submissionId: string, clientAddress: string): Buffer {
  return createHmac('sha256', key).update(['form-v1', keyId, String(issuedAt), submissionId, clientAddress].join('\n')).digest();
}

/**
 * The token every rendering of the form carries (`<key id>.<issued at>.<HMAC>`): proof that the POST comes from a
 * form this service rendered for this submission id and this client address, recently. Signed with the form keys,
 * which are not the link-signing keys: the form function cannot mint action links.
 */
export function issueFormToken(keys: SigningKeys, submissionId: string, clientAddress: string, nowSeconds: number): string {
  return `${keys.current}.${nowSeconds}.${formTokenMac(keys.keys[keys.current]!, keys.current, nowSeconds, submissionId, clientAddress).toString('base64url')}`;
}

/** Checks a posted form token in constant time; any key of the secret verifies (rotation by key id). */
export function formTokenProblem(keys: SigningKeys, token: string | undefined, submissionId: string, clientAddress: string, nowSeconds: number): FormTokenProblem | undefined {
  if (!token) return 'MISSING';
  const match = /^([A-Za-z0-9_-]{1,16})\.(\d{1,12})\.([A-Za-z0-9_-]{43})$/.exec(token);
  const key = match ? keys.keys[match[1]!] : undefined;
  if (!match || !key) return 'INVALID';
  const issuedAt = Number(match[2]);
  if (!macMatches(match[3]!, formTokenMac(key, match[1]!, issuedAt, submissionId, clientAddress))) return 'INVALID';
  // A token from the future was not issued by this clock: refused like a forged one.
  if (issuedAt > nowSeconds + 300) return 'INVALID';
  return nowSeconds - issuedAt > FORM_TOKEN_TTL_SECONDS ? 'EXPIRED' : undefined;
}

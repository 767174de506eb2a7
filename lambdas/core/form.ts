import { randomBytes } from 'node:crypto';
import { ValidationError } from './errors.js';

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

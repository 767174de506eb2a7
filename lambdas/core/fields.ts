import * as z from 'zod';

/** Field rules shared by the notification and the step forms. Messages are Polish: participants read them. */

// C0/C1 control characters, Unicode line/paragraph separators and format characters (general category Cf:
// direction overrides and isolates, zero-width characters, the BOM, tag characters — invisible, they make a
// subject or a name read differently from what it contains). Tab and newline are allowed only in long text.
const FORBIDDEN_IN_LINE = /[\u0000-\u001F\u007F-\u009F\u2028\u2029]|\p{Cf}/u;
const FORBIDDEN_IN_TEXT = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F\u2028\u2029]|\p{Cf}/u;

export const CONTROL_CHARACTERS_MESSAGE = 'Pole zawiera niedozwolone znaki sterujące lub niewidoczne znaki formatujące (np. znaki zmiany kierunku tekstu). Prosimy je usunąć.';

/**
 * Every field of the product's forms starts here: a string holding none of the forbidden characters. Checked
 * before trimming, as trim() would silently drop some of them (U+FEFF) and accept what was typed.
 */
export const textField = (forbidden = FORBIDDEN_IN_LINE) => z.string({ error: 'Pole jest wymagane.' }).refine((value) => !forbidden.test(value), CONTROL_CHARACTERS_MESSAGE);

export const singleLine = (max: number, min = 1) =>
  textField()
    .trim()
    .min(1, 'Pole jest wymagane.')
    .min(min, `Wpisz co najmniej ${min} znaki.`)
    .max(max, `Wpisz najwyżej ${max} znaków.`);

export const multiLine = (max: number) => textField(FORBIDDEN_IN_TEXT).trim().max(max, `Wpisz najwyżej ${max} znaków.`);

export const emailAddress = textField()
  .trim()
  .min(1, 'Pole jest wymagane.')
  .max(254, 'Adres e-mail jest za długi.')
  .toLowerCase()
  .pipe(z.email({ error: 'Wpisz poprawny adres e-mail, np. jan.kowalski@gmina.pl.' }));

export const phoneNumber = textField()
  .trim()
  .min(1, 'Pole jest wymagane.')
  .regex(/^\+?[0-9][0-9 ()-]{7,22}$/, 'Wpisz numer telefonu, np. +48 22 123 45 67.')
  .refine((value) => value.replace(/\D/g, '').length >= 9 && value.replace(/\D/g, '').length <= 15, 'Numer telefonu powinien mieć od 9 do 15 cyfr.');

/** A CBB collection code: letters, digits and . _ / - (upper-cased so a code cannot be registered twice by case). */
export const collectionCode = textField()
  .trim()
  .min(1, 'Pole jest wymagane.')
  .max(40, 'Kod zbioru może mieć najwyżej 40 znaków.')
  .toUpperCase()
  .regex(/^[A-Z0-9][A-Z0-9._/-]*$/, 'Kod zbioru może zawierać tylko litery, cyfry oraz znaki . _ / -');

export const isoDate = textField()
  .trim()
  .min(1, 'Pole jest wymagane.')
  .regex(/^\d{4}-\d{2}-\d{2}$/, 'Wpisz datę w formacie RRRR-MM-DD.')
  .refine((value) => {
    const date = new Date(`${value}T00:00:00Z`);
    return !Number.isNaN(date.getTime()) && date.toISOString().startsWith(value);
  }, 'Taka data nie istnieje.');

/** Today's date in Poland (the procedure's dates are Polish calendar dates). */
export function todayInPoland(now: Date = new Date()): string {
  return new Intl.DateTimeFormat('sv-SE', { timeZone: 'Europe/Warsaw' }).format(now);
}

/** Turns zod issues into one Polish message per form field path (`contact.email`, `areas.0.area`). */
export function fieldErrors(error: z.ZodError): Record<string, string> {
  const errors: Record<string, string> = {};
  for (const issue of error.issues) {
    const key = issue.path.join('.') || '_form';
    errors[key] ??= issue.message;
  }
  return errors;
}

import * as z from 'zod';

/** Field rules shared by the notification and the step forms. Messages are Polish: participants read them. */

// C0/C1 control characters and Unicode line/paragraph separators; tab and newline are allowed only in long text.
const CONTROL = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F\u2028\u2029]/;
const CONTROL_OR_NEWLINE = /[\u0000-\u001F\u007F-\u009F\u2028\u2029]/;
// Unicode format characters (general category Cf): direction overrides and isolates, zero-width characters, the
// BOM, tag characters. Invisible, they make a subject or a name read differently from what it contains.
const FORMAT = /\p{Cf}/u;

export const CONTROL_CHARACTERS_MESSAGE = 'Pole zawiera niedozwolone znaki sterujące lub niewidoczne znaki formatujące (np. znaki zmiany kierunku tekstu). Prosimy je usunąć.';

/**
 * Every free-text field of the product starts here: a string refused when it holds a control or format
 * character. Checked before trimming, as trim() silently drops some of them (U+FEFF).
 */
const text = (control: RegExp, error?: string) =>
  z.string(error === undefined ? undefined : { error }).refine((value) => !control.test(value) && !FORMAT.test(value), CONTROL_CHARACTERS_MESSAGE);

export const singleLine = (max: number, min = 1) =>
  text(CONTROL_OR_NEWLINE, 'Pole jest wymagane.')
    .trim()
    .min(1, 'Pole jest wymagane.')
    .min(min, `Wpisz co najmniej ${min} znaki.`)
    .max(max, `Wpisz najwyżej ${max} znaków.`);

export const multiLine = (max: number) => text(CONTROL).trim().max(max, `Wpisz najwyżej ${max} znaków.`);

export const emailAddress = z
  .string({ error: 'Pole jest wymagane.' })
  .trim()
  .min(1, 'Pole jest wymagane.')
  .max(254, 'Adres e-mail jest za długi.')
  .toLowerCase()
  .pipe(z.email({ error: 'Wpisz poprawny adres e-mail, np. jan.kowalski@gmina.pl.' }));

export const phoneNumber = z
  .string({ error: 'Pole jest wymagane.' })
  .trim()
  .min(1, 'Pole jest wymagane.')
  .regex(/^\+?[0-9][0-9 ()-]{7,22}$/, 'Wpisz numer telefonu, np. +48 22 123 45 67.')
  .refine((value) => value.replace(/\D/g, '').length >= 9 && value.replace(/\D/g, '').length <= 15, 'Numer telefonu powinien mieć od 9 do 15 cyfr.');

/** A CBB collection code: letters, digits and . _ / - (upper-cased so a code cannot be registered twice by case). */
export const collectionCode = z
  .string({ error: 'Pole jest wymagane.' })
  .trim()
  .min(1, 'Pole jest wymagane.')
  .max(40, 'Kod zbioru może mieć najwyżej 40 znaków.')
  .toUpperCase()
  .regex(/^[A-Z0-9][A-Z0-9._/-]*$/, 'Kod zbioru może zawierać tylko litery, cyfry oraz znaki . _ / -');

export const isoDate = z
  .string({ error: 'Pole jest wymagane.' })
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

import { createHash } from 'node:crypto';
import * as z from 'zod';
import { collectionCode, emailAddress, isoDate, multiLine, phoneNumber, singleLine, textField, todayInPoland } from './fields.js';
import { isVoivodeshipCode } from './voivodeships.js';

export const MAX_AREAS = 10;

const teryt = textField()
  .trim()
  .regex(/^\d{7}$/, 'Kod TERYT ma 7 cyfr, np. 1465011.')
  .refine((value) => isVoivodeshipCode(value.slice(0, 2)), 'Pierwsze dwie cyfry kodu TERYT muszą być kodem województwa (02, 04, …, 32).');

/**
 * The notification of step 1: what the JST tells MRPiPS about the planned change of SD supplier.
 * `today` is a parameter so the rule "planned date not in the past" is testable and deterministic.
 */
export function notificationSchema(today: string = todayInPoland()) {
  return z
    .object({
      officeName: singleLine(200, 3),
      teryt,
      mztUnitCode: singleLine(50).regex(/^[A-Za-z0-9._/-]+$/, 'Kod jednostki w MZT może zawierać tylko litery, cyfry oraz znaki . _ / -'),
      plannedChangeDate: isoDate.refine((value) => value >= today, 'Planowana data zmiany nie może być w przeszłości.'),
      areas: z
        .array(z.object({ area: singleLine(120, 3), oldCollectionCode: collectionCode }).strict(), { error: 'Podaj co najmniej jeden obszar i jego zbiór CBB.' })
        .min(1, 'Podaj co najmniej jeden obszar i jego zbiór CBB.')
        .max(MAX_AREAS, `Podaj najwyżej ${MAX_AREAS} obszarów.`)
        .superRefine((areas, ctx) => {
          const seen = new Set<string>();
          areas.forEach((area, index) => {
            if (seen.has(area.oldCollectionCode)) {
              ctx.addIssue({ code: 'custom', path: [index, 'oldCollectionCode'], message: 'Ten kod zbioru podano już wyżej.' });
            }
            seen.add(area.oldCollectionCode);
          });
        }),
      contact: z.object({ name: singleLine(120, 3), email: emailAddress, phone: phoneNumber }).strict(),
      oldSd: z.object({ product: singleLine(120), supplier: singleLine(160) }).strict(),
      newSd: z
        .object({
          product: singleLine(120),
          supplier: singleLine(160),
          contactEmail: z.preprocess((value) => (typeof value === 'string' && value.trim() === '' ? undefined : value), emailAddress.optional()),
        })
        .strict(),
      remarks: multiLine(2000).optional(),
    })
    .strict();
}

export type Notification = z.infer<ReturnType<typeof notificationSchema>>;

/**
 * Reads the flat notification form (`contact.email`, `areas.3.area`, ...) and validates it. Empty area rows
 * are skipped; error keys are mapped back to the row the person typed in, so errors show next to the field.
 */
export function parseNotificationForm(form: Record<string, string>, today?: string):
  | { ok: true; notification: Notification }
  | { ok: false; errors: Record<string, string> } {
  const rowOf: number[] = [];
  const areas: { area: string; oldCollectionCode: string }[] = [];
  for (let i = 0; i < MAX_AREAS; i++) {
    const area = form[`areas.${i}.area`] ?? '';
    const oldCollectionCode = form[`areas.${i}.oldCollectionCode`] ?? '';
    if (area.trim() === '' && oldCollectionCode.trim() === '') continue;
    rowOf.push(i);
    areas.push({ area, oldCollectionCode });
  }
  const candidate = {
    officeName: form.officeName ?? '',
    teryt: form.teryt ?? '',
    mztUnitCode: form.mztUnitCode ?? '',
    areas,
    plannedChangeDate: form.plannedChangeDate ?? '',
    contact: { name: form['contact.name'] ?? '', email: form['contact.email'] ?? '', phone: form['contact.phone'] ?? '' },
    oldSd: { product: form['oldSd.product'] ?? '', supplier: form['oldSd.supplier'] ?? '' },
    newSd: { product: form['newSd.product'] ?? '', supplier: form['newSd.supplier'] ?? '', contactEmail: form['newSd.contactEmail'] ?? '' },
    ...(form.remarks?.trim() ? { remarks: form.remarks } : {}),
  };
  const result = notificationSchema(today).safeParse(candidate);
  if (result.success) return { ok: true, notification: result.data };
  const errors: Record<string, string> = {};
  for (const issue of result.error.issues) {
    const path = [...issue.path];
    if (path[0] === 'areas' && typeof path[1] === 'number') path[1] = rowOf[path[1]] ?? path[1];
    const key = path.length === 1 && path[0] === 'areas' ? 'areas' : path.join('.');
    errors[key] ??= issue.message;
  }
  return { ok: false, errors };
}

/** Identifies a notification's content (a resubmitted form with the same content is the same notification). */
export function notificationDigest(notification: Notification): string {
  return createHash('sha256').update(JSON.stringify(notification)).digest('base64url');
}

/** What the contact address's limit is kept under: a hash of the normalised address, never the address itself. */
export function contactKey(email: string): string {
  return createHash('sha256').update(email.trim().toLowerCase()).digest('base64url');
}

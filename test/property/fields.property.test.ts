import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CONTROL_CHARACTERS_MESSAGE, emailAddress, fieldErrors } from '../../lambdas/core/fields.js';
import { parseNotificationForm } from '../../lambdas/core/notification.js';
import { STEPS, type StepContext, type StepId } from '../../lambdas/core/steps.js';
import { cancellationReason } from '../../lambdas/services/steps.js';
import { TODAY, caseAfterStepA, caseRecord, notificationForm } from '../unit/fixtures.js';
import { fcOptions } from './support.js';

/**
 * Unicode format characters (general category Cf: direction overrides, zero-width characters, the BOM, tag
 * characters …) are refused in every text field of the product, wherever they are inserted, with one Polish
 * message on that field; the same values without them are accepted.
 */

/** Every Cf code point Unicode (as this Node knows it) has. */
const FORMAT_CHARACTERS = Array.from({ length: 0x110000 }, (_, code) => code)
  .filter((code) => code < 0xd800 || code > 0xdfff)
  .map((code) => String.fromCodePoint(code))
  .filter((char) => /\p{Cf}/u.test(char));

const formatCharacter = fc.constantFrom(...FORMAT_CHARACTERS);

/** Inserts `char` into `value` at a position given as a fraction of its length (start and end included). */
const insert = (value: string, char: string, at: number) => {
  const cut = Math.round(at * value.length);
  return value.slice(0, cut) + char + value.slice(cut);
};
const position = fc.double({ min: 0, max: 1, noNaN: true });

/** Ordinary text of a person: letters (Polish ones too), digits, spaces and punctuation, no control or format character. */
const plainText = (min: number, max: number) =>
  fc
    .string({ unit: fc.constantFrom(...'aąbcćdeęfghijklłmnńoóprsśtuwyzźżAĄBCĆDEĘŁŃÓŚŹŻ0123456789 .,-/()„”'.split('')), minLength: min, maxLength: max })
    .filter((value) => value.trim().length >= min);

interface TextField {
  where: string;
  /** A valid value of the field, as typed. */
  valid: fc.Arbitrary<string>;
  /** The field's error for this value, or undefined when it is accepted. */
  errorFor(value: string): string | undefined;
}

const notificationField = (name: string, valid: fc.Arbitrary<string>): TextField => ({
  where: `notification form: ${name}`,
  valid,
  errorFor: (value) => {
    const result = parseNotificationForm(notificationForm({ [name]: value }), TODAY);
    return result.ok ? undefined : (result.errors[name] ?? `refused on other fields: ${JSON.stringify(result.errors)}`);
  },
});

function stepContext(step: StepId): StepContext {
  const record = step === 'AGREE_VARIANT' || step === 'NEW_COLLECTIONS' ? caseRecord({ variant: step === 'NEW_COLLECTIONS' ? 'WITHOUT_MIGRATION' : undefined }) : caseAfterStepA();
  return { record, round: 1, comment: null, today: TODAY };
}

/** A step's field, posted as the link page posts it (fromForm, then the schema) with otherwise valid values. */
const stepField = (step: StepId, name: string, form: Record<string, string>, valid: fc.Arbitrary<string>): TextField => ({
  where: `step ${step}: ${name}`,
  valid,
  errorFor: (value) => {
    const ctx = stepContext(step);
    const result = STEPS[step].schema(ctx).safeParse(STEPS[step].fromForm({ ...form, [name]: value }, ctx));
    return result.success ? undefined : (fieldErrors(result.error)[name] ?? `refused on other fields: ${JSON.stringify(fieldErrors(result.error))}`);
  },
});

const schemaField = (where: string, schema: { safeParse(value: unknown): { success: boolean; error?: { issues: { message: string }[] } } }, valid: fc.Arbitrary<string>): TextField => ({
  where,
  valid,
  errorFor: (value) => {
    const result = schema.safeParse(value);
    return result.success ? undefined : result.error!.issues[0]!.message;
  },
});

const DATE_FORM = { confirmed: 'tak' };
const TEXT_FIELDS: TextField[] = [
  notificationField('officeName', plainText(3, 200)),
  notificationField('teryt', fc.constant('1465011')),
  notificationField('mztUnitCode', fc.constantFrom('MOPS-1465011', 'GOPS.02/7', 'x_1')),
  notificationField('plannedChangeDate', fc.constant('2026-04-01')),
  notificationField('areas.0.area', plainText(3, 120)),
  notificationField('areas.0.oldCollectionCode', fc.constantFrom('SR-01', 'sr-01/a', 'X.9_Z')),
  notificationField('contact.name', plainText(3, 120)),
  notificationField('contact.email', fc.constantFrom('anna.kowalska@mops.przykladowo.pl', 'Jan.Nowak@Gmina.PL')),
  notificationField('contact.phone', fc.constantFrom('+48 22 123 45 67', '221234567', '22 123-45-67')),
  notificationField('oldSd.product', plainText(1, 120)),
  notificationField('oldSd.supplier', plainText(1, 160)),
  notificationField('newSd.product', plainText(1, 120)),
  notificationField('newSd.supplier', plainText(1, 160)),
  notificationField('newSd.contactEmail', fc.constantFrom('wdrozenia@nowydostawca.pl')),
  notificationField('remarks', plainText(0, 2000).map((text) => text.replace(/\. /g, '.\n'))),
  stepField('AGREE_VARIANT', 'note', { decision: 'WITH_MIGRATION' }, plainText(0, 2000)),
  stepField('AGREE_VARIANT', 'reason', { decision: 'REJECT' }, plainText(1, 2000)),
  stepField('NEW_COLLECTIONS', 'newCollections.0.newCollectionCode', { 'newCollections.1.newCollectionCode': 'NFA-01' }, fc.constantFrom('NSR-01', 'nsr-02/b')),
  stepField('OLD_SD_DEACTIVATED', 'deactivatedOn', DATE_FORM, fc.constant(TODAY)),
  stepField('OLD_SD_DEACTIVATED', 'note', { ...DATE_FORM, deactivatedOn: TODAY }, plainText(0, 2000)),
  stepField('NEW_SD_FEEDING', 'note', { ...DATE_FORM, feedingStartedOn: TODAY }, plainText(0, 2000)),
  stepField('MZT_DEACTIVATED', 'note', { ...DATE_FORM, deactivatedOn: TODAY }, plainText(0, 2000)),
  stepField('VERIFY_COLLECTIONS', 'comment', { result: 'DISCREPANCIES' }, plainText(1, 2000)),
  schemaField('link page: the colleague a step is handed to (delegateEmail)', emailAddress, fc.constantFrom('jan.nowak@mops.przykladowo.pl')),
  schemaField('operations CLI: cancel --reason', cancellationReason, plainText(3, 2000)),
];

describe('Unicode format characters (Cf) in text fields', () => {
  it('GIVEN this Node\'s Unicode data THEN the format characters include the direction overrides, zero-width characters and the BOM', () => {
    expect(FORMAT_CHARACTERS).toEqual(expect.arrayContaining(['\u202E', '\u202D', '\u2066', '\u2069', '\u200B', '\u200D', '\u200E', '\u2060', '\uFEFF', '\u00AD', '\u{E0041}']));
  });

  it.each(TEXT_FIELDS.map((field): [string, TextField] => [field.where, field]))('GIVEN %s WHEN a format character is inserted anywhere THEN it is refused with the Polish message on that field; without it the value is accepted', (_where, field) => {
    fc.assert(
      fc.property(field.valid, formatCharacter, position, (value, char, at) => {
        expect(field.errorFor(value)).toBeUndefined();
        expect(field.errorFor(insert(value, char, at))).toBe(CONTROL_CHARACTERS_MESSAGE);
      }),
      fcOptions(150),
    );
  });
});

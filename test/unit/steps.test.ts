import { describe, expect, it } from 'vitest';
import { fieldErrors } from '../../lambdas/core/fields.js';
import { STEP_IDS, STEPS, stepKey, stepKeySchema, type StepContext, type StepId } from '../../lambdas/core/steps.js';
import { TODAY, caseAfterStepA, caseRecord } from './fixtures.js';

const YESTERDAY = '2026-03-09';
const TOMORROW = '2026-03-11';

function ctxFor(step: StepId, round = 1): StepContext {
  const record = step === 'AGREE_VARIANT' || step === 'NEW_COLLECTIONS' ? caseRecord({ variant: step === 'NEW_COLLECTIONS' ? 'WITHOUT_MIGRATION' : undefined }) : caseAfterStepA();
  return { record, round, comment: null, today: TODAY };
}

/** Runs the form through the step exactly as the link page does: fromForm, then the schema. */
function submit(step: StepId, form: Record<string, string>, ctx = ctxFor(step)) {
  const def = STEPS[step];
  const result = def.schema(ctx).safeParse(def.fromForm(form, ctx));
  return result.success ? { ok: true as const, response: result.data } : { ok: false as const, errors: fieldErrors(result.error) };
}

function errorsOf(step: StepId, form: Record<string, string>, ctx = ctxFor(step)): Record<string, string> {
  const result = submit(step, form, ctx);
  if (result.ok) throw new Error(`expected ${step} to refuse ${JSON.stringify(form)}`);
  // Every error must land on a field the page shows, or the person cannot see it next to the field.
  const names = STEPS[step].fields(ctx).map((f) => f.name);
  for (const key of Object.keys(result.errors)) expect(names, `error key ${key} of ${step}`).toContain(key);
  return result.errors;
}

const GOOD_FORMS: Record<StepId, Record<string, string>> = {
  CONFIRM_CONTACT: { confirmed: 'tak' },
  AGREE_VARIANT: { decision: 'WITH_MIGRATION', note: 'Uzgodniono telefonicznie.' },
  NEW_COLLECTIONS: { 'newCollections.0.newCollectionCode': 'nsr-01', 'newCollections.1.newCollectionCode': 'NFA-01' },
  OLD_SD_DEACTIVATED: { deactivatedOn: TODAY, confirmed: 'tak' },
  NEW_SD_FEEDING: { feedingStartedOn: YESTERDAY, confirmed: 'tak' },
  MZT_DEACTIVATED: { deactivatedOn: TODAY, confirmed: 'tak', note: 'Bez uwag' },
  VERIFY_COLLECTIONS: { result: 'OK' },
};

describe('the step catalogue', () => {
  it('GIVEN the steps of the procedure THEN each is defined once under its own id', () => {
    expect(Object.keys(STEPS).sort()).toEqual([...STEP_IDS].sort());
    for (const id of STEP_IDS) expect(STEPS[id].id).toBe(id);
  });

  it.each(STEP_IDS)('GIVEN step %s THEN it has a role, a Polish title, a procedure reference, instructions and uniquely named fields', (id) => {
    const def = STEPS[id];
    const ctx = ctxFor(id);
    expect(['JST', 'MRPIPS', 'VOIVODESHIP_ADMIN']).toContain(def.role);
    expect(def.title.length).toBeGreaterThan(10);
    expect(def.ref).toMatch(/^[1234][a-d]?(\/4[a-d])?$/);
    expect(def.submitLabel).not.toBe('');
    expect(def.instructions(ctx).length).toBeGreaterThan(0);
    const names = def.fields(ctx).map((f) => f.name);
    expect(names.length).toBeGreaterThan(0);
    expect(new Set(names).size).toBe(names.length);
    for (const field of def.fields(ctx)) expect(field.label.length).toBeGreaterThan(3);
  });

  it('GIVEN who acts in each step THEN MRPiPS decides and verifies, the JST switches systems, the voivodeship administrator deactivates in MZT', () => {
    expect(Object.fromEntries(STEP_IDS.map((id) => [id, STEPS[id].role]))).toEqual({
      CONFIRM_CONTACT: 'JST',
      AGREE_VARIANT: 'MRPIPS',
      NEW_COLLECTIONS: 'MRPIPS',
      OLD_SD_DEACTIVATED: 'JST',
      NEW_SD_FEEDING: 'JST',
      MZT_DEACTIVATED: 'VOIVODESHIP_ADMIN',
      VERIFY_COLLECTIONS: 'MRPIPS',
    });
  });

  it('GIVEN the supplier copy rule THEN only the JST step b e-mails copy the supplier', () => {
    expect(STEP_IDS.filter((id) => STEPS[id].copySupplier).sort()).toEqual(['NEW_SD_FEEDING', 'OLD_SD_DEACTIVATED']);
  });

  it.each(STEP_IDS)('GIVEN a good form for %s WHEN submitted THEN it is accepted', (id) => {
    expect(submit(id, GOOD_FORMS[id])).toMatchObject({ ok: true });
  });

  it('GIVEN NEW_COLLECTIONS fields THEN there is one per old collection, naming the area and the old code', () => {
    const fields = STEPS.NEW_COLLECTIONS.fields(ctxFor('NEW_COLLECTIONS'));
    expect(fields.map((f) => f.name)).toEqual(['newCollections.0.newCollectionCode', 'newCollections.1.newCollectionCode']);
    expect(fields[1]!.label).toContain('fundusz alimentacyjny');
    expect(fields[1]!.label).toContain('FA-01');
  });
});

describe('the link page\'s own fields', () => {
  it.each(STEP_IDS)('GIVEN a good %s form posted with the page token (csrf) THEN the token is not part of the response', (id) => {
    const result = submit(id, { ...GOOD_FORMS[id], csrf: 'Zm9ybS10b2tlbi0wMTIzNDU2Nzg5YWJjZGVmZ2hpamts', delegateEmail: 'jan.nowak@mops.przykladowo.pl' });
    expect(result.ok).toBe(true);
    expect(JSON.stringify(result.ok && result.response)).not.toMatch(/csrf|Zm9ybS10b2tl|delegateEmail/);
  });

  it.each(STEP_IDS)('GIVEN step %s THEN none of its fields is named like the page\'s own fields (csrf, action, delegateEmail)', (id) => {
    const names = STEPS[id].fields(ctxFor(id)).map((f) => f.name);
    for (const reserved of ['csrf', 'action', 'delegateEmail']) expect(names).not.toContain(reserved);
  });
});

describe('CONFIRM_CONTACT (step 1)', () => {
  it('GIVEN the JST contact ticks the box THEN the response is {confirmed: true}', () => {
    expect(submit('CONFIRM_CONTACT', { confirmed: 'tak' })).toEqual({ ok: true, response: { confirmed: true } });
  });

  it.each([{}, { confirmed: '' }, { confirmed: 'on' }])('GIVEN %j THEN `confirmed` asks to tick the box', (form) => {
    expect(errorsOf('CONFIRM_CONTACT', form as Record<string, string>)).toEqual({ confirmed: 'Zaznacz potwierdzenie, aby kontynuować.' });
  });

  it('GIVEN a payload with anything more than `confirmed` THEN it is refused (strict)', () => {
    const ctx = ctxFor('CONFIRM_CONTACT');
    expect(STEPS.CONFIRM_CONTACT.schema(ctx).safeParse({ confirmed: true, email: 'x@y.pl' }).success).toBe(false);
  });

  it('GIVEN the step THEN it is the first step, the JST contact\'s, with no supplier copy, and its text (shown before the address is confirmed) carries nothing the submitter typed and says an unconfirmed notification lapses', () => {
    const def = STEPS.CONFIRM_CONTACT;
    expect(STEP_IDS[0]).toBe('CONFIRM_CONTACT');
    expect(def).toMatchObject({ ref: '1', role: 'JST', copySupplier: false });
    const text = def.instructions(ctxFor('CONFIRM_CONTACT')).join(' ');
    expect(text).not.toContain(caseAfterStepA().notification.officeName);
    expect(text).toContain('Jeżeli nie składali Państwo tego zgłoszenia');
    expect(text).toContain('niepotwierdzone zgłoszenie wygaśnie');
  });
});

describe('AGREE_VARIANT (step 2)', () => {
  it.each(['WITH_MIGRATION', 'WITHOUT_MIGRATION'])('GIVEN decision %s WHEN submitted THEN the response carries it (empty optional text dropped)', (decision) => {
    expect(submit('AGREE_VARIANT', { decision, reason: '  ', note: '' })).toEqual({ ok: true, response: { decision } });
  });

  it('GIVEN REJECT without a reason THEN `reason` asks for one', () => {
    expect(errorsOf('AGREE_VARIANT', { decision: 'REJECT' })).toEqual({ reason: 'Podaj powód odrzucenia — JST otrzyma go e-mailem.' });
  });

  it('GIVEN REJECT with a reason of spaces only THEN `reason` still asks for one', () => {
    expect(errorsOf('AGREE_VARIANT', { decision: 'REJECT', reason: '   \n ' })).toHaveProperty('reason');
  });

  it('GIVEN REJECT with a reason THEN it is accepted and the reason kept (trimmed)', () => {
    expect(submit('AGREE_VARIANT', { decision: 'REJECT', reason: ' Brak kodu jednostki w MZT. ' })).toEqual({ ok: true, response: { decision: 'REJECT', reason: 'Brak kodu jednostki w MZT.' } });
  });

  it.each(['', 'MAYBE', 'with_migration'])('GIVEN decision %j THEN `decision` asks to choose', (decision) => {
    expect(errorsOf('AGREE_VARIANT', { decision })).toEqual({ decision: 'Wybierz jedną z decyzji.' });
  });

  it('GIVEN a note over 2000 characters THEN `note` says the maximum', () => {
    expect(errorsOf('AGREE_VARIANT', { decision: 'WITH_MIGRATION', note: 'x'.repeat(2001) })).toEqual({ note: 'Wpisz najwyżej 2000 znaków.' });
  });
});

describe('NEW_COLLECTIONS (step a)', () => {
  it('GIVEN new codes WHEN submitted THEN they are upper-cased and paired with the old codes in case order', () => {
    expect(submit('NEW_COLLECTIONS', GOOD_FORMS.NEW_COLLECTIONS)).toEqual({
      ok: true,
      response: {
        newCollections: [
          { oldCollectionCode: 'SR-01', newCollectionCode: 'NSR-01' },
          { oldCollectionCode: 'FA-01', newCollectionCode: 'NFA-01' },
        ],
      },
    });
  });

  it('GIVEN the same new code twice (different case) THEN the second says each must differ', () => {
    expect(errorsOf('NEW_COLLECTIONS', { 'newCollections.0.newCollectionCode': 'NEW-1', 'newCollections.1.newCollectionCode': 'new-1' })).toEqual({
      'newCollections.1.newCollectionCode': 'Każdy nowy zbiór musi mieć inny kod.',
    });
  });

  it('GIVEN a new code equal to an old code THEN that field says it must differ from the old collections', () => {
    expect(errorsOf('NEW_COLLECTIONS', { 'newCollections.0.newCollectionCode': 'fa-01', 'newCollections.1.newCollectionCode': 'NFA-01' })).toEqual({
      'newCollections.0.newCollectionCode': 'Nowy zbiór musi mieć inny kod niż dotychczasowe zbiory.',
    });
  });

  it('GIVEN a missing new code THEN that field is required', () => {
    expect(errorsOf('NEW_COLLECTIONS', { 'newCollections.0.newCollectionCode': 'NSR-01' })).toEqual({ 'newCollections.1.newCollectionCode': 'Pole jest wymagane.' });
  });

  it('GIVEN a payload with the wrong number of codes THEN `newCollections` asks for one per collection', () => {
    const ctx = ctxFor('NEW_COLLECTIONS');
    const result = STEPS.NEW_COLLECTIONS.schema(ctx).safeParse({ newCollections: [{ oldCollectionCode: 'SR-01', newCollectionCode: 'NSR-01' }] });
    expect(result.success).toBe(false);
    expect(fieldErrors(result.error!)).toEqual({ newCollections: 'Podaj nowy kod dla każdego zbioru.' });
  });

  it('GIVEN a payload pairing codes in another order THEN it is refused', () => {
    const ctx = ctxFor('NEW_COLLECTIONS');
    const result = STEPS.NEW_COLLECTIONS.schema(ctx).safeParse({
      newCollections: [
        { oldCollectionCode: 'FA-01', newCollectionCode: 'NFA-01' },
        { oldCollectionCode: 'SR-01', newCollectionCode: 'NSR-01' },
      ],
    });
    expect(result.success).toBe(false);
    expect(fieldErrors(result.error!)['newCollections.0.oldCollectionCode']).toBe('Kolejność zbiorów nie zgadza się ze sprawą.');
  });
});

describe.each([
  ['OLD_SD_DEACTIVATED', 'deactivatedOn'],
  ['NEW_SD_FEEDING', 'feedingStartedOn'],
  ['MZT_DEACTIVATED', 'deactivatedOn'],
] as const)('date confirmation step %s', (step, dateField) => {
  it('GIVEN today or an earlier date and the checkbox ticked THEN the response has the date and confirmed=true', () => {
    expect(submit(step, { [dateField]: TODAY, confirmed: 'tak' })).toEqual({ ok: true, response: { [dateField]: TODAY, confirmed: true } });
    expect(submit(step, { [dateField]: '2025-12-31', confirmed: 'tak' })).toMatchObject({ ok: true });
  });

  it('GIVEN a date in the future THEN the date field refuses it', () => {
    expect(errorsOf(step, { [dateField]: TOMORROW, confirmed: 'tak' })).toEqual({ [dateField]: 'Data nie może być w przyszłości.' });
  });

  it('GIVEN the checkbox not ticked THEN `confirmed` asks to tick it', () => {
    expect(errorsOf(step, { [dateField]: TODAY })).toEqual({ confirmed: 'Zaznacz potwierdzenie, aby kontynuować.' });
    expect(errorsOf(step, { [dateField]: TODAY, confirmed: 'on' })).toEqual({ confirmed: 'Zaznacz potwierdzenie, aby kontynuować.' });
  });

  it.each([
    ['', 'Pole jest wymagane.'],
    ['2026-02-29', 'Taka data nie istnieje.'],
    ['10.03.2026', 'Wpisz datę w formacie RRRR-MM-DD.'],
  ])('GIVEN date %j THEN the date field says %s', (value, message) => {
    expect(errorsOf(step, { [dateField]: value, confirmed: 'tak' })).toEqual({ [dateField]: message });
  });

  it('GIVEN the date check runs on a later day THEN yesterday\'s "future" date is accepted (today comes from the context)', () => {
    expect(submit(step, { [dateField]: TOMORROW, confirmed: 'tak' }, { ...ctxFor(step), today: TOMORROW })).toMatchObject({ ok: true });
  });
});

describe('VERIFY_COLLECTIONS (step d)', () => {
  it('GIVEN OK THEN it is accepted without a comment', () => {
    expect(submit('VERIFY_COLLECTIONS', { result: 'OK' })).toEqual({ ok: true, response: { result: 'OK' } });
  });

  it('GIVEN DISCREPANCIES without a comment THEN `comment` asks to describe them', () => {
    expect(errorsOf('VERIFY_COLLECTIONS', { result: 'DISCREPANCIES', comment: ' ' })).toEqual({ comment: 'Opisz rozbieżności — JST otrzyma Twoje uwagi.' });
  });

  it('GIVEN DISCREPANCIES with a comment THEN the comment is kept', () => {
    expect(submit('VERIFY_COLLECTIONS', { result: 'DISCREPANCIES', comment: 'Brakuje 12 rekordów w NSR-01.' })).toEqual({
      ok: true,
      response: { result: 'DISCREPANCIES', comment: 'Brakuje 12 rekordów w NSR-01.' },
    });
  });

  it('GIVEN no result chosen THEN `result` asks to choose', () => {
    expect(errorsOf('VERIFY_COLLECTIONS', {})).toEqual({ result: 'Wybierz wynik weryfikacji.' });
  });

  it('GIVEN round 2 of the repeated feeding step THEN its instructions carry the MRPiPS comment', () => {
    const text = STEPS.NEW_SD_FEEDING.instructions({ record: caseAfterStepA(), round: 2, comment: 'Brakuje 12 rekordów.' }).join(' ');
    expect(text).toContain('runda 2');
    expect(text).toContain('Brakuje 12 rekordów.');
  });
});

describe('stepKeySchema', () => {
  it.each([
    ['AGREE_VARIANT.1', 'AGREE_VARIANT', 1],
    ['VERIFY_COLLECTIONS.3', 'VERIFY_COLLECTIONS', 3],
    ['NEW_SD_FEEDING.12', 'NEW_SD_FEEDING', 12],
  ])('GIVEN %s THEN it names step %s round %i', (key, step, round) => {
    expect(stepKeySchema.parse(key)).toEqual({ step, round });
  });

  it.each(['UNKNOWN_STEP.1', 'AGREE_VARIANT', 'agree_variant.1', 'AGREE_VARIANT.100', 'AGREE_VARIANT.1.2', '.1', 'AGREE-VARIANT.1'])('GIVEN %j THEN it is refused', (key) => {
    expect(stepKeySchema.safeParse(key).success).toBe(false);
  });

  it('GIVEN stepKey() output for every step THEN stepKeySchema reads it back', () => {
    for (const id of STEP_IDS) expect(stepKeySchema.parse(stepKey(id, 2))).toEqual({ step: id, round: 2 });
  });
});

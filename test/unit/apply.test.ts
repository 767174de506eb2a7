import { describe, expect, it } from 'vitest';
import { confirmedSummary, describeResponse, stepEffect, validateResponse } from '../../lambdas/core/apply.js';
import { ValidationError } from '../../lambdas/core/errors.js';
import { caseAfterStepA, caseRecord, JST_EMAIL } from './fixtures.js';

describe('stepEffect', () => {
  it('GIVEN CONFIRM_CONTACT THEN the moment of the confirmation is recorded, the summary names the address and the procedure just goes on', () => {
    const effect = stepEffect(caseRecord(), 'CONFIRM_CONTACT', 1, { confirmed: true }, '2026-03-10T08:55:00.000Z');
    expect(effect.set).toEqual({ contactConfirmedAt: '2026-03-10T08:55:00.000Z' });
    expect(effect.outcome).toEqual({});
    expect(effect.newCollections).toBeUndefined();
    expect(effect.summary).toBe(`Osoba kontaktowa JST potwierdziła adres e-mail ${JST_EMAIL}.`);
  });

  it('GIVEN AGREE_VARIANT WITH_MIGRATION THEN the variant and agreement are set and the procedure branches on the decision', () => {
    const effect = stepEffect(caseRecord(), 'AGREE_VARIANT', 1, { decision: 'WITH_MIGRATION', note: 'Uzgodniono telefonicznie.' });
    expect(effect.set).toEqual({ variant: 'WITH_MIGRATION', agreement: { decision: 'WITH_MIGRATION', note: 'Uzgodniono telefonicznie.' } });
    expect(effect.outcome).toEqual({ decision: 'WITH_MIGRATION' });
    expect(effect.summary).toContain('z migracją danych');
  });

  it('GIVEN AGREE_VARIANT WITHOUT_MIGRATION THEN the variant is WITHOUT_MIGRATION', () => {
    const effect = stepEffect(caseRecord(), 'AGREE_VARIANT', 1, { decision: 'WITHOUT_MIGRATION' });
    expect(effect.set).toEqual({ variant: 'WITHOUT_MIGRATION', agreement: { decision: 'WITHOUT_MIGRATION' } });
    expect(effect.summary).toContain('bez migracji danych');
  });

  it('GIVEN AGREE_VARIANT REJECT THEN no variant is set, the reason is kept and the outcome is REJECT', () => {
    const effect = stepEffect(caseRecord(), 'AGREE_VARIANT', 1, { decision: 'REJECT', reason: 'Brak kodu MZT.' });
    expect(effect.set).toEqual({ agreement: { decision: 'REJECT', reason: 'Brak kodu MZT.' } });
    expect(effect.set).not.toHaveProperty('variant');
    expect(effect.outcome).toEqual({ decision: 'REJECT' });
    expect(effect.summary).toContain('Brak kodu MZT.');
  });

  it('GIVEN NEW_COLLECTIONS THEN each old collection gets its new code in order, and the new codes are to be registered per area', () => {
    const effect = stepEffect(caseRecord({ variant: 'WITH_MIGRATION' }), 'NEW_COLLECTIONS', 1, {
      newCollections: [
        { oldCollectionCode: 'SR-01', newCollectionCode: 'NSR-77' },
        { oldCollectionCode: 'FA-01', newCollectionCode: 'NFA-88' },
      ],
    });
    expect(effect.set.collections).toEqual([
      { area: 'świadczenia rodzinne', oldCode: 'SR-01', newCode: 'NSR-77' },
      { area: 'fundusz alimentacyjny', oldCode: 'FA-01', newCode: 'NFA-88' },
    ]);
    expect(effect.newCollections).toEqual([
      { code: 'NSR-77', area: 'świadczenia rodzinne' },
      { code: 'NFA-88', area: 'fundusz alimentacyjny' },
    ]);
    expect(effect.summary).toContain('SR-01 → NSR-77');
    expect(effect.summary).toContain('FA-01 → NFA-88');
  });

  it('GIVEN OLD_SD_DEACTIVATED THEN the deactivation date is recorded', () => {
    expect(stepEffect(caseAfterStepA(), 'OLD_SD_DEACTIVATED', 1, { deactivatedOn: '2026-03-09', confirmed: true }).set).toEqual({ oldSdDeactivatedOn: '2026-03-09' });
  });

  it('GIVEN NEW_SD_FEEDING with migration THEN the feeding date is recorded as an initial load; a repeated round names the round', () => {
    const first = stepEffect(caseAfterStepA(), 'NEW_SD_FEEDING', 1, { feedingStartedOn: '2026-03-09', confirmed: true });
    expect(first.set).toEqual({ newSdFeedingSince: '2026-03-09' });
    expect(first.summary).toContain('inicjalne zasilenie');
    expect(first.summary).not.toContain('runda');
    const again = stepEffect(caseAfterStepA({ variant: 'WITHOUT_MIGRATION' }), 'NEW_SD_FEEDING', 2, { feedingStartedOn: '2026-03-10', confirmed: true });
    expect(again.summary).toContain('rozpoczęcie zasilania');
    expect(again.summary).toContain('runda 2');
  });

  it('GIVEN MZT_DEACTIVATED THEN the MZT deactivation date is recorded', () => {
    expect(stepEffect(caseAfterStepA(), 'MZT_DEACTIVATED', 1, { deactivatedOn: '2026-03-08', confirmed: true }).set).toEqual({ mztDeactivatedOn: '2026-03-08' });
  });

  it('GIVEN VERIFY_COLLECTIONS OK THEN the outcome is {round, result OK, comment null}', () => {
    const effect = stepEffect(caseAfterStepA(), 'VERIFY_COLLECTIONS', 1, { result: 'OK' });
    expect(effect.outcome).toEqual({ round: 1, result: 'OK', comment: null });
    expect(effect.set).toEqual({ verification: { round: 1, result: 'OK' } });
  });

  it('GIVEN VERIFY_COLLECTIONS DISCREPANCIES in round 2 THEN the outcome carries the round and the comment for the JST', () => {
    const effect = stepEffect(caseAfterStepA(), 'VERIFY_COLLECTIONS', 2, { result: 'DISCREPANCIES', comment: 'Brakuje rekordów.' });
    expect(effect.outcome).toEqual({ round: 2, result: 'DISCREPANCIES', comment: 'Brakuje rekordów.' });
    expect(effect.set).toEqual({ verification: { round: 2, result: 'DISCREPANCIES', comment: 'Brakuje rekordów.' } });
    expect(effect.summary).toContain('Brakuje rekordów.');
  });
});

describe('describeResponse', () => {
  it('GIVEN a contact confirmation THEN the one checkbox reads "tak"', () => {
    const rows = describeResponse('CONFIRM_CONTACT', { record: caseRecord(), round: 1 }, { confirmed: true });
    expect(rows).toHaveLength(1);
    expect(rows[0]![0]).toContain('adres e-mail należy do mnie');
    expect(rows[0]![1]).toBe('tak');
  });

  it('GIVEN an AGREE_VARIANT response THEN the decision is shown by its option label and empty fields are left out', () => {
    const rows = describeResponse('AGREE_VARIANT', { record: caseRecord(), round: 1 }, { decision: 'WITHOUT_MIGRATION', note: 'Ustalono z JST.' });
    expect(rows).toEqual([
      ['Decyzja', 'Zmiana bez migracji danych (zbiory stare zostaną zamknięte)'],
      ['Ustalenia z JST (opcjonalnie)', 'Ustalono z JST.'],
    ]);
  });

  it('GIVEN a date confirmation THEN the date is labelled and the checkbox reads "tak"', () => {
    const rows = describeResponse('OLD_SD_DEACTIVATED', { record: caseAfterStepA(), round: 1 }, { deactivatedOn: '2026-03-09', confirmed: true });
    expect(rows[0]).toEqual(['Data deaktywacji dotychczasowego SD', '2026-03-09']);
    expect(rows[1]![0]).toContain('został zdeaktywowany');
    expect(rows[1]![1]).toBe('tak');
    expect(rows).toHaveLength(2);
  });

  it('GIVEN NEW_COLLECTIONS THEN there is one row per old collection with its new code', () => {
    const rows = describeResponse('NEW_COLLECTIONS', { record: caseRecord(), round: 1 }, {
      newCollections: [
        { oldCollectionCode: 'SR-01', newCollectionCode: 'NSR-01' },
        { oldCollectionCode: 'FA-01', newCollectionCode: 'NFA-01' },
      ],
    });
    expect(rows).toEqual([
      ['Nowy zbiór dla SR-01', 'NSR-01'],
      ['Nowy zbiór dla FA-01', 'NFA-01'],
    ]);
  });

  it('GIVEN a verification with discrepancies THEN the result label and the comment are shown', () => {
    const rows = describeResponse('VERIFY_COLLECTIONS', { record: caseAfterStepA(), round: 1 }, { result: 'DISCREPANCIES', comment: 'Brak danych.' });
    expect(rows).toEqual([
      ['Wynik weryfikacji', 'Rozbieżności — zwróć JST do poprawy zasilenia'],
      ['Uwagi dla JST (wymagane przy rozbieżnościach)', 'Brak danych.'],
    ]);
  });
});

describe('validateResponse', () => {
  it('GIVEN a valid payload THEN the parsed response is returned', () => {
    expect(validateResponse('VERIFY_COLLECTIONS', { record: caseAfterStepA(), round: 1 }, { result: 'OK' })).toEqual({ result: 'OK' });
  });

  it('GIVEN an invalid payload THEN a ValidationError names the step and the field', () => {
    let error: unknown;
    try {
      validateResponse('AGREE_VARIANT', { record: caseRecord(), round: 1 }, { decision: 'REJECT' });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as ValidationError).message).toMatch(/^Invalid response for AGREE_VARIANT: reason: /);
    expect((error as ValidationError).issues).toEqual({ reason: 'Podaj powód odrzucenia — JST otrzyma go e-mailem.' });
  });
});

describe('confirmedSummary', () => {
  it('GIVEN a confirmation THEN the timeline line names the step title, the step key, the role and the e-mail', () => {
    expect(confirmedSummary('OLD_SD_DEACTIVATED', 1, 'JST', JST_EMAIL)).toBe(`Potwierdzono krok „Deaktywacja dotychczasowego SD” (OLD_SD_DEACTIVATED.1) — JST, ${JST_EMAIL}.`);
  });
});

import { describe, expect, it } from 'vitest';
import { CONTROL_CHARACTERS_MESSAGE } from '../../lambdas/core/fields.js';
import { notificationSchema, parseNotificationForm } from '../../lambdas/core/notification.js';
import { TODAY, notificationForm } from './fixtures.js';

function errorsOf(overrides: Record<string, string>, today = TODAY): Record<string, string> {
  const result = parseNotificationForm(notificationForm(overrides), today);
  if (result.ok) throw new Error(`expected the form to be refused: ${JSON.stringify(overrides)}`);
  return result.errors;
}

describe('parseNotificationForm: a correct notification', () => {
  it('GIVEN a complete form WHEN parsed THEN it is accepted with normalised codes and e-mail', () => {
    // WHEN
    const result = parseNotificationForm(notificationForm(), TODAY);
    // THEN
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.notification).toEqual({
      officeName: 'Miejski Ośrodek Pomocy Społecznej w Przykładowie',
      teryt: '1465011',
      mztUnitCode: 'MOPS-1465011',
      areas: [
        { area: 'świadczenia rodzinne', oldCollectionCode: 'SR-01' },
        { area: 'fundusz alimentacyjny', oldCollectionCode: 'FA-01' },
      ],
      plannedChangeDate: '2026-04-01',
      contact: { name: 'Anna Kowalska', email: 'anna.kowalska@mops.przykladowo.pl', phone: '+48 22 123 45 67' },
      oldSd: { product: 'System Stary 5', supplier: 'Stary Dostawca sp. z o.o.' },
      newSd: { product: 'Nowy System 2', supplier: 'Nowy Dostawca S.A.', contactEmail: 'wdrozenia@nowydostawca.pl' },
    });
  });

  it('GIVEN lower-case collection codes WHEN parsed THEN they are upper-cased (one code cannot be registered twice by case)', () => {
    const result = parseNotificationForm(notificationForm({ 'areas.0.oldCollectionCode': ' sr-01/a ', 'areas.1.oldCollectionCode': 'fa.02_b' }), TODAY);
    expect(result.ok && result.notification.areas.map((a) => a.oldCollectionCode)).toEqual(['SR-01/A', 'FA.02_B']);
  });

  it('GIVEN the planned date is today WHEN parsed THEN it is accepted', () => {
    expect(parseNotificationForm(notificationForm({ plannedChangeDate: TODAY }), TODAY).ok).toBe(true);
  });

  it('GIVEN no supplier e-mail WHEN parsed THEN it is accepted without one', () => {
    const result = parseNotificationForm(notificationForm({ 'newSd.contactEmail': '' }), TODAY);
    expect(result.ok).toBe(true);
    expect(result.ok && result.notification.newSd.contactEmail).toBeUndefined();
  });

  it('GIVEN the optional supplier e-mail holds only spaces WHEN parsed THEN it counts as not given', () => {
    // A stray space in an optional field must not block the notification (other optional fields are trimmed to empty).
    const result = parseNotificationForm(notificationForm({ 'newSd.contactEmail': '   ' }), TODAY);
    expect(result).toMatchObject({ ok: true });
    expect(result.ok && result.notification.newSd.contactEmail).toBeUndefined();
  });

  it('GIVEN remarks over several lines WHEN parsed THEN the line breaks are kept', () => {
    const result = parseNotificationForm(notificationForm({ remarks: 'Linia 1\nLinia 2\tz tabulatorem' }), TODAY);
    expect(result.ok && result.notification.remarks).toBe('Linia 1\nLinia 2\tz tabulatorem');
  });
});

describe('parseNotificationForm: each invalid field gives a Polish message on its own key', () => {
  it.each(['146501', '14650111', '14a5011', '', '1465 011'])('GIVEN TERYT %j (not 7 digits) THEN teryt says it has 7 digits', (teryt) => {
    const errors = errorsOf({ teryt });
    expect(errors.teryt).toMatch(teryt === '' ? /Kod TERYT ma 7 cyfr|Pole jest wymagane/ : /Kod TERYT ma 7 cyfr/);
  });

  it.each(['0365011', '3465011', '0065011', '9965011', '1565011'])('GIVEN TERYT %s with an unknown voivodeship prefix THEN teryt names the voivodeship codes', (teryt) => {
    expect(errorsOf({ teryt })).toEqual({ teryt: 'Pierwsze dwie cyfry kodu TERYT muszą być kodem województwa (02, 04, …, 32).' });
  });

  it.each(['anna', 'anna@', '@gmina.pl', 'anna kowalska@gmina.pl', 'anna@gmina'])('GIVEN contact e-mail %j THEN contact.email asks for a correct address', (email) => {
    expect(errorsOf({ 'contact.email': email })).toEqual({ 'contact.email': 'Wpisz poprawny adres e-mail, np. jan.kowalski@gmina.pl.' });
  });

  it('GIVEN a malformed supplier e-mail THEN newSd.contactEmail asks for a correct address', () => {
    expect(errorsOf({ 'newSd.contactEmail': 'dostawca@' })).toEqual({ 'newSd.contactEmail': 'Wpisz poprawny adres e-mail, np. jan.kowalski@gmina.pl.' });
  });

  it.each(['12-34', 'tel. 221234567', '+48 22 123 45 67 ext 5'])('GIVEN phone %j (wrong characters) THEN contact.phone shows an example', (phone) => {
    expect(errorsOf({ 'contact.phone': phone })).toEqual({ 'contact.phone': 'Wpisz numer telefonu, np. +48 22 123 45 67.' });
  });

  it('GIVEN a phone number with too few digits THEN contact.phone asks for 9 to 15 digits', () => {
    expect(errorsOf({ 'contact.phone': '+48 22 123' })).toEqual({ 'contact.phone': 'Numer telefonu powinien mieć od 9 do 15 cyfr.' });
  });

  it('GIVEN no area rows WHEN parsed THEN the error is on `areas` (not on a row)', () => {
    const errors = errorsOf({ 'areas.0.area': '', 'areas.0.oldCollectionCode': '', 'areas.1.area': ' ', 'areas.1.oldCollectionCode': '' });
    expect(errors).toEqual({ areas: 'Podaj co najmniej jeden obszar i jego zbiór CBB.' });
  });

  it('GIVEN the same collection code twice (different case) THEN the second row says it was given above', () => {
    expect(errorsOf({ 'areas.1.oldCollectionCode': 'SR-01' })).toEqual({ 'areas.1.oldCollectionCode': 'Ten kod zbioru podano już wyżej.' });
  });

  it('GIVEN a collection code with forbidden characters THEN that row says which characters are allowed', () => {
    expect(errorsOf({ 'areas.1.oldCollectionCode': 'FA 01' })).toEqual({ 'areas.1.oldCollectionCode': 'Kod zbioru może zawierać tylko litery, cyfry oraz znaki . _ / -' });
  });

  it('GIVEN an area without its collection code THEN the code of that row is required', () => {
    expect(errorsOf({ 'areas.1.oldCollectionCode': '' })).toEqual({ 'areas.1.oldCollectionCode': 'Pole jest wymagane.' });
  });

  it('GIVEN a planned date in the past THEN plannedChangeDate refuses it', () => {
    expect(errorsOf({ plannedChangeDate: '2026-03-09' })).toEqual({ plannedChangeDate: 'Planowana data zmiany nie może być w przeszłości.' });
  });

  it('GIVEN the same planned date checked a day earlier THEN it is accepted (the rule is relative to `today`)', () => {
    expect(parseNotificationForm(notificationForm({ plannedChangeDate: '2026-03-09' }), '2026-03-09').ok).toBe(true);
  });

  it.each([
    ['2026-02-30', 'Taka data nie istnieje.'],
    ['01.04.2026', 'Wpisz datę w formacie RRRR-MM-DD.'],
  ])('GIVEN planned date %s THEN plannedChangeDate says %s', (plannedChangeDate, message) => {
    expect(errorsOf({ plannedChangeDate })).toEqual({ plannedChangeDate: message });
  });

  it.each([
    ['officeName', 'MOPS\u0000Przykładowo'],
    ['contact.name', 'Anna\u001bKowalska'],
    ['oldSd.product', 'System\u2028Stary'],
    ['newSd.supplier', 'Nowy\nDostawca'],
    ['mztUnitCode', 'MOPS\u0085X'],
  ])('GIVEN %s with a control character THEN that field refuses it', (field, value) => {
    expect(errorsOf({ [field]: value })[field]).toMatch(/niedozwolone znaki sterujące|Kod jednostki w MZT/);
  });

  it('GIVEN remarks with a control character THEN remarks refuses it', () => {
    expect(errorsOf({ remarks: 'Uwagi\u0007' + ' końcowe' })).toEqual({ remarks: CONTROL_CHARACTERS_MESSAGE });
  });

  it.each([
    ['officeName', 200],
    ['contact.name', 120],
    ['oldSd.product', 120],
    ['newSd.supplier', 160],
    ['remarks', 2000],
  ])('GIVEN %s longer than %i characters THEN it says the maximum', (field, max) => {
    expect(parseNotificationForm(notificationForm({ [field]: 'a'.repeat(max) }), TODAY).ok).toBe(true);
    expect(errorsOf({ [field]: 'a'.repeat(max + 1) })).toEqual({ [field]: `Wpisz najwyżej ${max} znaków.` });
  });

  it('GIVEN a two-letter office name THEN officeName asks for at least 3 characters', () => {
    expect(errorsOf({ officeName: 'AB' })).toEqual({ officeName: 'Wpisz co najmniej 3 znaki.' });
  });

  it('GIVEN many wrong fields at once THEN every one is reported, each with a Polish message (no zod defaults)', () => {
    const errors = errorsOf({ teryt: 'x', 'contact.email': 'x', 'contact.phone': 'x', plannedChangeDate: 'x', officeName: '', 'oldSd.supplier': '', 'newSd.contactEmail': ' x ' });
    expect(Object.keys(errors).sort()).toEqual(['contact.email', 'contact.phone', 'newSd.contactEmail', 'officeName', 'oldSd.supplier', 'plannedChangeDate', 'teryt']);
    for (const message of Object.values(errors)) expect(message).not.toMatch(/Invalid|expected|received|Required/);
  });
});

describe('parseNotificationForm: area rows', () => {
  it('GIVEN rows 0 and 2 filled (row 1 empty) THEN the empty row is skipped and both areas are kept in order', () => {
    const result = parseNotificationForm(
      notificationForm({ 'areas.1.area': '', 'areas.1.oldCollectionCode': '', 'areas.2.area': 'pomoc społeczna', 'areas.2.oldCollectionCode': 'ps-03' }),
      TODAY,
    );
    expect(result.ok && result.notification.areas).toEqual([
      { area: 'świadczenia rodzinne', oldCollectionCode: 'SR-01' },
      { area: 'pomoc społeczna', oldCollectionCode: 'PS-03' },
    ]);
  });

  it('GIVEN rows 0 and 2 filled and an error on row 2 THEN the error is reported at areas.2 (the row the person typed in)', () => {
    const errors = errorsOf({ 'areas.1.area': '', 'areas.1.oldCollectionCode': '', 'areas.2.area': 'pomoc społeczna', 'areas.2.oldCollectionCode': 'SR-01' });
    expect(errors).toEqual({ 'areas.2.oldCollectionCode': 'Ten kod zbioru podano już wyżej.' });
  });

  it('GIVEN only row 4 filled with a too short area name THEN the error is on areas.4.area', () => {
    const errors = errorsOf({ 'areas.0.area': '', 'areas.0.oldCollectionCode': '', 'areas.1.area': '', 'areas.1.oldCollectionCode': '', 'areas.4.area': 'PS', 'areas.4.oldCollectionCode': 'PS-01' });
    expect(errors).toEqual({ 'areas.4.area': 'Wpisz co najmniej 3 znaki.' });
  });

  it('GIVEN rows beyond the tenth THEN they are ignored', () => {
    const result = parseNotificationForm(notificationForm({ 'areas.10.area': 'nadmiarowy', 'areas.10.oldCollectionCode': 'X-10' }), TODAY);
    expect(result.ok && result.notification.areas).toHaveLength(2);
  });
});

describe('notificationSchema (the shape registration re-checks)', () => {
  const valid = {
    officeName: 'Gminny Ośrodek Pomocy Społecznej',
    teryt: '0201011',
    mztUnitCode: 'GOPS-0201011',
    areas: [{ area: 'świadczenia rodzinne', oldCollectionCode: 'SR-9' }],
    plannedChangeDate: '2026-05-01',
    contact: { name: 'Jan Nowak', email: 'jan.nowak@gops.pl', phone: '221234567' },
    oldSd: { product: 'A', supplier: 'B' },
    newSd: { product: 'C', supplier: 'D' },
  };

  it('GIVEN a valid notification THEN it passes', () => {
    expect(notificationSchema(TODAY).safeParse(valid).success).toBe(true);
  });

  it('GIVEN an unknown extra property THEN it is refused (strict)', () => {
    expect(notificationSchema(TODAY).safeParse({ ...valid, taskToken: 'x' }).success).toBe(false);
  });

  it('GIVEN more than ten areas THEN areas says at most 10', () => {
    const areas = Array.from({ length: 11 }, (_, i) => ({ area: `obszar ${i}`, oldCollectionCode: `C-${i}` }));
    const result = notificationSchema(TODAY).safeParse({ ...valid, areas });
    expect(result.success).toBe(false);
    expect(result.error?.issues.map((i) => i.message)).toContain('Podaj najwyżej 10 obszarów.');
  });

  it('GIVEN a date before today THEN the date rule applies; with an early `today` it passes', () => {
    expect(notificationSchema('2026-06-01').safeParse(valid).success).toBe(false);
    expect(notificationSchema('0000-01-01').safeParse(valid).success).toBe(true);
  });
});

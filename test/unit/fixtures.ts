import { stepLimitsConfigSchema } from '../../lambdas/core/config.js';
import { newCase, type CaseRecord } from '../../lambdas/core/case.js';
import { signingKeysSchema, statusLinks } from '../../lambdas/core/links.js';
import { notificationSchema, type Notification } from '../../lambdas/core/notification.js';
import type { Directory } from '../../lambdas/core/participants.js';
import { VOIVODESHIP_CODES } from '../../lambdas/core/voivodeships.js';

/** Shared, realistic test data: one gmina in mazowieckie (TERYT 14…) changing its SD supplier. */
export const TODAY = '2026-03-10';
export const NOW = new Date('2026-03-10T09:00:00.000Z');
export const CASE_ID = 'ZSD-2026-00042';
export const JST_EMAIL = 'anna.kowalska@mops.przykladowo.pl';
export const SUPPLIER_EMAIL = 'wdrozenia@nowydostawca.pl';
export const MRPIPS_EMAIL = 'sekretariat.di@mrpips.gov.pl';
export const OFFICE = 'Miejski Ośrodek Pomocy Społecznej w Przykładowie';

/** The link signing keys of the tests (the secret's JSON shape) and the public base URL of the pages. */
export const LINK_KEYS = signingKeysSchema.parse({ current: 'k1', k1: 'k1-secret-0123456789abcdefghijklmnopqrstuvwxyz' });
export const BASE_URL = 'https://zmiana-sd.mrpips.gov.pl';
/** The default bounds of hand-overs, reassignments and resends of a step. */
export const STEP_LIMITS = stepLimitsConfigSchema.parse({});
/** The status links' own keys (another secret: the status page holds no key of the confirmation links). */
export const STATUS_KEYS = signingKeysSchema.parse({ current: 's1', s1: 's1-secret-0123456789abcdefghijklmnopqrstuvwxyz' });
/** Status links as the actions get them in their deps. */
export const STATUS_LINKS = statusLinks(BASE_URL, STATUS_KEYS);

export const adminOf = (code: string) => `administrator.mzt.${code}@uw.gov.pl`;
export const DIRECTORY: Directory = {
  mrpipsEmail: MRPIPS_EMAIL,
  voivodeshipAdmins: Object.fromEntries(VOIVODESHIP_CODES.map((code) => [code, adminOf(code)])),
};

/** The notification form as a browser posts it (flat field names). */
export function notificationForm(overrides: Record<string, string> = {}): Record<string, string> {
  return {
    officeName: OFFICE,
    teryt: '1465011',
    mztUnitCode: 'MOPS-1465011',
    plannedChangeDate: '2026-04-01',
    'areas.0.area': 'świadczenia rodzinne',
    'areas.0.oldCollectionCode': 'sr-01',
    'areas.1.area': 'fundusz alimentacyjny',
    'areas.1.oldCollectionCode': 'FA-01',
    'contact.name': 'Anna Kowalska',
    'contact.email': 'Anna.Kowalska@MOPS.przykladowo.pl',
    'contact.phone': '+48 22 123 45 67',
    'oldSd.product': 'System Stary 5',
    'oldSd.supplier': 'Stary Dostawca sp. z o.o.',
    'newSd.product': 'Nowy System 2',
    'newSd.supplier': 'Nowy Dostawca S.A.',
    'newSd.contactEmail': SUPPLIER_EMAIL,
    ...overrides,
  };
}

/** A validated notification (as the form or registration produce it). */
export function notification(overrides: Partial<Notification> = {}): Notification {
  return notificationSchema('2000-01-01').parse({
    officeName: OFFICE,
    teryt: '1465011',
    mztUnitCode: 'MOPS-1465011',
    areas: [
      { area: 'świadczenia rodzinne', oldCollectionCode: 'SR-01' },
      { area: 'fundusz alimentacyjny', oldCollectionCode: 'FA-01' },
    ],
    plannedChangeDate: '2026-04-01',
    contact: { name: 'Anna Kowalska', email: JST_EMAIL, phone: '+48 22 123 45 67' },
    oldSd: { product: 'System Stary 5', supplier: 'Stary Dostawca sp. z o.o.' },
    newSd: { product: 'Nowy System 2', supplier: 'Nowy Dostawca S.A.', contactEmail: SUPPLIER_EMAIL },
    ...overrides,
  });
}

/** A registered case, optionally further along the procedure. */
export function caseRecord(overrides: Partial<CaseRecord> = {}, notificationOverrides: Partial<Notification> = {}): CaseRecord {
  return { ...newCase(CASE_ID, notification(notificationOverrides), '2026-03-01T08:00:00.000Z'), ...overrides };
}

/** The same case after step a: variant agreed, new collections created. */
export function caseAfterStepA(overrides: Partial<CaseRecord> = {}): CaseRecord {
  return caseRecord({
    variant: 'WITH_MIGRATION',
    agreement: { decision: 'WITH_MIGRATION' },
    collections: [
      { area: 'świadczenia rodzinne', oldCode: 'SR-01', newCode: 'NSR-01' },
      { area: 'fundusz alimentacyjny', oldCode: 'FA-01', newCode: 'NFA-01' },
    ],
    ...overrides,
  });
}

export const HOSTILE_SCRIPT = '<script>alert(1)</script>';
export const HOSTILE_ATTR = '"><img src=x onerror=1>';

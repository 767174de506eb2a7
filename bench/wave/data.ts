import { VOIVODESHIP_CODES } from '../../lambdas/core/voivodeships.js';

export type Variant = 'WITH_MIGRATION' | 'WITHOUT_MIGRATION';

export interface UnitData {
  index: number;
  teryt: string;
  voivodeship: string;
  kind: 'gmina' | 'powiat';
  variant: Variant;
  contactEmail: string;
  supplierEmail: string;
  fields: Record<string, string>;
  newCodes: [string, string];
}

/**
 * Distinct unit data for case `index` of a wave: TERYT codes round-robin over all 16 voivodeships (each unit
 * its own powiat/gmina digits), its own contact and supplier addresses and collection codes (`runTag` keeps
 * codes of several waves in one process apart), variants alternating.
 */
export function unitData(index: number, runTag: string): UnitData {
  const voivodeship = VOIVODESHIP_CODES[index % VOIVODESHIP_CODES.length]!;
  const n = Math.floor(index / VOIVODESHIP_CODES.length);
  // Every 7th unit a powiat (gmina part 00, type 0), the rest gminy of types 1-3; powiat digits 01-99.
  const kind = index % 7 === 3 ? 'powiat' : 'gmina';
  const powiat = String(1 + Math.floor(n / 20)).padStart(2, '0');
  const gmina = String(1 + (n % 20)).padStart(2, '0');
  const teryt = kind === 'powiat' ? `${voivodeship}${powiat}${gmina}0` : `${voivodeship}${powiat}${gmina}${1 + (index % 3)}`;
  const variant: Variant = index % 2 === 0 ? 'WITH_MIGRATION' : 'WITHOUT_MIGRATION';
  const contactEmail = `kontakt.${index}@jst${teryt}.gov.pl`;
  const supplierEmail = `wdrozenia.${index}@nowydostawca.pl`;
  const code = (prefix: string) => `${prefix}-${runTag}-${index}`.toUpperCase();
  const inAMonth = new Date(Date.now() + 30 * 86_400_000).toISOString().slice(0, 10);
  const office = kind === 'powiat' ? `Powiatowe Centrum Pomocy Rodzinie ${teryt}` : `Ośrodek Pomocy Społecznej ${teryt}`;
  const fields: Record<string, string> = {
    officeName: office,
    teryt,
    mztUnitCode: `${kind === 'powiat' ? 'PCPR' : 'OPS'}-${teryt}`,
    plannedChangeDate: inAMonth,
    'areas.0.area': 'świadczenia rodzinne',
    'areas.0.oldCollectionCode': code('SR'),
    'areas.1.area': 'fundusz alimentacyjny',
    'areas.1.oldCollectionCode': code('FA'),
    'contact.name': `Osoba Kontaktowa ${index}`,
    'contact.email': contactEmail,
    'contact.phone': '+48 22 123 45 67',
    'oldSd.product': 'System Stary 5',
    'oldSd.supplier': 'Stary Dostawca sp. z o.o.',
    'newSd.product': 'Nowy System 2',
    'newSd.supplier': 'Nowy Dostawca S.A.',
    'newSd.contactEmail': supplierEmail,
  };
  return { index, teryt, voivodeship, kind, variant, contactEmail, supplierEmail, fields, newCodes: [`N${fields['areas.0.oldCollectionCode']}`, `N${fields['areas.1.oldCollectionCode']}`] };
}

/** Voivodeships by the first two digits of a TERYT code; the voivodeship administrator of MZT is routed by them. */
export const VOIVODESHIPS = {
  '02': 'dolnośląskie',
  '04': 'kujawsko-pomorskie',
  '06': 'lubelskie',
  '08': 'lubuskie',
  '10': 'łódzkie',
  '12': 'małopolskie',
  '14': 'mazowieckie',
  '16': 'opolskie',
  '18': 'podkarpackie',
  '20': 'podlaskie',
  '22': 'pomorskie',
  '24': 'śląskie',
  '26': 'świętokrzyskie',
  '28': 'warmińsko-mazurskie',
  '30': 'wielkopolskie',
  '32': 'zachodniopomorskie',
} as const;

export type VoivodeshipCode = keyof typeof VOIVODESHIPS;
export const VOIVODESHIP_CODES = Object.keys(VOIVODESHIPS) as VoivodeshipCode[];

export function isVoivodeshipCode(code: string): code is VoivodeshipCode {
  return Object.prototype.hasOwnProperty.call(VOIVODESHIPS, code);
}

export function voivodeshipOf(teryt: string): VoivodeshipCode {
  const code = teryt.slice(0, 2);
  if (!isVoivodeshipCode(code)) throw new Error(`TERYT ${teryt} does not start with a voivodeship code`);
  return code;
}

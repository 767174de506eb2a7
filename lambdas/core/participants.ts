import type { CaseRecord, Role } from './case.js';

export interface Directory {
  mrpipsEmail: string;
  voivodeshipAdmins: Record<string, string>;
}

/** Who acts for a role in a case: the JST's contact, MRPiPS, or the voivodeship administrator by TERYT. */
export function addressOf(role: Role, record: CaseRecord, directory: Directory): string {
  switch (role) {
    case 'JST':
      return record.notification.contact.email;
    case 'MRPIPS':
      return directory.mrpipsEmail;
    case 'VOIVODESHIP_ADMIN': {
      const address = directory.voivodeshipAdmins[record.voivodeship];
      if (!address) throw new Error(`No voivodeship administrator configured for ${record.voivodeship}`);
      return address;
    }
  }
}

export function supplierContact(record: CaseRecord): string | undefined {
  return record.notification.newSd.contactEmail;
}

import type { CaseStore } from '../adapters/case-store.js';
import type { CaseRecord } from '../core/case.js';
import { NotFoundError } from '../core/errors.js';
import type { Actor } from './steps.js';

export interface StatusLinksRevoked {
  record: CaseRecord;
  /** The generation the case's status links now have: links of an older one are refused. */
  generation: number;
}

/**
 * MRPiPS revokes every status link of a case sent so far (one was forwarded or leaked): the case's status-link
 * generation goes up by one, with the timeline entry STATUS_LINKS_REVOKED (who, when), in one conditional write
 * idempotent by the new generation (two operators revoking at once raise it once). E-mails sent afterwards carry
 * links of the new generation; nobody is e-mailed by the revocation itself.
 */
export async function revokeStatusLinks(store: CaseStore, input: { caseId: string; by: Actor }, now = new Date()): Promise<StatusLinksRevoked> {
  const record = await store.getCase(input.caseId);
  if (!record) throw new NotFoundError(`Case ${input.caseId} not found`);
  const generation = (record.statusLinkGeneration ?? 0) + 1;
  await store.updateCase(
    record.caseId,
    {
      id: `status-links-revoked:${generation}`,
      at: now.toISOString(),
      actor: { role: input.by.role, email: input.by.email },
      action: 'STATUS_LINKS_REVOKED',
      summary: `Unieważniono dotychczasowe linki do strony stanu sprawy (${input.by.email}). Wiadomości wysyłane od tej chwili zawierają nowy link.`,
      details: { generation },
    },
    { statusLinkGeneration: generation },
  );
  return { record: (await store.getCase(record.caseId))!, generation };
}

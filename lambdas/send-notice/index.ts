import type { z } from 'zod';
import { caseStore, type CaseStore } from '../adapters/case-store.js';
import { outbox } from '../adapters/outbox.js';
import type { Mailer } from '../core/outbox.js';
import { sendAllOnce } from '../adapters/mail-once.js';
import { countCase } from '../adapters/metrics.js';
import { directory, stateMachineHandler } from '../adapters/runtime.js';
import { loadStatusLinks } from '../adapters/signing-keys.js';
import type { StatusLinks } from '../core/links.js';
import type { CaseRecord, CaseStatus } from '../core/case.js';
import { collectionsUnavailableEmail, completedEmail, registeredEmail, rejectedEmail, verificationEscalatedEmail, type EmailMessage } from '../core/emails.js';
import { NotFoundError } from '../core/errors.js';
import { sendNoticeEvent } from '../core/events.js';
import type { CaseMetric, CountCase } from '../core/metrics.js';
import { addressOf, supplierContact, type Directory } from '../core/participants.js';

type Notice = z.infer<typeof sendNoticeEvent>['notice'];

const NOTICE: Record<Notice, { status?: CaseStatus; metric?: CaseMetric; summary: string; emails(record: CaseRecord, directory: Directory, statusUrl: string): EmailMessage[] }> = {
  NOTIFICATION_UNCONFIRMED: {
    status: 'UNCONFIRMED',
    summary: 'Zgłoszenie wygasło: osoba kontaktowa nie potwierdziła adresu e-mail mimo przypomnień.',
    // No e-mail: the address was never confirmed, so nothing more is sent to it.
    emails: () => [],
  },
  NOTIFICATION_REGISTERED: {
    summary: 'Wysłano JST potwierdzenie przyjęcia zgłoszenia.',
    emails: (record, d, status) => [registeredEmail(record, addressOf('JST', record, d), status)],
  },
  NOTIFICATION_COLLECTIONS_HELD: {
    status: 'REJECTED',
    summary: 'Sprawa zakończona przy potwierdzeniu adresu: co najmniej jeden zbiór CBB ze zgłoszenia jest objęty inną sprawą albo zamknięty lub zarchiwizowany; stan zbiorów bez zmian. JST otrzymała informację.',
    emails: (record, d, status) => [collectionsUnavailableEmail(record, addressOf('JST', record, d), status)],
  },
  NOTIFICATION_REJECTED: {
    status: 'REJECTED',
    summary: 'Sprawa zakończona: zgłoszenie odrzucone; JST otrzymała powód.',
    emails: (record, d, status) => [rejectedEmail(record, addressOf('JST', record, d), status)],
  },
  VERIFICATION_ESCALATED: {
    status: 'ESCALATED',
    summary: 'Weryfikacja nie powiodła się w trzech rundach — sprawa przekazana do wyjaśnienia w MRPiPS.',
    // One message per recipient: each participant gets their own copy.
    emails: (record, d, status) => [verificationEscalatedEmail(record, d.mrpipsEmail, status), verificationEscalatedEmail(record, addressOf('JST', record, d), status)],
  },
  CASE_COMPLETED: {
    status: 'COMPLETED',
    metric: 'CaseCompleted',
    summary: 'Zmiana dostawcy SD zakończona; JST otrzymała informację o wykonanych czynnościach.',
    emails: (record, d, status) => {
      const supplier = supplierContact(record);
      return [completedEmail(record, addressOf('JST', record, d), supplier ? [supplier] : [], status)];
    },
  },
};

/** Notices that close a stage of the procedure: they set the case status and tell the JST (and MRPiPS). */
export async function sendNotice(input: z.infer<typeof sendNoticeEvent>, deps: { store: CaseStore; mailer: Mailer; directory: Directory; statusUrl: StatusLinks; count: CountCase; now?: Date }) {
  const now = (deps.now ?? new Date()).toISOString();
  const record = await deps.store.getCase(input.caseId);
  if (!record) throw new NotFoundError(`Case ${input.caseId} not found`);
  const notice = NOTICE[input.notice];
  // A rejected case gives back what it took at CONFIRM_CONTACT; a lapsed one never took anything (except a case
  // notified before collections waited for the confirmation), so only codes the case holds are released.
  if (input.notice === 'NOTIFICATION_REJECTED' || input.notice === 'NOTIFICATION_UNCONFIRMED') {
    for (const collection of record.collections) {
      if ((await deps.store.getCollection(collection.oldCode))?.lockedByCase === record.caseId) await deps.store.releaseCollection(collection.oldCode, record.caseId, now);
    }
  }
  // E-mail first, then the timeline: a crash in between never loses the notice, and the retry finds the
  // e-mail's marker and does not send it again (a duplicate delivery of this action neither).
  await sendAllOnce(deps, record.caseId, `notice:${input.notice}`, notice.emails({ ...record, ...(notice.status ? { status: notice.status } : {}) }, deps.directory, deps.statusUrl(record)));
  // Every notice that sets a status ends the case: its tokens go first, so an ended case never shows one (a
  // crash before the status is written leaves it to the retry of this action).
  if (notice.status) await deps.store.forgetTaskTokens(record.caseId);
  const written = await deps.store.updateCase(record.caseId, { id: `notice:${input.notice}`, at: now, actor: { role: 'SYSTEM' }, action: input.notice, summary: notice.summary }, notice.status ? { status: notice.status, endedAt: now } : {});
  // Counted by the invocation whose write set the status (not by a duplicate, nor on a cancelled case).
  if (written === 'applied' && notice.metric) deps.count(notice.metric);
  return {};
}

export const handler = stateMachineHandler('send-notice', sendNoticeEvent, async (input) => sendNotice(input, { store: caseStore(), mailer: outbox(), directory: directory(), statusUrl: await loadStatusLinks(), count: countCase }));

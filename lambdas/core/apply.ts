import type { CaseRecord, Role, Variant } from './case.js';
import { VARIANT_LABEL } from './case.js';
import { ValidationError } from './errors.js';
import { fieldErrors } from './fields.js';
import { STEPS, stepKey, type StepContext, type StepId, type StepResponse } from './steps.js';

/** Validates a step response against the step's schema for this case (edge check for events and forms). */
export function validateResponse(step: StepId, ctx: StepContext, response: unknown): StepResponse {
  const result = STEPS[step].schema(ctx).safeParse(response);
  if (!result.success) {
    const errors = fieldErrors(result.error);
    throw new ValidationError(`Invalid response for ${step}: ${Object.entries(errors).map(([k, v]) => `${k}: ${v}`).join('; ')}`, errors);
  }
  return result.data;
}

/** What applying a confirmed step does to the case, decided without touching any store. */
export interface StepEffect {
  set: Partial<CaseRecord>;
  summary: string;
  /** What the procedure branches on next. */
  outcome: Record<string, string | number | null>;
  /** New collection codes to register (step a). */
  newCollections?: { code: string; area: string }[];
}

export function stepEffect(record: CaseRecord, step: StepId, round: number, response: StepResponse, confirmedAt = ''): StepEffect {
  switch (step) {
    case 'CONFIRM_CONTACT':
      return { set: { contactConfirmedAt: confirmedAt }, summary: `Osoba kontaktowa JST potwierdziła adres e-mail ${record.notification.contact.email}.`, outcome: {} };
    case 'AGREE_VARIANT': {
      const r = response as { decision: Variant | 'REJECT'; reason?: string; note?: string };
      const agreement = { decision: r.decision, ...(r.reason ? { reason: r.reason } : {}), ...(r.note ? { note: r.note } : {}) };
      if (r.decision === 'REJECT') return { set: { agreement }, summary: `MRPiPS odrzuciło zgłoszenie. Powód: ${r.reason}`, outcome: { decision: 'REJECT' } };
      return { set: { agreement, variant: r.decision }, summary: `MRPiPS uzgodniło tryb zmiany: ${VARIANT_LABEL[r.decision]}.`, outcome: { decision: r.decision } };
    }
    case 'NEW_COLLECTIONS': {
      const r = response as { newCollections: { oldCollectionCode: string; newCollectionCode: string }[] };
      const collections = record.collections.map((c, i) => ({ ...c, newCode: r.newCollections[i]!.newCollectionCode }));
      return {
        set: { collections },
        summary: `MRPiPS utworzyło nowe zbiory CBB: ${collections.map((c) => `${c.oldCode} → ${c.newCode}`).join(', ')}.`,
        outcome: {},
        newCollections: collections.map((c) => ({ code: c.newCode, area: c.area })),
      };
    }
    case 'OLD_SD_DEACTIVATED': {
      const r = response as { deactivatedOn: string };
      return { set: { oldSdDeactivatedOn: r.deactivatedOn }, summary: `JST potwierdziła deaktywację dotychczasowego SD (${r.deactivatedOn}).`, outcome: {} };
    }
    case 'NEW_SD_FEEDING': {
      const r = response as { feedingStartedOn: string };
      return {
        set: { newSdFeedingSince: r.feedingStartedOn },
        summary: `JST potwierdziła aktywację nowego SD i ${record.variant === 'WITH_MIGRATION' ? 'inicjalne zasilenie' : 'rozpoczęcie zasilania'} nowych zbiorów (${r.feedingStartedOn}${round > 1 ? `, runda ${round}` : ''}).`,
        outcome: {},
      };
    }
    case 'MZT_DEACTIVATED': {
      const r = response as { deactivatedOn: string };
      return { set: { mztDeactivatedOn: r.deactivatedOn }, summary: `Wojewódzki Administrator potwierdził deaktywację urzędników i jednostki w MZT (${r.deactivatedOn}).`, outcome: {} };
    }
    case 'VERIFY_COLLECTIONS': {
      const r = response as { result: 'OK' | 'DISCREPANCIES'; comment?: string };
      return {
        set: { verification: { round, result: r.result, ...(r.comment ? { comment: r.comment } : {}) } },
        summary: r.result === 'OK' ? `MRPiPS zweryfikowało zbiory: dane zgodne (runda ${round}).` : `MRPiPS stwierdziło rozbieżności (runda ${round}): ${r.comment}`,
        outcome: { round, result: r.result, comment: r.comment ?? null },
      };
    }
  }
}

/** The confirmed data as label/value rows for people (e-mails to MRPiPS, pages). */
export function describeResponse(step: StepId, ctx: StepContext, response: StepResponse): [string, string][] {
  const def = STEPS[step];
  if (step === 'NEW_COLLECTIONS') {
    const r = response as { newCollections: { oldCollectionCode: string; newCollectionCode: string }[] };
    return r.newCollections.map((c) => [`Nowy zbiór dla ${c.oldCollectionCode}`, c.newCollectionCode]);
  }
  const rows: [string, string][] = [];
  for (const field of def.fields(ctx)) {
    const value = response[field.name];
    if (value === undefined || value === '') continue;
    if (field.kind === 'checkbox') rows.push([field.label, value === true ? 'tak' : 'nie']);
    else if (field.kind === 'radio') rows.push([field.label, field.options.find((o) => o.value === value)?.label ?? String(value)]);
    else rows.push([field.label, String(value)]);
  }
  return rows;
}

export function confirmedSummary(step: StepId, round: number, role: Role, email: string): string {
  return `Potwierdzono krok „${STEPS[step].title}” (${stepKey(step, round)}) — ${role}, ${email}.`;
}

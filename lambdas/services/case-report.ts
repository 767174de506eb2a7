import { CASE_STATUS_LABEL, VARIANT_LABEL, type CaseRecord, type CaseStatus, type Role } from '../core/case.js';
import type { StepRecord } from '../core/step-record.js';
import { STEPS, type StepId } from '../core/steps.js';
import { VOIVODESHIPS, type VoivodeshipCode } from '../core/voivodeships.js';
import { OPEN_CASE_STATUSES } from '../core/case.js';

/**
 * Cases as operations and reporting see them (the operations CLI's list and export): one summary per case
 * with the step(s) it waits for. Pure functions over what a scan of the table returns.
 */
export const CASE_STATUSES = Object.keys(CASE_STATUS_LABEL) as CaseStatus[];

const DAY_MS = 86_400_000;

export interface AwaitedStep {
  stepKey: string;
  step: StepId;
  title: string;
  role: Role;
  recipient: string;
  /** When the step was first requested. */
  since: string;
  deadline: string;
  remindersSent: number;
  daysWaiting: number;
}

export interface CaseSummary {
  caseId: string;
  status: CaseStatus;
  statusLabel: string;
  createdAt: string;
  updatedAt: string;
  ageDays: number;
  officeName: string;
  teryt: string;
  voivodeship: VoivodeshipCode;
  voivodeshipName: string;
  mztUnitCode: string;
  plannedChangeDate: string;
  variant: string | null;
  collections: { area: string; oldCode: string; newCode: string | null }[];
  oldSd: string;
  newSd: string;
  /** The steps the case waits for (two while b and c run in parallel); none unless the case is open. */
  awaiting: AwaitedStep[];
  /** The longest wait among the awaited steps, in whole days; null when nothing is awaited. */
  daysWaiting: number | null;
  outcome: CaseRecord['outcome'] | null;
  failure: CaseRecord['failure'] | null;
  cancellation: CaseRecord['cancellation'] | null;
}

const days = (from: string, now: Date) => Math.max(0, Math.floor((now.getTime() - new Date(from).getTime()) / DAY_MS));

export function summariseCases(cases: CaseRecord[], steps: StepRecord[], now: Date): CaseSummary[] {
  const stepsByCase = new Map<string, StepRecord[]>();
  for (const step of steps) stepsByCase.set(step.caseId, [...(stepsByCase.get(step.caseId) ?? []), step]);
  return cases
    .map((record) => summariseCase(record, stepsByCase.get(record.caseId) ?? [], now))
    .sort((a, b) => a.createdAt.localeCompare(b.createdAt) || a.caseId.localeCompare(b.caseId));
}

export function summariseCase(record: CaseRecord, steps: StepRecord[], now: Date): CaseSummary {
  const n = record.notification;
  const awaiting: AwaitedStep[] = OPEN_CASE_STATUSES.includes(record.status)
    ? steps
        .filter((s) => s.status === 'PENDING')
        .sort((a, b) => a.requestedAt.localeCompare(b.requestedAt))
        .map((s) => ({
          stepKey: s.stepKey,
          step: s.step,
          title: STEPS[s.step].title,
          role: s.role,
          recipient: s.recipient,
          since: s.requestedAt,
          deadline: s.deadline,
          remindersSent: s.remindersSent,
          daysWaiting: days(s.requestedAt, now),
        }))
    : [];
  return {
    caseId: record.caseId,
    status: record.status,
    statusLabel: CASE_STATUS_LABEL[record.status] ?? record.status,
    createdAt: record.createdAt,
    updatedAt: record.updatedAt,
    ageDays: days(record.createdAt, now),
    officeName: n.officeName,
    teryt: n.teryt,
    voivodeship: record.voivodeship,
    voivodeshipName: VOIVODESHIPS[record.voivodeship] ?? '',
    mztUnitCode: n.mztUnitCode,
    plannedChangeDate: n.plannedChangeDate,
    variant: record.variant ?? null,
    collections: record.collections.map((c) => ({ area: c.area, oldCode: c.oldCode, newCode: c.newCode ?? null })),
    oldSd: `${n.oldSd.product} (${n.oldSd.supplier})`,
    newSd: `${n.newSd.product} (${n.newSd.supplier})`,
    awaiting,
    daysWaiting: awaiting.length ? Math.max(...awaiting.map((a) => a.daysWaiting)) : null,
    outcome: record.outcome ?? null,
    failure: record.failure ?? null,
    cancellation: record.cancellation ?? null,
  };
}

export interface CaseFilter {
  status?: CaseStatus;
  voivodeship?: VoivodeshipCode;
  /** A step id (any round) or a step key (`STEP.round`) the case waits for. */
  step?: string;
  /** Cases created at least this long ago. */
  olderThanMs?: number;
}

export function filterCases(summaries: CaseSummary[], filter: CaseFilter, now: Date): CaseSummary[] {
  return summaries.filter(
    (s) =>
      (filter.status === undefined || s.status === filter.status) &&
      (filter.voivodeship === undefined || s.voivodeship === filter.voivodeship) &&
      (filter.step === undefined || s.awaiting.some((a) => a.step === filter.step || a.stepKey === filter.step)) &&
      (filter.olderThanMs === undefined || now.getTime() - new Date(s.createdAt).getTime() >= filter.olderThanMs),
  );
}

/** The CSV columns of the report: no personal data (no names, contact addresses or phone numbers). */
export const CSV_COLUMNS: [string, (s: CaseSummary) => string | number | null | undefined][] = [
  ['case_id', (s) => s.caseId],
  ['status', (s) => s.status],
  ['status_label', (s) => s.statusLabel],
  ['created_at', (s) => s.createdAt],
  ['updated_at', (s) => s.updatedAt],
  ['age_days', (s) => s.ageDays],
  ['office_name', (s) => s.officeName],
  ['teryt', (s) => s.teryt],
  ['voivodeship', (s) => s.voivodeship],
  ['voivodeship_name', (s) => s.voivodeshipName],
  ['mzt_unit_code', (s) => s.mztUnitCode],
  ['planned_change_date', (s) => s.plannedChangeDate],
  ['variant', (s) => (s.variant ? VARIANT_LABEL[s.variant as keyof typeof VARIANT_LABEL] ?? s.variant : '')],
  ['areas', (s) => s.collections.map((c) => c.area).join('; ')],
  ['old_collections', (s) => s.collections.map((c) => c.oldCode).join('; ')],
  ['new_collections', (s) => (s.collections.some((c) => c.newCode) ? s.collections.map((c) => c.newCode ?? '').join('; ') : '')],
  ['old_sd', (s) => s.oldSd],
  ['new_sd', (s) => s.newSd],
  ['awaited_steps', (s) => s.awaiting.map((a) => a.stepKey).join('; ')],
  ['awaited_roles', (s) => s.awaiting.map((a) => a.role).join('; ')],
  ['days_waiting', (s) => s.daysWaiting],
  ['reminders_sent', (s) => (s.awaiting.length ? Math.max(...s.awaiting.map((a) => a.remindersSent)) : null)],
  ['collections_outcome', (s) => s.outcome?.collectionsState],
  ['outcome_at', (s) => s.outcome?.at],
  ['failure_step', (s) => s.failure?.step],
  ['failure_reason', (s) => s.failure?.reason],
  ['cancelled_at', (s) => s.cancellation?.at],
  ['cancellation_reason', (s) => s.cancellation?.reason],
];

/**
 * One CSV field (RFC 4180): quoted when it holds a comma, quote, CR or LF, quotes doubled. Text that a
 * spreadsheet would run as a formula (starting with = + - @ or a tab/CR) is prefixed with an apostrophe.
 */
export function csvField(value: string | number | null | undefined): string {
  if (value === null || value === undefined) return '';
  let text = String(value);
  if (typeof value === 'string' && /^[=+\-@\t\r]/.test(text)) text = `'${text}`;
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

export function csvRow(values: (string | number | null | undefined)[]): string {
  return `${values.map(csvField).join(',')}\r\n`;
}

export const csvHeader = (): string => csvRow(CSV_COLUMNS.map(([name]) => name));
export const csvLine = (summary: CaseSummary): string => csvRow(CSV_COLUMNS.map(([, value]) => value(summary)));

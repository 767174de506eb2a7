import type { Notification } from './notification.js';
import { VOIVODESHIPS, voivodeshipOf, type VoivodeshipCode } from './voivodeships.js';

export type CaseStatus = 'IN_PROGRESS' | 'UNCONFIRMED' | 'REJECTED' | 'COMPLETED' | 'ESCALATED' | 'FAILED' | 'STALLED' | 'INCIDENT' | 'CANCELLED';
export type Variant = 'WITH_MIGRATION' | 'WITHOUT_MIGRATION';
export type Role = 'JST' | 'MRPIPS' | 'VOIVODESHIP_ADMIN';
export type CollectionState = 'ACTIVE' | 'CLOSED' | 'ARCHIVED';

/**
 * A case whose steps still wait for participants: a stalled case still accepts its participant's answer, and a
 * case held by an incident still accepts answers to the steps that wait (the other branch of b+c, say).
 */
export const OPEN_CASE_STATUSES: readonly CaseStatus[] = ['IN_PROGRESS', 'STALLED', 'INCIDENT'];

export const CASE_STATUS_LABEL: Record<CaseStatus, string> = {
  IN_PROGRESS: 'w toku',
  STALLED: 'wstrzymana — krok po terminie, czeka na decyzję MRPiPS',
  INCIDENT: 'wstrzymana — błąd techniczny, czeka na interwencję MRPiPS',
  UNCONFIRMED: 'zgłoszenie wygasło (adres kontaktowy niepotwierdzony)',
  REJECTED: 'zgłoszenie odrzucone',
  COMPLETED: 'zakończona',
  ESCALATED: 'przekazana do wyjaśnienia w MRPiPS',
  FAILED: 'błąd przetwarzania',
  CANCELLED: 'anulowana przez MRPiPS',
};

export const VARIANT_LABEL: Record<Variant, string> = {
  WITH_MIGRATION: 'z migracją danych',
  WITHOUT_MIGRATION: 'bez migracji danych',
};

export const ROLE_LABEL: Record<Role, string> = {
  JST: 'jednostka samorządu terytorialnego (JST)',
  MRPIPS: 'MRPiPS, Departament Informatyki',
  VOIVODESHIP_ADMIN: 'Wojewódzki Administrator MZT CSIZS',
};

export const COLLECTION_STATE_LABEL: Record<CollectionState, string> = {
  ACTIVE: 'aktywny',
  CLOSED: 'zamknięty (dostępny dla usług weryfikacyjnych)',
  ARCHIVED: 'zarchiwizowany (niedostępny dla usług)',
};

export interface CaseCollection {
  area: string;
  oldCode: string;
  newCode?: string;
}

export interface TimelineEntry {
  /** Deterministic id of the event: appending the same event twice (a retried Lambda) is a no-op. */
  id: string;
  at: string;
  actor: { role: Role | 'SYSTEM'; email?: string };
  action: string;
  /** Polish, for people reading the case. */
  summary: string;
  step?: string;
  details?: Record<string, string | number | boolean | null>;
}

export interface CaseRecord {
  caseId: string;
  status: CaseStatus;
  createdAt: string;
  updatedAt: string;
  executionId?: string;
  notification: Notification;
  voivodeship: VoivodeshipCode;
  collections: CaseCollection[];
  contactConfirmedAt?: string;
  variant?: Variant;
  agreement?: { decision: Variant | 'REJECT'; reason?: string; note?: string };
  oldSdDeactivatedOn?: string;
  newSdFeedingSince?: string;
  mztDeactivatedOn?: string;
  verification?: { round: number; result: 'OK' | 'DISCREPANCIES'; comment?: string };
  outcome?: { collectionsState: CollectionState; at: string };
  failure?: { step: string; reason: string; at: string };
  /** While the case is held by an incident (status INCIDENT): the status it returns to when the incident is retried. */
  statusBeforeIncident?: CaseStatus;
  /** Set when MRPiPS cancelled the case (operations CLI): why, by whom, when. */
  cancellation?: { reason: string; by: string; at: string };
  /** When the case left the open statuses (its status links work STATUS_LINK_DAYS_AFTER_END days more). */
  endedAt?: string;
  /** Raised by each revocation of the case's status links (core/links.ts StatusLinkSubject); absent = 0. */
  statusLinkGeneration?: number;
}

/** The case as registered from a validated notification. */
export function newCase(caseId: string, notification: Notification, now: string, executionId?: string): CaseRecord {
  return {
    caseId,
    status: 'IN_PROGRESS',
    createdAt: now,
    updatedAt: now,
    ...(executionId ? { executionId } : {}),
    notification,
    voivodeship: voivodeshipOf(notification.teryt),
    collections: notification.areas.map((area) => ({ area: area.area, oldCode: area.oldCollectionCode })),
  };
}

/** The first entry of every case's timeline. */
export function registeredEvent(record: Pick<CaseRecord, 'notification' | 'createdAt'>): TimelineEntry {
  return {
    id: 'registered',
    at: record.createdAt,
    actor: { role: 'JST', email: record.notification.contact.email },
    action: 'NOTIFICATION_REGISTERED',
    summary: `Zarejestrowano zgłoszenie zmiany dostawcy SD (${record.notification.officeName}).`,
  };
}

/** A timeline as people read it: oldest first (entries are stored by id, so their order is their time). */
export function byTime(entries: TimelineEntry[]): TimelineEntry[] {
  return [...entries].sort((a, b) => a.at.localeCompare(b.at) || a.id.localeCompare(b.id));
}

/** Case ids are read aloud by officials and are the execution names: ZSD-<year>-<5-digit sequence>. */
export function formatCaseId(year: number, sequence: number): string {
  return `ZSD-${year}-${String(sequence).padStart(5, '0')}`;
}

export const CASE_ID_PATTERN = /^ZSD-\d{4}-\d{5,}$/;

export function unitLabel(record: Pick<CaseRecord, 'notification'>): string {
  return `${record.notification.officeName} (TERYT ${record.notification.teryt})`;
}

export function voivodeshipName(code: VoivodeshipCode): string {
  return VOIVODESHIPS[code];
}

import * as z from 'zod';
import type { CaseRecord, Role, Variant } from './case.js';
import { VARIANT_LABEL } from './case.js';
import { collectionCode, isoDate, multiLine, todayInPoland } from './fields.js';

/**
 * The step catalogue: every human confirmation of the procedure, who gives it, what the participant is
 * asked to do, which form fields the link page shows and how the answer is validated. The confirmation
 * state machine, the e-mails and the link pages all read this one table.
 */
export const STEP_IDS = ['CONFIRM_CONTACT', 'AGREE_VARIANT', 'NEW_COLLECTIONS', 'OLD_SD_DEACTIVATED', 'NEW_SD_FEEDING', 'MZT_DEACTIVATED', 'VERIFY_COLLECTIONS'] as const;
export type StepId = (typeof STEP_IDS)[number];
export const stepIdSchema = z.enum(STEP_IDS);

export type FormField =
  | { kind: 'radio'; name: string; label: string; options: { value: string; label: string }[] }
  | { kind: 'date'; name: string; label: string; hint?: string }
  | { kind: 'textarea'; name: string; label: string; hint?: string; maxLength: number; optional: boolean }
  | { kind: 'text'; name: string; label: string; hint?: string; maxLength: number }
  | { kind: 'checkbox'; name: string; label: string };

export interface StepContext {
  record: CaseRecord;
  round: number;
  /** MRPiPS's comment when a step is repeated after a failed verification. */
  comment?: string | null;
  today?: string;
}

export interface StepDefinition {
  id: StepId;
  /** Where the step is in the original text: "2", "3a/4a", ... */
  ref: string;
  role: Role;
  title: string;
  /** What the participant must do, in Polish, for this case. */
  instructions(ctx: StepContext): string[];
  fields(ctx: StepContext): FormField[];
  /** Validates a response (from the form, already shaped by `fromForm`, or from an event payload). */
  schema(ctx: StepContext): z.ZodType<StepResponse>;
  /** Maps flat form fields to the response shape; the schema then validates it. */
  fromForm(form: Record<string, string>, ctx: StepContext): unknown;
  submitLabel: string;
  /** The supplier's contact (if given) is told of the JST's step b requests in a message of its own, without the link. */
  copySupplier: boolean;
  /** Whether the recipient may hand the step to a colleague (not for confirming one's own address). */
  delegable: boolean;
}

export type StepResponse = Record<string, unknown>;

const CONFIRMED = 'tak';
const confirmed = z.literal(true, { error: 'Zaznacz potwierdzenie, aby kontynuować.' });
const formConfirmed = (value: string | undefined) => value === CONFIRMED;
const note = multiLine(2000).optional();
const optionalText = (value: string | undefined) => (value === undefined || value.trim() === '' ? undefined : value);

const pastOrToday = (ctx: StepContext) =>
  isoDate.refine((value) => value <= (ctx.today ?? todayInPoland()), 'Data nie może być w przyszłości.');

const variantText = (record: CaseRecord) => (record.variant ? VARIANT_LABEL[record.variant] : 'wariant nieustalony');

function dateConfirmationStep(spec: {
  id: StepId;
  ref: string;
  role: Role;
  title: string;
  dateField: string;
  dateLabel: string;
  checkboxLabel: (ctx: StepContext) => string;
  instructions: (ctx: StepContext) => string[];
  submitLabel: string;
  copySupplier: boolean;
}): StepDefinition {
  return {
    id: spec.id,
    ref: spec.ref,
    role: spec.role,
    title: spec.title,
    instructions: spec.instructions,
    submitLabel: spec.submitLabel,
    copySupplier: spec.copySupplier,
    delegable: true,
    fields: (ctx) => [
      { kind: 'date', name: spec.dateField, label: spec.dateLabel, hint: 'Nie później niż dziś.' },
      { kind: 'checkbox', name: 'confirmed', label: spec.checkboxLabel(ctx) },
      { kind: 'textarea', name: 'note', label: 'Uwagi (opcjonalnie)', maxLength: 2000, optional: true },
    ],
    schema: (ctx) => z.object({ [spec.dateField]: pastOrToday(ctx), confirmed, note }).strict(),
    fromForm: (form) => ({ [spec.dateField]: form[spec.dateField] ?? '', confirmed: formConfirmed(form.confirmed), note: optionalText(form.note) }),
  };
}

const feedingText = (variant: Variant | undefined) =>
  variant === 'WITH_MIGRATION'
    ? 'nowy SD jest aktywny, dane z lokalnej bazy starego SD zostały zmigrowane, a nowe zbiory CBB zostały zasilone inicjalnie (pełne zasilenie)'
    : 'nowy SD jest aktywny i rozpoczął zasilanie nowych zbiorów CBB';

export const STEPS: Record<StepId, StepDefinition> = {
  CONFIRM_CONTACT: {
    id: 'CONFIRM_CONTACT',
    ref: '1',
    role: 'JST',
    title: 'Potwierdzenie adresu e-mail osoby kontaktowej',
    copySupplier: false,
    delegable: false,
    submitLabel: 'Potwierdzam adres i zgłoszenie',
    // Said before the address is confirmed: nothing the submitter typed, formal Polish.
    instructions: () => [
      'Ten adres podano jako adres osoby kontaktowej w zgłoszeniu zmiany dostawcy SD. Dane zgłoszenia pokazano tak, jak wpisano je w formularzu; MRPiPS ich nie sprawdzało.',
      'Prosimy potwierdzić, że adres należy do Państwa i że zgłoszenie złożono w imieniu jednostki. Dopiero wtedy zgłoszenie trafi do MRPiPS. Jeżeli nie składali Państwo tego zgłoszenia, prosimy nie potwierdzać — niepotwierdzone zgłoszenie wygaśnie.',
    ],
    fields: () => [{ kind: 'checkbox', name: 'confirmed', label: 'Potwierdzam, że ten adres e-mail należy do mnie i że zgłoszenie złożono w imieniu jednostki.' }],
    schema: () => z.object({ confirmed }).strict(),
    fromForm: (form) => ({ confirmed: formConfirmed(form.confirmed) }),
  },

  AGREE_VARIANT: {
    id: 'AGREE_VARIANT',
    ref: '2',
    role: 'MRPIPS',
    title: 'Uzgodnienie trybu zmiany dostawcy SD',
    copySupplier: false,
    delegable: true,
    submitLabel: 'Zapisz decyzję',
    instructions: ({ record }) => [
      `Jednostka ${record.notification.officeName} zgłosiła planowaną zmianę dostawcy SD na dzień ${record.notification.plannedChangeDate}.`,
      'Uzgodnij z JST tryb postępowania: z migracją danych (nowy dostawca przenosi pełne dane z lokalnej bazy starego SD) albo bez migracji. Jeżeli zgłoszenie jest niekompletne lub nie może być przyjęte, odrzuć je, podając powód — JST otrzyma go e-mailem.',
    ],
    fields: () => [
      {
        kind: 'radio',
        name: 'decision',
        label: 'Decyzja',
        options: [
          { value: 'WITH_MIGRATION', label: 'Zmiana z migracją danych (zbiory stare zostaną zarchiwizowane)' },
          { value: 'WITHOUT_MIGRATION', label: 'Zmiana bez migracji danych (zbiory stare zostaną zamknięte)' },
          { value: 'REJECT', label: 'Odrzucenie zgłoszenia' },
        ],
      },
      { kind: 'textarea', name: 'reason', label: 'Powód odrzucenia (wymagany przy odrzuceniu)', maxLength: 2000, optional: true },
      { kind: 'textarea', name: 'note', label: 'Ustalenia z JST (opcjonalnie)', maxLength: 2000, optional: true },
    ],
    schema: () =>
      z
        .object({
          decision: z.enum(['WITH_MIGRATION', 'WITHOUT_MIGRATION', 'REJECT'], { error: 'Wybierz jedną z decyzji.' }),
          reason: multiLine(2000).optional(),
          note,
        })
        .strict()
        .superRefine((value, ctx) => {
          if (value.decision === 'REJECT' && !value.reason) {
            ctx.addIssue({ code: 'custom', path: ['reason'], message: 'Podaj powód odrzucenia — JST otrzyma go e-mailem.' });
          }
        }),
    fromForm: (form) => ({ decision: form.decision ?? '', reason: optionalText(form.reason), note: optionalText(form.note) }),
  },

  NEW_COLLECTIONS: {
    id: 'NEW_COLLECTIONS',
    ref: '3a/4a',
    role: 'MRPIPS',
    title: 'Utworzenie nowych zbiorów CBB',
    copySupplier: false,
    delegable: true,
    submitLabel: 'Zapisz kody nowych zbiorów',
    instructions: ({ record }) => [
      `Tryb zmiany: ${variantText(record)}.`,
      'Utwórz w CBB nowe zbiory, które JST będzie zasilać z nowego SD — po jednym dla każdego dotychczasowego zbioru — i wpisz ich kody. JST otrzyma kody e-mailem.',
    ],
    fields: ({ record }) =>
      record.collections.map((collection, index) => ({
        kind: 'text' as const,
        name: `newCollections.${index}.newCollectionCode`,
        label: `Nowy kod zbioru — obszar „${collection.area}” (dotychczasowy zbiór ${collection.oldCode})`,
        maxLength: 40,
      })),
    schema: ({ record }) =>
      z
        .object({
          newCollections: z
            .array(z.object({ oldCollectionCode: z.string().max(40), newCollectionCode: collectionCode }).strict())
            .length(record.collections.length, 'Podaj nowy kod dla każdego zbioru.'),
        })
        .strict()
        .superRefine((value, ctx) => {
          const oldCodes = new Set(record.collections.map((collection) => collection.oldCode));
          const seen = new Set<string>();
          value.newCollections.forEach((entry, index) => {
            if (entry.oldCollectionCode !== record.collections[index]?.oldCode) {
              ctx.addIssue({ code: 'custom', path: ['newCollections', index, 'oldCollectionCode'], message: 'Kolejność zbiorów nie zgadza się ze sprawą.' });
            }
            if (oldCodes.has(entry.newCollectionCode)) {
              ctx.addIssue({ code: 'custom', path: ['newCollections', index, 'newCollectionCode'], message: 'Nowy zbiór musi mieć inny kod niż dotychczasowe zbiory.' });
            } else if (seen.has(entry.newCollectionCode)) {
              ctx.addIssue({ code: 'custom', path: ['newCollections', index, 'newCollectionCode'], message: 'Każdy nowy zbiór musi mieć inny kod.' });
            }
            seen.add(entry.newCollectionCode);
          });
        }),
    fromForm: (form, { record }) => ({
      newCollections: record.collections.map((collection, index) => ({
        oldCollectionCode: collection.oldCode,
        newCollectionCode: form[`newCollections.${index}.newCollectionCode`] ?? '',
      })),
    }),
  },

  OLD_SD_DEACTIVATED: dateConfirmationStep({
    id: 'OLD_SD_DEACTIVATED',
    ref: '3b/4b',
    role: 'JST',
    title: 'Deaktywacja dotychczasowego SD',
    dateField: 'deactivatedOn',
    dateLabel: 'Data deaktywacji dotychczasowego SD',
    checkboxLabel: ({ record }) => `Potwierdzam, że dotychczasowy SD (${record.notification.oldSd.product}, ${record.notification.oldSd.supplier}) został zdeaktywowany i nie zasila już zbiorów CBB.`,
    instructions: ({ record }) => [
      `Tryb zmiany: ${variantText(record)}.`,
      `Zdeaktywuj dotychczasowy SD (${record.notification.oldSd.product}, dostawca ${record.notification.oldSd.supplier}) i potwierdź to poniżej. Po potwierdzeniu Wojewódzki Administrator MZT zdeaktywuje urzędników i jednostkę w MZT CSIZS.`,
    ],
    submitLabel: 'Potwierdzam deaktywację',
    copySupplier: true,
  }),

  NEW_SD_FEEDING: dateConfirmationStep({
    id: 'NEW_SD_FEEDING',
    ref: '3b/4b',
    role: 'JST',
    title: 'Aktywacja nowego SD i zasilenie nowych zbiorów CBB',
    dateField: 'feedingStartedOn',
    dateLabel: 'Data zasilenia (rozpoczęcia zasilania) nowych zbiorów',
    checkboxLabel: ({ record }) => `Potwierdzam, że ${feedingText(record.variant)}.`,
    instructions: ({ record, round, comment }) => [
      `Tryb zmiany: ${variantText(record)}.`,
      `Aktywuj nowy SD (${record.notification.newSd.product}, dostawca ${record.notification.newSd.supplier}) i zasil z niego nowe zbiory CBB: ${record.collections.map((c) => c.newCode ?? '?').join(', ')}. ${
        record.variant === 'WITH_MIGRATION' ? 'W tym trybie nowy dostawca przenosi pełne dane ze starego SD, a nowe zbiory są zasilane inicjalnie.' : 'W tym trybie dane nie są migrowane; nowy SD rozpoczyna zasilanie nowych zbiorów.'
      }`,
      ...(round > 1 ? [`Weryfikacja MRPiPS wykazała rozbieżności (runda ${round}). Uwagi MRPiPS: ${comment ?? '(brak)'}. Popraw zasilenie i potwierdź ponownie.`] : []),
    ],
    submitLabel: 'Potwierdzam zasilenie',
    copySupplier: true,
  }),

  MZT_DEACTIVATED: dateConfirmationStep({
    id: 'MZT_DEACTIVATED',
    ref: '3c/4c',
    role: 'VOIVODESHIP_ADMIN',
    title: 'Deaktywacja urzędników i jednostki w MZT CSIZS',
    dateField: 'deactivatedOn',
    dateLabel: 'Data deaktywacji w MZT',
    checkboxLabel: ({ record }) => `Potwierdzam, że urzędnicy i jednostka ${record.notification.mztUnitCode} zostali zdeaktywowani w MZT CSIZS i jednostka nie ma aktywnych obiektów.`,
    instructions: ({ record }) => [
      `JST ${record.notification.officeName} zdeaktywowała dotychczasowy SD${record.oldSdDeactivatedOn ? ` (${record.oldSdDeactivatedOn})` : ''}.`,
      `W MZT CSIZS zdeaktywuj urzędników JST i całą jednostkę o kodzie ${record.notification.mztUnitCode}, tak aby nie miała żadnych aktywnych obiektów, i potwierdź to poniżej.`,
    ],
    submitLabel: 'Potwierdzam deaktywację w MZT',
    copySupplier: false,
  }),

  VERIFY_COLLECTIONS: {
    id: 'VERIFY_COLLECTIONS',
    ref: '3d/4d',
    role: 'MRPIPS',
    title: 'Weryfikacja zbiorów starych z nowymi',
    copySupplier: false,
    delegable: true,
    submitLabel: 'Zapisz wynik weryfikacji',
    instructions: ({ record, round }) => [
      `Tryb zmiany: ${variantText(record)}. Runda weryfikacji: ${round} z 3.`,
      `Zweryfikuj dane zbiorów dotychczasowych (${record.collections.map((c) => c.oldCode).join(', ')}) z nowymi zbiorami przypisanymi do nowego SD (${record.collections.map((c) => c.newCode ?? '?').join(', ')}).`,
      `Po pozytywnej weryfikacji zbiory dotychczasowe zostaną ${record.variant === 'WITH_MIGRATION' ? 'zarchiwizowane (staną się niedostępne dla usług)' : 'zamknięte (pozostaną dostępne dla usług weryfikacyjnych)'}, a JST otrzyma informację o wykonanych czynnościach. Przy rozbieżnościach sprawa wraca do JST z Twoimi uwagami.`,
    ],
    fields: () => [
      {
        kind: 'radio',
        name: 'result',
        label: 'Wynik weryfikacji',
        options: [
          { value: 'OK', label: 'Dane zgodne — zakończ zmianę' },
          { value: 'DISCREPANCIES', label: 'Rozbieżności — zwróć JST do poprawy zasilenia' },
        ],
      },
      { kind: 'textarea', name: 'comment', label: 'Uwagi dla JST (wymagane przy rozbieżnościach)', maxLength: 2000, optional: true },
    ],
    schema: () =>
      z
        .object({ result: z.enum(['OK', 'DISCREPANCIES'], { error: 'Wybierz wynik weryfikacji.' }), comment: multiLine(2000).optional() })
        .strict()
        .superRefine((value, ctx) => {
          if (value.result === 'DISCREPANCIES' && !value.comment) {
            ctx.addIssue({ code: 'custom', path: ['comment'], message: 'Opisz rozbieżności — JST otrzyma Twoje uwagi.' });
          }
        }),
    fromForm: (form) => ({ result: form.result ?? '', comment: optionalText(form.comment) }),
  },
};

/** Step items and links name a step instance: the step and its round (a step repeats after failed verification). */
export function stepKey(step: StepId, round: number): string {
  return `${step}.${round}`;
}

export const stepKeySchema = z
  .string()
  .regex(/^[A-Z_]+\.\d{1,2}$/)
  .transform((value, ctx) => {
    const [step, round] = value.split('.');
    const parsed = stepIdSchema.safeParse(step);
    if (!parsed.success) {
      ctx.addIssue({ code: 'custom', message: 'unknown step' });
      return z.NEVER;
    }
    return { step: parsed.data, round: Number(round) };
  });

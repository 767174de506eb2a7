/** Polish date formatting for e-mails and pages (times shown in Polish time). */
const dateTime = new Intl.DateTimeFormat('pl-PL', { dateStyle: 'long', timeStyle: 'short', timeZone: 'Europe/Warsaw' });

export function formatDateTime(iso: string | number | Date): string {
  return dateTime.format(new Date(iso));
}

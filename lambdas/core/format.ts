/** Date formatting for e-mails and pages (times shown in Polish time); pages in English get the English form. */
const dateTime = new Intl.DateTimeFormat('pl-PL', { dateStyle: 'long', timeStyle: 'short', timeZone: 'Europe/Warsaw' });
const dateTimeEn = new Intl.DateTimeFormat('en-GB', { dateStyle: 'long', timeStyle: 'short', timeZone: 'Europe/Warsaw' });

export function formatDateTime(iso: string | number | Date, lang: 'pl' | 'en' = 'pl'): string {
  return (lang === 'en' ? dateTimeEn : dateTime).format(new Date(iso));
}

/**
 * The participant pages in English. Everything is written in Polish once (steps, schemas, labels, pages) and
 * translated here, at render time, by `t(lang, text)`: first an exact dictionary of Polish source strings,
 * then ordered patterns for sentences that carry case data (step instructions, validation limits, timeline
 * entries). A string without a translation stays Polish. E-mails are Polish only and never pass through here.
 *
 * Keys of the dictionary are the Polish strings exactly as the code writes them; page sentences with markup
 * are written as templates with `{name}` placeholders (see `fill` in pages.ts) and translated as a whole.
 */
export type Lang = 'pl' | 'en';
export const LANGS: readonly Lang[] = ['pl', 'en'];
export const DEFAULT_LANG: Lang = 'pl';

/** The language of a request: `lang=en` in the query, otherwise Polish. */
export function langOf(query: Record<string, string | undefined> | undefined): Lang {
  return query?.lang === 'en' ? 'en' : 'pl';
}

export function otherLang(lang: Lang): Lang {
  return lang === 'en' ? 'pl' : 'en';
}

/** How the language switch names each language, in that language. */
export const LANG_NAME: Record<Lang, string> = { pl: 'Polski', en: 'English' };

function paramName(part: string): string {
  const name = part.split('=', 1)[0]!.replace(/\+/g, ' ');
  try {
    return decodeURIComponent(name);
  } catch {
    return name;
  }
}

/**
 * The query of the same page in another language: every parameter is kept byte for byte (signed links stay
 * valid), only `lang` is replaced. The switch is a plain GET link and changes nothing.
 */
export function queryInLang(rawQuery: string, lang: Lang): string {
  const kept = rawQuery.split('&').filter((part) => part !== '' && paramName(part) !== 'lang');
  return [...kept, `lang=${lang}`].join('&');
}

const POLISH_MONTHS: Record<string, string> = {
  stycznia: 'January',
  lutego: 'February',
  marca: 'March',
  kwietnia: 'April',
  maja: 'May',
  czerwca: 'June',
  lipca: 'July',
  sierpnia: 'August',
  września: 'September',
  października: 'October',
  listopada: 'November',
  grudnia: 'December',
};

/** A date written by formatDateTime in Polish ("17 marca 2026 10:00"), as formatDateTime writes it in English. */
export function englishDate(text: string): string {
  return text.replace(
    /(\d{1,2}) (stycznia|lutego|marca|kwietnia|maja|czerwca|lipca|sierpnia|września|października|listopada|grudnia) (\d{4})(?: (\d{1,2}:\d{2}))?/g,
    (_, day: string, month: string, year: string, time: string | undefined) => `${day} ${POLISH_MONTHS[month]} ${year}${time ? ` at ${time}` : ''}`,
  );
}

/** Polish → English, exact strings. */
const EN_ENTRIES: [string, string][] = [
  // Layout
  ['MRPiPS · Zmiana dostawcy systemu dziedzinowego (SD) · CBB CSIZS', 'MRPiPS · Change of the domain system (SD) supplier · CBB CSIZS'],
  ['Zmiana dostawcy SD', 'Change of SD supplier'],
  [
    'Procedura zmiany dostawcy SD zasilającego Centralną Bazę Beneficjentów. W razie pytań: Departament Informatyki MRPiPS.',
    'Procedure for changing the supplier of the domain system (SD) that feeds the Central Beneficiary Database (CBB). Questions: IT Department of MRPiPS (Ministry of Family, Labour and Social Policy).',
  ],

  // Forms in general
  ['Formularz zawiera błędy ({count})', 'The form has errors ({count})'],
  ['Formularz', 'Form'],
  ['Błąd: ', 'Error: '],
  [' (opcjonalnie)', ' (optional)'],
  ['Uwagi (opcjonalnie)', 'Remarks (optional)'],
  ['tak', 'yes'],
  ['nie', 'no'],

  // Step page
  ['Sprawa {caseId} · krok {ref} procedury · termin: {deadline}', 'Case {caseId} · step {ref} of the procedure · deadline: {deadline}'],
  ['Potwierdzasz jako: {recipient} ({role}).', 'You are confirming as: {recipient} ({role}).'],
  ['Podsumowanie sprawy', 'Case summary'],
  ['Nie jesteś właściwą osobą?', 'Not the right person?'],
  [
    'Możesz przekazać ten krok współpracownikowi. Otrzyma własny link, a Twój link przestanie działać. MRPiPS zostanie o tym poinformowane.',
    'You can hand this step over to a colleague. They will get their own link and your link will stop working. MRPiPS will be informed.',
  ],
  ['Adres e-mail osoby, której przekazujesz krok', 'E-mail address of the person you are handing the step over to'],
  ['Przekaż krok', 'Hand over the step'],

  // Confirmed, already recorded, handed over
  ['Dziękujemy', 'Thank you'],
  ['Dziękujemy — potwierdzenie zapisane', 'Thank you — confirmation recorded'],
  [
    'Krok „{title}” w sprawie {caseId} został potwierdzony {at}. MRPiPS otrzymało informację. O kolejnych krokach poinformujemy e-mailem.',
    'Step “{title}” in case {caseId} was confirmed on {at}. MRPiPS has been informed. We will tell you about the next steps by e-mail.',
  ],
  ['Już potwierdzono', 'Already confirmed'],
  ['Ten krok został już potwierdzony', 'This step has already been confirmed'],
  [
    'Krok „{title}” w sprawie {caseId} potwierdził(a) {by} w dniu {at}. Nie trzeba nic więcej robić.',
    'Step “{title}” in case {caseId} was confirmed by {by} on {at}. Nothing more needs to be done.',
  ],
  ['Potwierdzone dane', 'Confirmed data'],
  ['Krok przekazany', 'Step handed over'],
  ['Przekazanie kroku', 'Handing the step over'],
  ['Nie można przekazać kroku', 'The step cannot be handed over'],
  ['Nic nie zostało zmienione.', 'Nothing was changed.'],
  ['Krok „{title}” w sprawie {caseId}.', 'The step “{title}” in case {caseId}.'],
  [
    'Tego kroku nie można już przekazać za pomocą linku: został przekazany tyle razy, ile pozwalają zasady procedury. Jeżeli krok ma wykonać inna osoba, prosimy o kontakt z MRPiPS (Departament Informatyki), które może przypisać go innej osobie.',
    'This step can no longer be handed over through the link: it has been handed over as many times as the procedure allows. If another person should complete it, please contact MRPiPS (IT Department), which can assign it to another person.',
  ],
  [
    'Krok „{title}” w sprawie {caseId} został przekazany osobie: {to}, która otrzymała własny link e-mailem; dotychczasowy link przestał działać.',
    'The step “{title}” in case {caseId} has been handed over to: {to}, who has received their own link by e-mail; the previous link no longer works.',
  ],
  [
    'Nie udało się jeszcze powiadomić MRPiPS ani odnotować przekazania w przebiegu sprawy. Prosimy za kilka minut wysłać formularz ponownie (odświeżyć stronę i potwierdzić ponowne wysłanie): krok nie zostanie przekazany drugi raz, a brakujące powiadomienie zostanie wysłane.',
    'MRPiPS could not be told yet, nor the hand-over recorded in the case history. Please send the form again in a few minutes (reload the page and confirm sending again): the step will not be handed over a second time, and the missing notice will be sent.',
  ],
  [
    'Krok „{title}” w sprawie {caseId} przekazano osobie: {to}. Otrzyma ona własny link e-mailem; Twój link przestał działać. MRPiPS zostało poinformowane.',
    'Step “{title}” in case {caseId} has been handed over to: {to}. They will get their own link by e-mail; your link no longer works. MRPiPS has been informed.',
  ],

  // Case status page
  ['Sprawa {caseId}', 'Case {caseId}'],
  ['Stan sprawy: {status} · tryb: {variant}. Strona tylko do odczytu.', 'Case status: {status} · mode: {variant}. This page is read-only.'],
  ['Stan sprawy: {status}. Strona tylko do odczytu.', 'Case status: {status}. This page is read-only.'],
  ['Na co czekamy', 'What we are waiting for'],
  ['{title} (krok {ref}) — czeka na: {role}, {recipient}; termin {deadline}', '{title} (step {ref}) — waiting for: {role}, {recipient}; deadline {deadline}'],
  ['Trwa przetwarzanie — za chwilę zostanie wysłana kolejna prośba.', 'Processing — the next request will be sent shortly.'],
  ['Sprawa nie czeka na nikogo.', 'The case is not waiting for anyone.'],
  ['Wiadomości na ten adres nie można doręczyć. MRPiPS przekaże krok na inny adres.', 'E-mail to this address cannot be delivered. MRPiPS will hand the step to another address.'],
  ['Przebieg sprawy', 'Case history'],
  ['Kiedy', 'When'],
  ['Kto', 'Who'],
  ['Co', 'What'],
  ['system', 'system'],

  // Link problems
  ['Niepełny link', 'Incomplete link'],
  [
    'Link jest niepełny lub uszkodzony. Otwórz go ponownie z wiadomości e-mail, w całości (niektóre programy pocztowe dzielą długie adresy).',
    'The link is incomplete or damaged. Open it again from the e-mail, in full (some e-mail programs split long addresses).',
  ],
  ['Nieprawidłowy link', 'Invalid link'],
  [
    'Tego linku nie można zweryfikować: mógł zostać zmieniony. Otwórz link bezpośrednio z wiadomości e-mail.',
    'This link cannot be verified: it may have been changed. Open the link directly from the e-mail.',
  ],
  ['Link wygasł', 'The link has expired'],
  [
    'Termin ważności linku minął. Otrzymasz przypomnienie z nowym linkiem; możesz też skontaktować się z MRPiPS.',
    'The link is no longer valid. You will receive a reminder with a new link; you can also contact MRPiPS.',
  ],
  ['Link nieaktualny', 'Outdated link'],
  ['Link unieważniony', 'Link revoked'],
  [
    'Linki do strony stanu tej sprawy zostały unieważnione przez MRPiPS. Aktualny link znajduje się w każdej wiadomości e-mail w tej sprawie wysłanej po unieważnieniu; w razie potrzeby prosimy o kontakt z MRPiPS.',
    'The links to the status page of this case have been revoked by MRPiPS. The current link is in every e-mail about this case sent after the revocation; if needed, please contact MRPiPS.',
  ],
  [
    'Sprawa została zakończona, a okres, w którym link do strony jej stanu był ważny, upłynął. Informacji o sprawie udziela MRPiPS.',
    'The case has ended and the period in which the link to its status page was valid has passed. MRPiPS can provide information about the case.',
  ],
  [
    'Ten link nie jest już aktualny. Jeżeli otrzymali Państwo nowszą wiadomość w tej sprawie, prosimy skorzystać z zawartego w niej linku. Nic nie zostało zmienione.',
    'This link is no longer valid. If you have received a newer message about this case, please use the link it contains. Nothing has been changed.',
  ],
  ['Krok nie oczekuje na potwierdzenie', 'The step is not waiting for confirmation'],
  [
    'Ten krok nie oczekuje już na potwierdzenie (sprawa jest zakończona, anulowana albo krok został zamknięty). Nic nie zostało zmienione.',
    'This step is no longer waiting for confirmation (the case is finished or cancelled, or the step has been closed). Nothing has been changed.',
  ],
  ['Nie znaleziono sprawy', 'Case not found'],
  ['Nie znaleziono sprawy lub kroku wskazanego w linku.', 'The case or the step named in the link was not found.'],
  ['Formularz nieważny', 'Invalid form'],
  [
    'Formularz nie pochodzi ze strony otwartej z linku albo jest niepełny. Otwórz link z wiadomości e-mail ponownie i wyślij formularz z tej strony. Nic nie zostało zmienione.',
    'The form does not come from the page opened from the link, or it is incomplete. Open the link from the e-mail again and send the form from that page. Nothing has been changed.',
  ],
  [
    'Czas na potwierdzenie tego linku upłynął i wysyłamy nowy link. Użyj linku z najnowszej wiadomości. Nic nie zostało zmienione.',
    'The time to confirm with this link has run out and a new link is being sent. Use the link from the latest e-mail. Nothing has been changed.',
  ],

  // Messages of the handlers
  ['Nieprawidłowe dane', 'Invalid data'],
  ['Formularz jest za duży.', 'The form is too large.'],
  ['Formularz ma za dużo pól.', 'The form has too many fields.'],
  ['Chwilowy problem', 'Temporary problem'],
  [
    'Nie udało się teraz obsłużyć żądania. Nic nie zostało zapisane — spróbuj ponownie za kilka minut.',
    'The request could not be handled right now. Nothing has been saved — please try again in a few minutes.',
  ],
  ['Niedozwolona metoda', 'Method not allowed'],
  ['Dostęp zabroniony', 'Access denied'],
  [
    'Żądanie nie zostało przyjęte: strony procedury są dostępne wyłącznie pod adresem podanym w wiadomości e-mail. Nic nie zostało zapisane.',
    'The request was not accepted: the pages of the procedure are available only at the address given in the e-mail. Nothing has been saved.',
  ],
  ['Ta strona nie obsługuje takiego żądania.', 'This page does not support this kind of request.'],
  ['Zbyt wiele zgłoszeń', 'Too many notifications'],
  [
    'Z tego adresu sieciowego wysłano w ciągu ostatniej godziny zbyt wiele zgłoszeń. Nic nie zostało zapisane. Prosimy spróbować ponownie za godzinę albo skontaktować się z MRPiPS (sekretariat Departamentu Informatyki).',
    'Too many notifications have been sent from this network address in the last hour. Nothing has been saved. Please try again in an hour or contact MRPiPS (the secretariat of the IT Department).',
  ],
  [
    'Na ten adres e-mail osoby kontaktowej wysłano w ciągu ostatniej godziny zbyt wiele zgłoszeń. Nic nie zostało zapisane. Prosimy spróbować ponownie za godzinę albo skontaktować się z MRPiPS (sekretariat Departamentu Informatyki).',
    'Too many notifications have been sent for this contact e-mail address in the last hour. Nothing has been saved. Please try again in an hour or contact MRPiPS (the secretariat of the IT Department).',
  ],
  ['Formularz wysłany z innej strony', 'Form sent from another site'],
  [
    'Zgłoszenie można wysłać tylko z formularza na stronie MRPiPS. Nic nie zostało zapisane. Prosimy otworzyć formularz zgłoszenia bezpośrednio i wysłać go ponownie.',
    'A notification can only be sent from the form on the MRPiPS site. Nothing has been saved. Please open the notification form directly and send it again.',
  ],
  [
    'Nie można potwierdzić, że formularz wypełniono na tej stronie. Nic nie zostało zapisane. Prosimy sprawdzić dane i wysłać formularz ponownie.',
    'It cannot be confirmed that the form was filled in on this site. Nothing has been saved. Please check the data and send the form again.',
  ],
  [
    'Formularz był otwarty dłużej niż 24 godziny. Nic nie zostało zapisane. Prosimy sprawdzić dane i wysłać formularz ponownie.',
    'The form was open for more than 24 hours. Nothing has been saved. Please check the data and send the form again.',
  ],
  ['To jest adres, na który wysłano ten link. Podaj adres innej osoby.', 'This is the address this link was sent to. Enter the address of another person.'],

  // Notification form
  ['Zgłoszenie zmiany dostawcy SD', 'Notification of a change of SD supplier'],
  ['Zgłoszenie zmiany dostawcy systemu dziedzinowego (SD)', 'Notification of a change of the domain system (SD) supplier'],
  [
    'Formularz dla jednostek samorządu terytorialnego (gmin, powiatów) zasilających Centralną Bazę Beneficjentów. Zgłoszenie trafi do MRPiPS (Departament Informatyki). Wszystkie pola są wymagane, chyba że oznaczono je jako opcjonalne.',
    'This form is for local government units (JST: municipalities and counties) that feed the Central Beneficiary Database (CBB). The notification goes to MRPiPS (the IT Department of the Ministry of Family, Labour and Social Policy). All fields are required unless marked as optional.',
  ],
  ['Jednostka', 'Unit'],
  ['Nazwa urzędu / jednostki', 'Name of the office / unit'],
  ['Kod TERYT jednostki', 'TERYT code of the unit'],
  ['Kod jednostki w MZT CSIZS', 'Unit code in MZT CSIZS'],
  ['Planowana data zmiany dostawcy SD', 'Planned date of the change of SD supplier'],
  ['Imię i nazwisko osoby kontaktowej', 'Full name of the contact person'],
  ['E-mail osoby kontaktowej', 'E-mail of the contact person'],
  ['Telefon osoby kontaktowej', 'Phone of the contact person'],
  ['Dotychczasowy SD — nazwa systemu', 'Current SD — name of the system'],
  ['Dotychczasowy SD — dostawca', 'Current SD — supplier'],
  ['Nowy SD — nazwa systemu', 'New SD — name of the system'],
  ['Nowy SD — dostawca', 'New SD — supplier'],
  ['E-mail kontaktowy nowego dostawcy', 'Contact e-mail of the new supplier'],
  ['Uwagi', 'Remarks'],
  ['Obszary i zbiory CBB', 'CBB areas and collections'],
  ['Obszar {n}', 'Area {n}'],
  ['Obszar {n} (opcjonalnie)', 'Area {n} (optional)'],
  ['Obszar wsparcia', 'Support area'],
  ['Np. świadczenia rodzinne, fundusz alimentacyjny, pomoc społeczna.', 'For example family benefits, maintenance fund, social assistance.'],
  ['Kod dotychczasowego zbioru CBB', 'Code of the current CBB collection'],
  ['7 cyfr; dwie pierwsze to kod województwa, np. 1465011.', '7 digits; the first two are the voivodeship code, for example 1465011.'],
  ['Nie wcześniej niż dziś.', 'Not earlier than today.'],
  ['Nie później niż dziś.', 'Not later than today.'],
  ['Obszary i zbiory CBB objęte zmianą', 'CBB areas and collections covered by the change'],
  ['Dodaj kolejny obszar', 'Add another area'],
  ['Osoba kontaktowa w JST', 'Contact person in the JST'],
  ['Dotychczasowy SD', 'Current SD'],
  ['Nowy SD', 'New SD'],
  [
    'Jeśli podasz adres, dostawca otrzyma kopie wiadomości o kroku b (deaktywacja i zasilenie).',
    'If you give an address, the supplier will receive copies of the e-mails about step b (deactivation and feeding).',
  ],
  ['Wyślij zgłoszenie', 'Send the notification'],
  ['Zgłoszenie przyjęte', 'Notification received'],
  ['Numer sprawy: {caseId}.', 'Case number: {caseId}.'],
  [
    'Na adres {email} wysyłamy wiadomość z linkiem; zwykle dociera w ciągu kilku minut. {confirm} — dopiero wtedy zgłoszenie trafi do MRPiPS. Prosimy podawać numer sprawy w korespondencji z MRPiPS.',
    'An e-mail with a link is on its way to {email}; it usually arrives within a few minutes. {confirm} — only then will the notification go to MRPiPS. Please quote the case number in correspondence with MRPiPS.',
  ],
  ['Potwierdź w niej adres e-mail', 'Confirm your e-mail address in it'],

  // Validation messages (fields.ts, notification.ts, steps.ts)
  ['Pole jest wymagane.', 'This field is required.'],
  [
    'Pole zawiera niedozwolone znaki sterujące lub niewidoczne znaki formatujące (np. znaki zmiany kierunku tekstu). Prosimy je usunąć.',
    'The field contains control characters or invisible formatting characters (for example text direction marks), which are not allowed. Please remove them.',
  ],
  ['Adres e-mail jest za długi.', 'The e-mail address is too long.'],
  ['Wpisz poprawny adres e-mail, np. jan.kowalski@gmina.pl.', 'Enter a valid e-mail address, for example jan.kowalski@gmina.pl.'],
  ['Wpisz numer telefonu, np. +48 22 123 45 67.', 'Enter a phone number, for example +48 22 123 45 67.'],
  ['Numer telefonu powinien mieć od 9 do 15 cyfr.', 'The phone number should have 9 to 15 digits.'],
  ['Kod zbioru może mieć najwyżej 40 znaków.', 'A collection code can have at most 40 characters.'],
  ['Kod zbioru może zawierać tylko litery, cyfry oraz znaki . _ / -', 'A collection code can contain only letters, digits and the characters . _ / -'],
  ['Wpisz datę w formacie RRRR-MM-DD.', 'Enter the date in the format YYYY-MM-DD.'],
  ['Taka data nie istnieje.', 'This date does not exist.'],
  ['Kod TERYT ma 7 cyfr, np. 1465011.', 'The TERYT code has 7 digits, for example 1465011.'],
  ['Pierwsze dwie cyfry kodu TERYT muszą być kodem województwa (02, 04, …, 32).', 'The first two digits of the TERYT code must be a voivodeship code (02, 04, …, 32).'],
  ['Kod jednostki w MZT może zawierać tylko litery, cyfry oraz znaki . _ / -', 'The unit code in MZT can contain only letters, digits and the characters . _ / -'],
  ['Podaj co najmniej jeden obszar i jego zbiór CBB.', 'Enter at least one area and its CBB collection.'],
  ['Ten kod zbioru podano już wyżej.', 'This collection code has already been entered above.'],
  ['Planowana data zmiany nie może być w przeszłości.', 'The planned date of the change cannot be in the past.'],
  ['Zaznacz potwierdzenie, aby kontynuować.', 'Tick the confirmation to continue.'],
  ['Data nie może być w przyszłości.', 'The date cannot be in the future.'],
  ['Wybierz jedną z decyzji.', 'Choose one of the decisions.'],
  ['Podaj powód odrzucenia — JST otrzyma go e-mailem.', 'Give the reason for the rejection — the JST will receive it by e-mail.'],
  ['Podaj nowy kod dla każdego zbioru.', 'Enter a new code for every collection.'],
  ['Kolejność zbiorów nie zgadza się ze sprawą.', 'The order of the collections does not match the case.'],
  ['Nowy zbiór musi mieć inny kod niż dotychczasowe zbiory.', 'A new collection must have a different code from the current collections.'],
  ['Każdy nowy zbiór musi mieć inny kod.', 'Every new collection must have a different code.'],
  ['Wybierz wynik weryfikacji.', 'Choose the result of the verification.'],
  ['Opisz rozbieżności — JST otrzyma Twoje uwagi.', 'Describe the discrepancies — the JST will receive your remarks.'],

  // Steps (steps.ts): titles, buttons, fields, fixed instructions
  ['Potwierdzenie adresu e-mail osoby kontaktowej', "Confirmation of the contact person’s e-mail address"],
  ['Potwierdzam adres i zgłoszenie', 'I confirm the address and the notification'],
  [
    'Ten adres podano jako adres osoby kontaktowej w zgłoszeniu zmiany dostawcy SD. Dane zgłoszenia pokazano tak, jak wpisano je w formularzu; MRPiPS ich nie sprawdzało.',
    'This address was given as the contact person’s address in a notification of a change of SD supplier. The notification’s data are shown as they were typed into the form; MRPiPS has not checked them.',
  ],
  [
    'Prosimy potwierdzić, że adres należy do Państwa i że zgłoszenie złożono w imieniu jednostki. Dopiero wtedy zgłoszenie trafi do MRPiPS. Jeżeli nie składali Państwo tego zgłoszenia, prosimy nie potwierdzać — niepotwierdzone zgłoszenie wygaśnie.',
    'Please confirm that the address is yours and that the notification was submitted on behalf of the unit. Only then will the notification go to MRPiPS. If you did not submit this notification, please do not confirm it — an unconfirmed notification lapses.',
  ],
  [
    'Potwierdzam, że ten adres e-mail należy do mnie i że zgłoszenie złożono w imieniu jednostki.',
    'I confirm that this e-mail address is mine and that the notification was submitted on behalf of the unit.',
  ],
  ['Uzgodnienie trybu zmiany dostawcy SD', 'Agreeing the mode of the SD supplier change'],
  ['Zapisz decyzję', 'Save the decision'],
  [
    'Uzgodnij z JST tryb postępowania: z migracją danych (nowy dostawca przenosi pełne dane z lokalnej bazy starego SD) albo bez migracji. Jeżeli zgłoszenie jest niekompletne lub nie może być przyjęte, odrzuć je, podając powód — JST otrzyma go e-mailem.',
    "Agree the mode with the JST: with data migration (the new supplier transfers the full data from the old SD’s local database) or without migration. If the notification is incomplete or cannot be accepted, reject it and give the reason — the JST will receive it by e-mail.",
  ],
  ['Decyzja', 'Decision'],
  ['Zmiana z migracją danych (zbiory stare zostaną zarchiwizowane)', 'Change with data migration (the old collections will be archived)'],
  ['Zmiana bez migracji danych (zbiory stare zostaną zamknięte)', 'Change without data migration (the old collections will be closed)'],
  ['Odrzucenie zgłoszenia', 'Reject the notification'],
  ['Powód odrzucenia (wymagany przy odrzuceniu)', 'Reason for the rejection (required when rejecting)'],
  ['Ustalenia z JST (opcjonalnie)', 'Arrangements with the JST (optional)'],
  ['Utworzenie nowych zbiorów CBB', 'Creating the new CBB collections'],
  ['Zapisz kody nowych zbiorów', 'Save the codes of the new collections'],
  [
    'Utwórz w CBB nowe zbiory, które JST będzie zasilać z nowego SD — po jednym dla każdego dotychczasowego zbioru — i wpisz ich kody. JST otrzyma kody e-mailem.',
    'Create the new collections in the CBB that the JST will feed from the new SD — one for each current collection — and enter their codes. The JST will receive the codes by e-mail.',
  ],
  ['Deaktywacja dotychczasowego SD', 'Deactivation of the current SD'],
  ['Data deaktywacji dotychczasowego SD', 'Date of deactivation of the current SD'],
  ['Potwierdzam deaktywację', 'I confirm the deactivation'],
  ['Aktywacja nowego SD i zasilenie nowych zbiorów CBB', 'Activation of the new SD and feeding of the new CBB collections'],
  ['Data zasilenia (rozpoczęcia zasilania) nowych zbiorów', 'Date of feeding (start of feeding) of the new collections'],
  ['Potwierdzam zasilenie', 'I confirm the feeding'],
  [
    'Potwierdzam, że nowy SD jest aktywny, dane z lokalnej bazy starego SD zostały zmigrowane, a nowe zbiory CBB zostały zasilone inicjalnie (pełne zasilenie).',
    "I confirm that the new SD is active, the data from the old SD’s local database has been migrated and the new CBB collections have received their initial (full) feed.",
  ],
  ['Potwierdzam, że nowy SD jest aktywny i rozpoczął zasilanie nowych zbiorów CBB.', 'I confirm that the new SD is active and has started feeding the new CBB collections.'],
  [
    'W tym trybie nowy dostawca przenosi pełne dane ze starego SD, a nowe zbiory są zasilane inicjalnie.',
    'In this mode the new supplier transfers the full data from the old SD, and the new collections receive an initial feed.',
  ],
  ['W tym trybie dane nie są migrowane; nowy SD rozpoczyna zasilanie nowych zbiorów.', 'In this mode the data is not migrated; the new SD starts feeding the new collections.'],
  ['(brak)', '(none)'],
  ['Deaktywacja urzędników i jednostki w MZT CSIZS', 'Deactivation of the officials and the unit in MZT CSIZS'],
  ['Data deaktywacji w MZT', 'Date of deactivation in MZT'],
  ['Potwierdzam deaktywację w MZT', 'I confirm the deactivation in MZT'],
  ['Weryfikacja zbiorów starych z nowymi', 'Verification of the old collections against the new ones'],
  ['Zapisz wynik weryfikacji', 'Save the result of the verification'],
  ['Wynik weryfikacji', 'Result of the verification'],
  ['Dane zgodne — zakończ zmianę', 'Data consistent — complete the change'],
  ['Rozbieżności — zwróć JST do poprawy zasilenia', 'Discrepancies — return to the JST to correct the feeding'],
  ['Uwagi dla JST (wymagane przy rozbieżnościach)', 'Remarks for the JST (required when there are discrepancies)'],
  [
    'Po pozytywnej weryfikacji zbiory dotychczasowe zostaną zarchiwizowane (staną się niedostępne dla usług), a JST otrzyma informację o wykonanych czynnościach. Przy rozbieżnościach sprawa wraca do JST z Twoimi uwagami.',
    'After a positive verification the current collections will be archived (they will no longer be available to services), and the JST will be told what has been done. If there are discrepancies, the case goes back to the JST with your remarks.',
  ],
  [
    'Po pozytywnej weryfikacji zbiory dotychczasowe zostaną zamknięte (pozostaną dostępne dla usług weryfikacyjnych), a JST otrzyma informację o wykonanych czynnościach. Przy rozbieżnościach sprawa wraca do JST z Twoimi uwagami.',
    'After a positive verification the current collections will be closed (they will remain available to verification services), and the JST will be told what has been done. If there are discrepancies, the case goes back to the JST with your remarks.',
  ],
  ['wariant nieustalony', 'mode not agreed yet'],

  // Labels of case.ts
  ['w toku', 'in progress'],
  ['wstrzymana — krok po terminie, czeka na decyzję MRPiPS', 'on hold — a step is past its deadline, awaiting the decision of MRPiPS'],
  ['wstrzymana — błąd techniczny, czeka na interwencję MRPiPS', 'on hold — a technical error, awaiting the intervention of MRPiPS'],
  ['zgłoszenie wygasło (adres kontaktowy niepotwierdzony)', 'notification lapsed (contact address not confirmed)'],
  ['zgłoszenie odrzucone', 'notification rejected'],
  ['zakończona', 'completed'],
  ['przekazana do wyjaśnienia w MRPiPS', 'referred to MRPiPS for clarification'],
  ['błąd przetwarzania', 'processing error'],
  ['anulowana przez MRPiPS', 'cancelled by MRPiPS'],
  ['z migracją danych', 'with data migration'],
  ['bez migracji danych', 'without data migration'],
  ['jednostka samorządu terytorialnego (JST)', 'local government unit (JST)'],
  ['MRPiPS, Departament Informatyki', 'MRPiPS, IT Department'],
  ['Wojewódzki Administrator MZT CSIZS', 'Voivodeship Administrator of MZT CSIZS'],
  ['aktywny', 'active'],
  ['zamknięty (dostępny dla usług weryfikacyjnych)', 'closed (available to verification services)'],
  ['zarchiwizowany (niedostępny dla usług)', 'archived (not available to services)'],

  // Case summary (emails.ts caseSummaryRows)
  ['Numer sprawy', 'Case number'],
  ['Kod TERYT', 'TERYT code'],
  ['Województwo', 'Voivodeship'],
  ['Planowana data zmiany', 'Planned date of the change'],
  ['Tryb zmiany', 'Change mode'],
  ['do uzgodnienia', 'to be agreed'],
  ['Kontakt w JST', 'Contact in the JST'],
  ['Kontakt u nowego dostawcy', 'Contact at the new supplier'],
  ['Uwagi JST', 'Remarks of the JST'],

  // Voivodeships (English names; Łódź keeps its letters, as in English usage)
  ['dolnośląskie', 'Lower Silesian'],
  ['kujawsko-pomorskie', 'Kuyavian-Pomeranian'],
  ['lubelskie', 'Lublin'],
  ['lubuskie', 'Lubusz'],
  ['łódzkie', 'Łódź'],
  ['małopolskie', 'Lesser Poland'],
  ['mazowieckie', 'Masovian'],
  ['opolskie', 'Opole'],
  ['podkarpackie', 'Subcarpathian'],
  ['podlaskie', 'Podlaskie'],
  ['pomorskie', 'Pomeranian'],
  ['śląskie', 'Silesian'],
  ['świętokrzyskie', 'Holy Cross'],
  ['warmińsko-mazurskie', 'Warmian-Masurian'],
  ['wielkopolskie', 'Greater Poland'],
  ['zachodniopomorskie', 'West Pomeranian'],

  // Timeline entries written without case data (send-notice)
  [
    'Zgłoszenie wygasło: osoba kontaktowa nie potwierdziła adresu e-mail mimo przypomnień.',
    'The notification lapsed: the contact person did not confirm the e-mail address despite reminders.',
  ],
  [
    'Sprawa zakończona przy potwierdzeniu adresu: co najmniej jeden zbiór CBB ze zgłoszenia jest objęty inną sprawą albo zamknięty lub zarchiwizowany; stan zbiorów bez zmian. JST otrzymała informację.',
    'Case closed when the address was confirmed: at least one CBB collection of the notification is covered by another case, or closed or archived; the collections are unchanged. The JST has been told.',
  ],
  ['Wysłano JST potwierdzenie przyjęcia zgłoszenia.', 'The JST was sent an acknowledgement of the notification.'],
  ['Sprawa zakończona: zgłoszenie odrzucone; JST otrzymała powód.', 'Case closed: the notification was rejected; the JST has been given the reason.'],
  [
    'Weryfikacja nie powiodła się w trzech rundach — sprawa przekazana do wyjaśnienia w MRPiPS.',
    'The verification failed in three rounds — the case has been referred to MRPiPS for clarification.',
  ],
  ['Zmiana dostawcy SD zakończona; JST otrzymała informację o wykonanych czynnościach.', 'The change of SD supplier is complete; the JST has been told what was done.'],
];

const EN = new Map<string, string>(EN_ENTRIES);

/** Translates a piece the patterns captured (a step title, a role, a label): dictionary, then patterns, else as is. */
const sub = (text: string | undefined): string => (text === undefined ? '' : (translate(text) ?? text));

type Replacement = string | ((...groups: (string | undefined)[]) => string);

/**
 * Sentences with case data, tried in order; the first match wins. Each pattern matches the whole text. What a
 * replacement captures from the case (names, codes, e-mails, remarks) stays as typed.
 */
const EN_PATTERNS: [RegExp, Replacement][] = [
  // Validation limits
  [/^Wpisz najwyżej (\d+) znaków\.$/, 'Enter at most $1 characters.'],
  [/^Wpisz co najmniej (\d+) znaki\.$/, 'Enter at least $1 characters.'],
  [/^Podaj najwyżej (\d+) obszarów\.$/, 'Enter at most $1 areas.'],

  // Notification form labels of numbered rows
  [/^Obszar (\d+)$/, 'Area $1'],
  [/^Kod zbioru CBB (\d+)$/, 'CBB collection code $1'],

  // Collections refused by the handlers
  [/^Zbiór (.+) jest już objęty inną sprawą zmiany dostawcy SD\.$/s, 'Collection $1 is already covered by another case of a change of SD supplier.'],
  [/^Zbiór (.+) jest już zarchiwizowany\.$/s, 'Collection $1 is already archived.'],
  [/^Zbiór (.+) jest już zamknięty\.$/s, 'Collection $1 is already closed.'],
  [/^Zbiór o kodzie (.+) jest już zarejestrowany w CBB\.$/s, 'A collection with the code $1 is already registered in the CBB.'],

  // Step instructions and field labels that carry case data (steps.ts)
  [/^Jednostka (.*) zgłosiła planowaną zmianę dostawcy SD na dzień (.*)\.$/s, '$1 has notified a planned change of SD supplier on $2.'],
  [/^Tryb zmiany: (.*)\. Runda weryfikacji: (\d+) z 3\.$/s, (mode, round) => `Change mode: ${sub(mode)}. Verification round: ${round} of 3.`],
  [/^Tryb zmiany: (.*)\.$/s, (mode) => `Change mode: ${sub(mode)}.`],
  [/^Nowy kod zbioru — obszar „(.*)” \(dotychczasowy zbiór (.*)\)$/s, 'New collection code — area “$1” (current collection $2)'],
  [
    /^Potwierdzam, że dotychczasowy SD \((.*)\) został zdeaktywowany i nie zasila już zbiorów CBB\.$/s,
    'I confirm that the current SD ($1) has been deactivated and no longer feeds the CBB collections.',
  ],
  [
    /^Zdeaktywuj dotychczasowy SD \((.*), dostawca (.*)\) i potwierdź to poniżej\. Po potwierdzeniu Wojewódzki Administrator MZT zdeaktywuje urzędników i jednostkę w MZT CSIZS\.$/s,
    'Deactivate the current SD ($1, supplier $2) and confirm it below. After your confirmation the Voivodeship Administrator of MZT will deactivate the officials and the unit in MZT CSIZS.',
  ],
  [
    /^Aktywuj nowy SD \((.*), dostawca (.*)\) i zasil z niego nowe zbiory CBB: (.*)\. (W tym trybie .*)$/s,
    (product, supplier, codes, mode) => `Activate the new SD (${product}, supplier ${supplier}) and feed the new CBB collections from it: ${codes}. ${sub(mode)}`,
  ],
  [
    /^Weryfikacja MRPiPS wykazała rozbieżności \(runda (\d+)\)\. Uwagi MRPiPS: (.*)\. Popraw zasilenie i potwierdź ponownie\.$/s,
    (round, comment) => `The verification by MRPiPS found discrepancies (round ${round}). Remarks of MRPiPS: ${comment === '(brak)' ? '(none)' : comment}. Correct the feeding and confirm again.`,
  ],
  [
    /^Potwierdzam, że urzędnicy i jednostka (.*) zostali zdeaktywowani w MZT CSIZS i jednostka nie ma aktywnych obiektów\.$/s,
    'I confirm that the officials and the unit $1 have been deactivated in MZT CSIZS and the unit has no active objects.',
  ],
  [/^JST (.*) zdeaktywowała dotychczasowy SD \((\d{4}-\d{2}-\d{2})\)\.$/s, 'The JST $1 has deactivated the current SD ($2).'],
  [/^JST (.*) zdeaktywowała dotychczasowy SD\.$/s, 'The JST $1 has deactivated the current SD.'],
  [
    /^W MZT CSIZS zdeaktywuj urzędników JST i całą jednostkę o kodzie (.*), tak aby nie miała żadnych aktywnych obiektów, i potwierdź to poniżej\.$/s,
    'In MZT CSIZS deactivate the officials of the JST and the whole unit with the code $1, so that it has no active objects, and confirm it below.',
  ],
  [
    /^Zweryfikuj dane zbiorów dotychczasowych \((.*)\) z nowymi zbiorami przypisanymi do nowego SD \((.*)\)\.$/s,
    'Verify the data of the current collections ($1) against the new collections assigned to the new SD ($2).',
  ],

  // Confirmed data (apply.ts describeResponse)
  [/^Nowy zbiór dla (.*)$/s, 'New collection for $1'],

  // Case summary rows (emails.ts caseSummaryRows)
  [/^Obszar: (.*)$/s, 'Area: $1'],
  [/^zbiór ([A-Z0-9][A-Z0-9._/-]*) → nowy zbiór ([A-Z0-9][A-Z0-9._/-]*)$/, 'collection $1 → new collection $2'],
  [/^zbiór ([A-Z0-9][A-Z0-9._/-]*)$/, 'collection $1'],
  [/^(.*), ([^\s,]+@[^\s,]+), tel\. ([+0-9 ()-]+)$/s, '$1, $2, phone $3'],

  // Timeline entries (case.ts, apply.ts, the handlers)
  [/^Zarejestrowano zgłoszenie zmiany dostawcy SD \((.*)\)\.$/s, 'Notification of a change of SD supplier registered ($1).'],
  [
    /^Wysłano prośbę o potwierdzenie kroku „(.*)” do: (.*) \(([^()]*)\); termin (.*)\.$/s,
    (title, role, email, deadline) => `Request to confirm the step “${sub(title)}” sent to: ${sub(role)} (${email}); deadline ${englishDate(deadline ?? '')}.`,
  ],
  [/^Wysłano przypomnienie nr (\d+) o kroku „(.*)” do: (.*)\.$/s, (n, title, to) => `Reminder no. ${n} about the step “${sub(title)}” sent to: ${to}.`],
  [/^Potwierdzono krok „(.*)” \(([A-Z_]+\.\d+)\) — (.*)\.$/s, (title, key, who) => `Step “${sub(title)}” (${key}) confirmed — ${who}.`],
  [/^Brak potwierdzenia kroku „(.*)” po (\d+) przypomnieniach — poinformowano MRPiPS\.$/s, (title, n) => `No confirmation of the step “${sub(title)}” after ${n} reminders — MRPiPS has been informed.`],
  [/^(.*): krok „(.*)” przekazano z (.*) do (.*)\.$/s, (role, title, from, to) => `${sub(role)}: the step “${sub(title)}” was handed over from ${from} to ${to}.`],
  [/^Osoba kontaktowa JST potwierdziła adres e-mail (.*)\.$/s, 'The contact person of the JST confirmed the e-mail address $1.'],
  [/^MRPiPS odrzuciło zgłoszenie\. Powód: (.*)$/s, 'MRPiPS rejected the notification. Reason: $1'],
  [/^MRPiPS uzgodniło tryb zmiany: (.*)\.$/s, (mode) => `MRPiPS agreed the change mode: ${sub(mode)}.`],
  [/^MRPiPS utworzyło nowe zbiory CBB: (.*)\.$/s, 'MRPiPS created the new CBB collections: $1.'],
  [/^JST potwierdziła deaktywację dotychczasowego SD \((.*)\)\.$/s, 'The JST confirmed the deactivation of the current SD ($1).'],
  [
    /^JST potwierdziła aktywację nowego SD i (inicjalne zasilenie|rozpoczęcie zasilania) nowych zbiorów \((\d{4}-\d{2}-\d{2})(?:, runda (\d+))?\)\.$/,
    (what, date, round) =>
      `The JST confirmed the activation of the new SD and ${what === 'inicjalne zasilenie' ? 'the initial feeding' : 'the start of feeding'} of the new collections (${date}${round ? `, round ${round}` : ''}).`,
  ],
  [/^Wojewódzki Administrator potwierdził deaktywację urzędników i jednostki w MZT \((.*)\)\.$/s, 'The Voivodeship Administrator confirmed the deactivation of the officials and the unit in MZT ($1).'],
  [/^MRPiPS zweryfikowało zbiory: dane zgodne \(runda (\d+)\)\.$/, 'MRPiPS verified the collections: data consistent (round $1).'],
  [/^MRPiPS stwierdziło rozbieżności \(runda (\d+)\): (.*)$/s, 'MRPiPS found discrepancies (round $1): $2'],
  [/^Dotychczasowe zbiory CBB \(([^()]*)\): (.*)\.$/s, (codes, state) => `Current CBB collections (${codes}): ${sub(state)}.`],
  [/^Błąd przetwarzania \(([^()]*)\): (.*)$/s, 'Processing error ($1): $2'],
  // Operations (lambdas/services/steps.ts)
  [/^Sprawa anulowana przez MRPiPS\. Powód: (.*)$/s, 'The case was cancelled by MRPiPS. Reason: $1'],
  [/^Zbiory CBB sprawy zwolnione bez zmiany stanu: (.*)\.$/s, 'The CBB collections of the case were released without a change of state: $1.'],
  [/^Poinformowano o anulowaniu sprawy: (.*)\.$/s, 'Told of the cancellation: $1.'],
  [/^Wysłano ponownie link do kroku „(.*)” do: (.*); poprzednie linki przestały działać\.$/s, (title, to) => `The link to the step “${sub(title)}” was sent again to: ${to}; earlier links stopped working.`],
  [/^Unieważniono dotychczasowe linki do strony stanu sprawy \((.*)\)\. Wiadomości wysyłane od tej chwili zawierają nowy link\.$/s, (by) => `The links to the status page of the case sent so far were revoked (${by}). E-mails sent from now on carry a new link.`],
];

function translate(text: string): string | undefined {
  const exact = EN.get(text);
  if (exact !== undefined) return exact;
  for (const [pattern, replacement] of EN_PATTERNS) {
    const match = pattern.exec(text);
    if (!match) continue;
    return typeof replacement === 'string' ? text.replace(pattern, replacement) : replacement(...match.slice(1));
  }
  return undefined;
}

let onUntranslated: ((text: string) => void) | undefined;

/** Tests watch which strings an English page asked for and did not get (nothing is watched otherwise). */
export function watchUntranslated(callback: ((text: string) => void) | undefined): void {
  onUntranslated = callback;
}

/** The text in `lang`: Polish as written; English from the dictionary or the patterns, else the Polish text. */
export function t(lang: Lang, text: string): string {
  if (lang === 'pl') return text;
  const english = translate(text);
  if (english === undefined) onUntranslated?.(text);
  return english ?? text;
}

/** Only the exact dictionary (for values that may be typed by people, e.g. "tak"/"nie" of a confirmed checkbox). */
export function tExact(lang: Lang, text: string): string {
  if (lang === 'pl') return text;
  return EN.get(text) ?? text;
}

/** Whether `text` has an English translation (tests use it to prove every message and label is covered). */
export function hasTranslation(text: string): boolean {
  return translate(text) !== undefined;
}

/** The dictionary, for tests. */
export function dictionary(): ReadonlyMap<string, string> {
  return EN;
}

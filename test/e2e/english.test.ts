import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLocalStack, type LocalStack } from '../../local/stack.js';
import { Inbox, linkIn, notificationFields, openStepForm, postForm, submitForm, type StoredEmail } from './participants.js';

/**
 * The participant pages in English, over HTTP on the local stack: `?lang=en` on the form, `&lang=en` on a
 * signed link from a (Polish) e-mail. The case data is ASCII-only, so a Polish letter on a page is a string
 * that was not translated.
 */
const MRPIPS = 'sekretariat.di@mrpips.gov.pl';
const POLISH_LETTERS = /[ąćęłńóśźżĄĆĘŁŃÓŚŹŻ]/;

let stack: LocalStack;
let inbox: Inbox;

beforeAll(async () => {
  stack = await startLocalStack({ PAGES_PORT: 0, SES_PORT: 0, DYNAMODB_PORT: 0, SFN_PORT: 0, SQS_PORT: 0, RESPONSE_TIMEOUT_SECONDS: 600 });
  inbox = new Inbox(stack.urls.inbox);
});

afterAll(async () => {
  await stack?.close();
});

function visibleText(body: string): string {
  return body
    .replace(/<style>[\s\S]*?<\/style>/g, ' ')
    .replace(/<[^>]+>/g, ' ')
    .replace(/&[a-z0-9#]+;/gi, ' ')
    .replace(/\s+/g, ' ');
}

/** An English page: `<html lang="en">`, a switch back to Polish, and no Polish letters in what people read. */
function expectEnglish(body: string, what: string): void {
  expect(body.startsWith('<!doctype html><html lang="en">'), `${what}: <html lang="en">`).toBe(true);
  expect(body, `${what}: switch to Polish`).toMatch(/<a href="\?[^"]*lang=pl" lang="pl" hreflang="pl">Polski<\/a>/);
  const left = visibleText(body).match(/[^.;:()]*[ąćęłńóśźżĄĆĘŁŃÓŚŹŻ][^.;:()]*/g) ?? [];
  expect(left, `${what}: Polish text left`).toEqual([]);
}

function english(link: string): string {
  const url = new URL(link);
  url.searchParams.set('lang', 'en');
  return url.toString();
}

/** The language switch of a page, resolved against the page's URL. */
function switchLink(body: string, pageUrl: string): string {
  const href = /<a href="([^"]*)" lang="(?:pl|en)" hreflang="(?:pl|en)">/.exec(body)![1]!.replace(/&amp;/g, '&');
  return new URL(href, pageUrl).toString();
}

const asciiFields = () =>
  notificationFields({
    officeName: 'Social Welfare Centre in Exampletown',
    'areas.0.area': 'family benefits',
    'areas.1.area': 'maintenance fund',
    'contact.email': `contact.${Math.random().toString(36).slice(2, 8)}@mops.example.pl`,
    remarks: 'Please call before noon.',
  });

describe('the pages in English', () => {
  it('the notification form: GET ?lang=en is English, an invalid POST to its action gets English errors, a valid one an English answer', async () => {
    const formUrl = `${stack.urls.form}?lang=en`;
    const res = await fetch(formUrl);
    expect(res.status).toBe(200);
    const form = await res.text();
    expectEnglish(form, 'form');
    expect(form).toContain('<h1>Notification of a change of the domain system (SD) supplier</h1>');
    const action = /<form method="post" action="([^"]+)"/.exec(form)![1]!;
    expect(action).toBe('/zgloszenie?lang=en');
    const submissionId = /name="submissionId" value="([^"]+)"/.exec(form)![1]!;
    const formToken = /name="formToken" value="([^"]+)"/.exec(form)![1]!;
    // The switch is a link to the Polish form.
    const polish = await fetch(switchLink(form, formUrl));
    expect(polish.status).toBe(200);
    const polishForm = await polish.text();
    expect(polishForm.startsWith('<!doctype html><html lang="pl">')).toBe(true);
    expect(polishForm).toContain('<form method="post" action="/zgloszenie" novalidate>');

    const target = new URL(action, formUrl).toString();
    const fields = { ...asciiFields(), submissionId, formToken };
    const invalid = await postForm(target, { ...fields, teryt: '123', 'contact.email': 'anna', 'contact.phone': '12', 'areas.0.oldCollectionCode': 'bad code!' });
    expect(invalid.status).toBe(400);
    expectEnglish(invalid.body, 'form with errors');
    expect(invalid.body).toContain('The form has errors (4)');
    expect(invalid.body).toContain('<a href="#f-teryt">TERYT code of the unit: The TERYT code has 7 digits, for example 1465011.</a>');
    expect(invalid.body).toContain('<p class="error" id="f-contact-email-error">Error: Enter a valid e-mail address, for example jan.kowalski@gmina.pl.</p>');
    expect(invalid.body).toContain('Error: Enter a phone number, for example +48 22 123 45 67.');
    expect(invalid.body).toContain('Error: A collection code can contain only letters, digits and the characters . _ / -');
    // The page that comes back still posts in English.
    expect(invalid.body).toContain('<form method="post" action="/zgloszenie?lang=en" novalidate>');

    const accepted = await postForm(target, fields);
    expect(accepted.status, accepted.body).toBe(201);
    expectEnglish(accepted.body, 'accepted');
    expect(accepted.body).toContain('<h1>Notification received</h1>');
    expect(accepted.body).toMatch(/Case number: <strong>ZSD-\d{4}-\d{5}<\/strong>\./);
  });

  it('a signed link with &lang=en: the step is shown, refused and confirmed in English; the switch and repeated GETs change nothing; the case page is English', async () => {
    const fields = asciiFields();
    const created = await submitForm(`${stack.urls.form}?lang=en`, fields);
    expect(created.status, created.body).toBe(201);
    const caseId = /ZSD-\d{4}-\d{5}/.exec(created.body)![0];

    // The e-mail stays Polish; its link opened with &lang=en is the English page.
    const request: StoredEmail = await inbox.take(fields['contact.email']!, [caseId, 'prośba o potwierdzenie adresu e-mail']);
    expect(request.body.html).toContain('<html lang="pl">');
    const link = english(linkIn(request));
    const page = await fetch(link);
    expect(page.status).toBe(200);
    const body = await page.text();
    expectEnglish(body, 'step page');
    expect(body).toContain('<h1>Confirmation of the contact person’s e-mail address</h1>');
    expect(body).toMatch(/deadline: \d{1,2} [A-Z][a-z]+ \d{4} at \d{2}:\d{2}<\/p>/);
    expect(body).toContain('<dt>Voivodeship</dt><dd>Masovian</dd>');

    // The switch (as a scanner or a person follows it) shows the Polish page and changes nothing.
    const inPolish = await fetch(switchLink(body, link));
    expect(inPolish.status).toBe(200);
    const polishBody = await inPolish.text();
    expect(polishBody).toContain('<h1>Potwierdzenie adresu e-mail osoby kontaktowej</h1>');
    expect(switchLink(polishBody, link)).toBe(link);
    expect((await fetch(link, { method: 'HEAD' })).status).toBe(200);

    // The form carries the language into its POST (and its hidden form token).
    const { action, hidden } = await openStepForm(link);
    expect(new URL(action).searchParams.get('lang')).toBe('en');
    expect(hidden.csrf).toBeTruthy();
    const refused = await postForm(action, { ...hidden });
    expect(refused.status).toBe(400);
    expectEnglish(refused.body, 'step with errors');
    expect(refused.body).toContain('<p class="error" id="f-confirmed-error">Error: Tick the confirmation to continue.</p>');

    const confirmed = await postForm(action, { ...hidden, confirmed: 'tak' });
    expect(confirmed.status, confirmed.body).toBe(200);
    expectEnglish(confirmed.body, 'thank-you page');
    expect(confirmed.body).toContain('<h1>Thank you — confirmation recorded</h1>');
    expect(confirmed.body).toMatch(new RegExp(`Step “Confirmation of the contact person’s e-mail address” in case <strong>${caseId}</strong> was confirmed on \\d{1,2} [A-Z][a-z]+ \\d{4} at \\d{2}:\\d{2}\\.`));

    // Opening the link again: what was confirmed, in English.
    const again = await fetch(link);
    expect(again.status).toBe(409);
    const againBody = await again.text();
    expectEnglish(againBody, 'already confirmed');
    expect(againBody).toContain('<dd>yes</dd>');

    // MRPiPS, in English too: a radio step refused, then saved.
    const agree = english(linkIn(await inbox.take(MRPIPS, [caseId, 'Uzgodnienie trybu'])));
    const agreeForm = await openStepForm(agree);
    const noDecision = await postForm(agreeForm.action, { ...agreeForm.hidden });
    expect(noDecision.status).toBe(400);
    expectEnglish(noDecision.body, 'agree with errors');
    expect(noDecision.body).toContain('Error: Choose one of the decisions.');
    const rejectedWithoutReason = await postForm(agreeForm.action, { ...agreeForm.hidden, decision: 'REJECT' });
    expect(rejectedWithoutReason.body).toContain('Error: Give the reason for the rejection — the JST will receive it by e-mail.');
    const saved = await postForm(agreeForm.action, { ...agreeForm.hidden, decision: 'WITHOUT_MIGRATION' });
    expect(saved.status, saved.body).toBe(200);
    expectEnglish(saved.body, 'agree saved');
    expect(saved.body).toContain('Step “Agreeing the mode of the SD supplier change”');

    // The case page from the e-mail, in English: the timeline written so far, translated.
    const newCollections = await inbox.take(MRPIPS, [caseId, 'Utworzenie nowych zbiorów']);
    const statusLink = /(http:\/\/[^\s]+\/sprawa\?[^\s]+)/.exec(newCollections.body.text!)![1]!;
    const status = await fetch(english(statusLink));
    expect(status.status).toBe(200);
    const statusBody = await status.text();
    expectEnglish(statusBody, 'case page');
    expect(statusBody).toContain(`<h1>Case ${caseId}</h1>`);
    expect(statusBody).toContain('mode: without data migration');
    expect(statusBody).toContain('<strong>Creating the new CBB collections</strong> (step 3a/4a) — waiting for: MRPiPS, IT Department');
    expect(statusBody).toContain('MRPiPS agreed the change mode: without data migration.');
    expect(statusBody).toMatch(/Request to confirm the step “Agreeing the mode of the SD supplier change” sent to: MRPiPS, IT Department \([^)]+\); deadline \d{1,2} [A-Z][a-z]+ \d{4} at \d{2}:\d{2}\./);
    expect(visibleText(statusBody)).not.toMatch(POLISH_LETTERS);

    // A link that was tampered with: the refusal is English as well.
    const tampered = new URL(link);
    tampered.searchParams.set('sig', 'A'.repeat(43));
    const bad = await fetch(tampered);
    expect(bad.status).toBe(403);
    const badBody = await bad.text();
    expectEnglish(badBody, 'tampered link');
    expect(badBody).toContain('<h1>Invalid link</h1>');
  });
});

/**
 * One poller over the SES stand-in's `GET /store?since=<epoch seconds>`, feeding an index by recipient and
 * case id. Reading the whole store for every wait (as test/e2e/participants.ts does) is O(n²) over a wave;
 * here each poll only returns the e-mails of the current second onwards, and waits are map look-ups.
 */
export interface BenchEmail {
  messageId: string;
  to: string[];
  cc: string[];
  subject: string;
  text: string;
  caseId: string | undefined;
  /** performance.now() when the poller first saw the e-mail in the inbox. */
  seenAt: number;
}

interface StoreEmail {
  messageId: string;
  destination: { to: string[]; cc: string[]; bcc: string[] };
  subject: string;
  body: { text?: string };
  at: number;
}

interface Waiter {
  parts: string[];
  resolve(email: BenchEmail): void;
}

const CASE_ID = /ZSD-\d{4}-\d{5}/;

export class InboxIndex {
  /** Keys of e-mails already taken in, by their second; polls only return seconds >= since, older ones are dropped. */
  private readonly seen = new Map<number, Set<string>>();
  /** `${recipient}|${caseId}` → e-mails not yet taken, in arrival order. */
  private readonly untaken = new Map<string, BenchEmail[]>();
  private readonly waiters = new Map<string, Waiter[]>();
  private since = 0;
  private running = false;
  private loop: Promise<void> | undefined;
  private lastError: unknown;
  polls = 0;
  emailsSeen = 0;
  /** Recipients (to + cc) of the e-mails seen: what SES bills. */
  recipientsSeen = 0;
  /** E-mails returned by polls in total (including the overlap of the current second). */
  emailsTransferred = 0;

  constructor(
    private readonly url: string,
    private readonly intervalMs = 25,
  ) {}

  start(): void {
    if (this.running) return;
    this.running = true;
    this.loop = (async () => {
      while (this.running) {
        try {
          await this.pollOnce();
          this.lastError = undefined;
        } catch (error) {
          this.lastError = error;
        }
        await new Promise((r) => setTimeout(r, this.intervalMs));
      }
    })();
  }

  async stop(): Promise<void> {
    this.running = false;
    await this.loop;
  }

  async pollOnce(): Promise<void> {
    const res = await fetch(`${this.url}/store?since=${this.since}`);
    if (!res.ok) throw new Error(`GET /store answered ${res.status}`);
    const { emails } = (await res.json()) as { emails: StoreEmail[] };
    this.polls++;
    this.emailsTransferred += emails.length;
    const now = performance.now();
    for (const at of this.seen.keys()) if (at < this.since) this.seen.delete(at);
    for (const e of emails) {
      // E-mails are appended in time order; the next poll starts at the newest second seen (inclusive).
      if (e.at > this.since) this.since = e.at;
      // The stand-in's message ids are random 9-digit numbers: over a national wave (~39,000 e-mails) two
      // e-mails share one about once per run, so an e-mail is identified by id, second, recipients and subject.
      const key = `${e.messageId}|${e.at}|${e.destination.to.join(',')}|${e.subject}`;
      let second = this.seen.get(e.at);
      if (!second) this.seen.set(e.at, (second = new Set()));
      if (second.has(key)) continue;
      second.add(key);
      this.emailsSeen++;
      this.recipientsSeen += e.destination.to.length + e.destination.cc.length;
      const email: BenchEmail = {
        messageId: e.messageId,
        to: e.destination.to,
        cc: e.destination.cc,
        subject: e.subject,
        text: e.body.text ?? '',
        caseId: CASE_ID.exec(e.subject)?.[0],
        seenAt: now,
      };
      for (const to of email.to) this.offer(`${to}|${email.caseId}`, email);
    }
  }

  private offer(key: string, email: BenchEmail): void {
    const waiters = this.waiters.get(key);
    const index = waiters?.findIndex((w) => w.parts.every((part) => email.subject.includes(part))) ?? -1;
    if (waiters && index >= 0) {
      const [waiter] = waiters.splice(index, 1);
      if (waiters.length === 0) this.waiters.delete(key);
      waiter!.resolve(email);
      return;
    }
    const list = this.untaken.get(key);
    if (list) list.push(email);
    else this.untaken.set(key, [email]);
  }

  /** Drops what is left for a finished case (e-mails no participant waits for). */
  forget(caseId: string, recipients: string[]): void {
    for (const to of recipients) this.untaken.delete(`${to}|${caseId}`);
  }

  /** Waits for the next not-yet-taken e-mail to `to` about `caseId` whose subject contains every part, and takes it. */
  take(to: string, caseId: string, parts: string[], timeoutMs: number): Promise<BenchEmail> {
    const key = `${to}|${caseId}`;
    const list = this.untaken.get(key);
    const index = list?.findIndex((e) => parts.every((part) => e.subject.includes(part))) ?? -1;
    if (list && index >= 0) {
      const [email] = list.splice(index, 1);
      if (list.length === 0) this.untaken.delete(key);
      return Promise.resolve(email!);
    }
    return new Promise((resolve, reject) => {
      const waiter: Waiter = {
        parts,
        resolve: (email) => {
          clearTimeout(timer);
          resolve(email);
        },
      };
      const timer = setTimeout(() => {
        const waiters = this.waiters.get(key);
        const i = waiters?.indexOf(waiter) ?? -1;
        if (waiters && i >= 0) waiters.splice(i, 1);
        if (waiters?.length === 0) this.waiters.delete(key);
        const pending = (this.untaken.get(key) ?? []).map((e) => e.subject);
        const pollError = this.lastError ? `; last poll failed: ${String(this.lastError)}` : '';
        reject(new Error(`no e-mail to ${to} for ${caseId} with "${parts.join('" + "')}" within ${timeoutMs} ms (untaken for this case: ${JSON.stringify(pending)}${pollError})`));
      }, timeoutMs);
      const waiters = this.waiters.get(key);
      if (waiters) waiters.push(waiter);
      else this.waiters.set(key, [waiter]);
    });
  }
}

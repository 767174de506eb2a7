import { main, type CliIo } from '../../bin/cases.js';

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
  /** Questions the CLI asked (cancel's confirmation). */
  asked: string[];
}

/** Runs the operations CLI in this process, as `npm run cases -- …` would, and captures what it prints. */
export async function runCli(argv: string[], options: { env?: Record<string, string | undefined>; interactive?: boolean; answers?: string[]; now?: Date } = {}): Promise<CliRun> {
  let stdout = '';
  let stderr = '';
  const asked: string[] = [];
  const answers = [...(options.answers ?? [])];
  const io: CliIo = {
    stdout: (text) => void (stdout += text),
    stderr: (text) => void (stderr += text),
    env: options.env ?? {},
    interactive: options.interactive ?? false,
    ask: async (question) => {
      asked.push(question);
      return answers.shift() ?? '';
    },
    now: () => options.now ?? new Date(),
  };
  const code = await main(argv, io);
  return { code, stdout, stderr, asked };
}

/** A minimal RFC 4180 reader (quoted fields, doubled quotes, CRLF), to check what the export writes. */
export function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const char = text[i]!;
    if (quoted) {
      if (char === '"' && text[i + 1] === '"') {
        field += '"';
        i++;
      } else if (char === '"') quoted = false;
      else field += char;
    } else if (char === '"') quoted = true;
    else if (char === ',') {
      row.push(field);
      field = '';
    } else if (char === '\r' && text[i + 1] === '\n') {
      row.push(field);
      rows.push(row);
      row = [];
      field = '';
      i++;
    } else field += char;
  }
  if (field !== '' || row.length) {
    row.push(field);
    rows.push(row);
  }
  return rows;
}

/**
 * Structured JSON logs, one object per line. Callers pass ids (case, step, execution), never personal data,
 * task tokens or links.
 */
type Fields = Record<string, string | number | boolean | null | undefined>;

type Level = 'INFO' | 'WARN' | 'ERROR';
const RANK: Record<Level, number> = { INFO: 0, WARN: 1, ERROR: 2 };

function write(level: Level, message: string, fields: Fields): void {
  const threshold = (process.env.LOG_LEVEL ?? 'INFO').toUpperCase() as Level;
  if (RANK[level] < (RANK[threshold] ?? 0)) return;
  const line = JSON.stringify({ level, message, timestamp: new Date().toISOString(), ...fields });
  if (level === 'ERROR') console.error(line);
  else if (level === 'WARN') console.warn(line);
  else console.log(line);
}

export const log = {
  info: (message: string, fields: Fields = {}) => write('INFO', message, fields),
  warn: (message: string, fields: Fields = {}) => write('WARN', message, fields),
  error: (message: string, fields: Fields = {}) => write('ERROR', message, fields),
};

import { type Logger, pino } from 'pino';

/** The one root logger: JSON lines on stderr, one line per event. */
export function rootLogger(level = process.env.SKIFF_LOG_LEVEL ?? 'info'): Logger {
  return pino({ level, base: { pid: process.pid } }, pino.destination({ fd: 2, sync: false }));
}

/**
 * A short, human-readable duration as upstream's duration.HumanDuration: exact below two minutes
 * (`5s`), then coarser as it grows (`3m2s`, `10m`, `3h4m`, `2d5h`, `50d`, `3y20d`, `9y`).
 */
export function humanDuration(ms: number): string {
  const seconds = Math.trunc(ms / 1000);
  // Up to two seconds in the future counts as now: clocks differ between machines.
  if (seconds < -1) return '<invalid>';
  if (seconds < 0) return '0s';
  if (seconds < 120) return `${seconds}s`;
  const minutes = Math.trunc(seconds / 60);
  if (minutes < 10) {
    const s = seconds % 60;
    return s === 0 ? `${minutes}m` : `${minutes}m${s}s`;
  }
  if (minutes < 180) return `${minutes}m`;
  const hours = Math.trunc(minutes / 60);
  if (hours < 8) {
    const m = minutes % 60;
    return m === 0 ? `${hours}h` : `${hours}h${m}m`;
  }
  if (hours < 48) return `${hours}h`;
  const days = Math.trunc(hours / 24);
  if (hours < 24 * 8) {
    const h = hours % 24;
    return h === 0 ? `${days}d` : `${days}d${h}h`;
  }
  if (hours < 24 * 365 * 2) return `${days}d`;
  const years = Math.trunc(days / 365);
  if (hours < 24 * 365 * 8) {
    const d = days % 365;
    return d === 0 ? `${years}y` : `${years}y${d}d`;
  }
  return `${years}y`;
}

/** The age of a timestamp at `now`, `<unknown>` when unset, as upstream's translateTimestampSince. */
export function timestampSince(timestamp: string | Date | undefined | null, now: Date): string {
  if (timestamp === undefined || timestamp === null || timestamp === '') return '<unknown>';
  const t = typeof timestamp === 'string' ? Date.parse(timestamp) : timestamp.getTime();
  if (Number.isNaN(t)) return '<unknown>';
  return humanDuration(now.getTime() - t);
}

/** The hour of day now in a time zone (the statistics' calendar). */
export function hourIn(timeZone: string, now = new Date()): number {
  try {
    const h = new Intl.DateTimeFormat('en-GB', { timeZone, hour: 'numeric', hourCycle: 'h23' }).format(now)
    return Number.parseInt(h, 10)
  } catch {
    return now.getHours()
  }
}

export const HOUR_LABELS = Array.from({ length: 24 }, (_, h) => `${String(h).padStart(2, '0')}:00`)

// Pure formatting and parsing: money in integer fen, times shown in Beijing time, the 48-hour countdown.

/** 250000 → "¥2,500.00" (integer arithmetic: no float rounding). */
export function yuan(fen: number): string {
  const sign = fen < 0 ? '-' : ''
  const abs = Math.abs(Math.trunc(fen))
  const whole = Math.floor(abs / 100).toString().replace(/\B(?=(\d{3})+(?!\d))/g, ',')
  return `${sign}¥${whole}.${(abs % 100).toString().padStart(2, '0')}`
}

/** "2500" / "2500.5" / "2,500.05" → fen; null when it is not a positive amount with at most 2 decimals. */
export function parseYuan(text: string): number | null {
  const clean = text.trim().replace(/[,，¥￥\s]/g, '')
  const m = /^(\d{1,9})(?:\.(\d{1,2}))?$/.exec(clean)
  if (!m) return null
  const fen = Number(m[1]) * 100 + Number((m[2] ?? '').padEnd(2, '0'))
  return fen > 0 ? fen : null
}

const BEIJING_OFFSET_MS = 8 * 3600 * 1000

function beijingParts(iso: string | Date) {
  const d = new Date(new Date(iso).getTime() + BEIJING_OFFSET_MS)
  const pad = (n: number) => n.toString().padStart(2, '0')
  return {
    y: d.getUTCFullYear(), mo: pad(d.getUTCMonth() + 1), d: pad(d.getUTCDate()), h: pad(d.getUTCHours()), mi: pad(d.getUTCMinutes())
  }
}

/** "2026-12-05 14:30" in Beijing time, whatever the phone's time zone. */
export function dateTime(iso: string | Date): string {
  const p = beijingParts(iso)
  return `${p.y}-${p.mo}-${p.d} ${p.h}:${p.mi}`
}

export function dateOnly(iso: string | Date): string {
  const p = beijingParts(iso)
  return `${p.y}-${p.mo}-${p.d}`
}

/** The end of a Beijing calendar day "YYYY-MM-DD" as an ISO instant (deadlines are picked as days). */
export function endOfBeijingDay(day: string): string {
  const [y, m, d] = day.split('-').map(Number)
  return new Date(Date.UTC(y, m - 1, d, 23, 59, 59) - BEIJING_OFFSET_MS).toISOString()
}

/** A day N days from `now` in Beijing time, "YYYY-MM-DD". */
export function beijingDayAfter(now: Date, days: number): string {
  return dateOnly(new Date(now.getTime() + days * 86400_000))
}

/** What is left until `due`: "剩 47 小时 59 分" / "剩 12 分钟" / "已超时". */
export function countdown(due: string | Date, now: Date): { text: string; overdue: boolean; urgent: boolean } {
  const ms = new Date(due).getTime() - now.getTime()
  if (ms <= 0) return { text: '已超时', overdue: true, urgent: true }
  const minutes = Math.floor(ms / 60000)
  const hours = Math.floor(minutes / 60)
  const text = hours > 0 ? `剩 ${hours} 小时 ${minutes % 60} 分` : `剩 ${Math.max(minutes, 1)} 分钟`
  return { text, overdue: false, urgent: hours < 8 }
}

export function stars(n: number): string {
  return '★★★★★'.slice(0, n) + '☆☆☆☆☆'.slice(0, 5 - n)
}

export function percent(rate: number | null | undefined): string {
  return rate === null || rate === undefined ? '暂无' : `${Math.round(rate * 100)}%`
}

// Growth reports and the public resume card: the pure parts (test/reports.test.ts; no Taro here, so vitest runs them).

/**
 * Whose card a card page shows. The card's mini-program code opens `pages/card/index` with the scene `card=<id>`
 * (WeChat hands it to the page URL-encoded: `scene=card%3D7`); a link inside the app passes `id=<id>`.
 * Anything else is no card (null), never a request for a guessed id.
 */
export function cardUserId(params: Record<string, string | undefined>): number | null {
  const fromId = params.id
  if (fromId !== undefined) return positiveId(fromId)
  let scene = params.scene
  if (scene === undefined) return null
  try {
    scene = decodeURIComponent(scene)
  } catch {
    return null
  }
  const match = /^card=(\d{1,18})$/.exec(scene)
  return match ? positiveId(match[1]) : null
}

function positiveId(text: string): number | null {
  if (!/^\d{1,18}$/.test(text)) return null
  const n = Number(text)
  return Number.isSafeInteger(n) && n > 0 ? n : null
}

/** "2026-11" → "2026 年 11 月". */
export function monthLabel(month: string): string {
  const m = /^(\d{4})-(\d{2})$/.exec(month)
  return m ? `${m[1]} 年 ${Number(m[2])} 月` : month
}

export interface ReportLine { month: string; version: number; final: boolean; as_of: string }

/** How a report is described in the list: the month's final report, or the month so far (and which version). */
export function reportStatus(r: ReportLine): string {
  if (r.final) return '月度终版'
  const day = /^\d{4}-\d{2}-(\d{2})$/.exec(r.as_of)
  return `本月至今（截至 ${day ? Number(day[1]) : r.as_of} 日${r.version > 1 ? `，第 ${r.version} 版` : ''}）`
}

/** "★★★★☆" for a 1–5 star rating. */
export function starText(n: number): string {
  const k = Math.max(0, Math.min(5, Math.round(n)))
  return '★'.repeat(k) + '☆'.repeat(5 - k)
}

// Pure helpers of the growth pages: the skill graph's bars, level and rank texts, check-in and challenge progress,
// leaderboard queries. No Taro here: vitest tests these (test/growth.test.ts).

const BEIJING_OFFSET_MS = 8 * 3600 * 1000

export interface Bar { key: string; name: string; points: number; width: number }

/**
 * The skill graph as bars: each category's width in whole percent of the largest (the largest is 100); a category
 * with points never draws narrower than `min`, so a small but real skill stays visible. Order is kept.
 */
export function skillBars(rows: { category: string; name: string; points: number }[], min = 4): Bar[] {
  const max = rows.reduce((m, r) => Math.max(m, r.points), 0)
  return rows.map((r) => {
    const raw = max > 0 && r.points > 0 ? Math.round((r.points * 100) / max) : 0
    return { key: r.category, name: r.name, points: r.points, width: r.points > 0 ? Math.max(raw, min) : 0 }
  })
}

/** "C 级 · 下一级 B" / "S 级 · 已是最高等级". */
export function levelLine(level: { level: string; next_level?: string | null }): string {
  return level.next_level ? `${level.level} 级 · 下一级 ${level.next_level}` : `${level.level} 级 · 已是最高等级`
}

/** A points change with its sign: "+50" / "-20" / "0". */
export function signed(n: number): string {
  return n > 0 ? `+${n}` : String(n)
}

/** "HH:MM" in Beijing time. */
export function beijingHhmm(iso: string | Date): string {
  const d = new Date(new Date(iso).getTime() + BEIJING_OFFSET_MS)
  return `${String(d.getUTCHours()).padStart(2, '0')}:${String(d.getUTCMinutes()).padStart(2, '0')}`
}

export interface MyRank { score: number; rank?: number | null; exact: boolean; as_of?: string | null; as_of_at?: string | null }

/**
 * My place on a board: "第 3 名" when exact, "约第 1,204 名 · 截至 14:05" from the snapshot, "未上榜" without a rank.
 * Null `me` (no score this period) reads "本期还没有得分".
 */
export function rankText(me: MyRank | null | undefined, optedOut = false): string {
  if (optedOut) return '已退出排行榜'
  if (!me) return '本期还没有得分'
  if (me.rank === null || me.rank === undefined) return '未上榜'
  const n = me.rank.toLocaleString('en-US')
  if (me.exact) return `第 ${n} 名`
  const asOf = me.as_of_at ? `截至 ${beijingHhmm(me.as_of_at)}` : me.as_of ?? ''
  return asOf ? `约第 ${n} 名 · ${asOf}` : `约第 ${n} 名`
}

export const BOARDS = [
  { key: 'weekly', name: '周榜' },
  { key: 'monthly', name: '月榜' },
  { key: 'all_time', name: '总榜' },
  { key: 'skill', name: '技能榜' }
] as const
export type BoardKey = (typeof BOARDS)[number]['key']

/** The query of a board request: only the skill board takes a skill (the API refuses it on the others). */
export function boardQuery(board: BoardKey, skill: string | null, limit = 20): { skill?: string; limit: number } | null {
  if (board !== 'skill') return { limit }
  return skill ? { skill, limit } : null // the skill board needs a skill first
}

/** A progress fraction as whole percent, clamped to 0–100 (a total of 0 counts as done). */
export function progressPercent(done: number, total: number): number {
  if (total <= 0) return 100
  return Math.min(100, Math.max(0, Math.floor((done * 100) / total)))
}

export const CHALLENGE_STATUS: Record<string, { text: string; tone: 'ok' | 'warn' | 'muted' | undefined }> = {
  running: { text: '进行中', tone: 'warn' },
  completed: { text: '已完成', tone: 'ok' },
  upcoming: { text: '未开始', tone: 'muted' },
  expired: { text: '已结束', tone: 'muted' },
  locked: { text: '需成长通行证', tone: 'muted' }
}

export const WINDOW_NAMES: Record<string, string> = { registration: '新人', daily: '每日', weekly: '每周', monthly: '每月' }

/** A challenge's rewards in words: "50 积分 · 100 经验 · 1 次抽奖 · ¥5.00". */
export function rewardText(r: { points: number; xp: number; lottery_entries: number; cash_fen: number; badge_key?: string | null; title_key?: string | null; unlocks?: string[] }): string {
  const parts: string[] = []
  if (r.points) parts.push(`${r.points} 积分`)
  if (r.xp) parts.push(`${r.xp} 经验`)
  if (r.lottery_entries) parts.push(`${r.lottery_entries} 次抽奖`)
  if (r.cash_fen) parts.push(`¥${Math.floor(r.cash_fen / 100)}.${String(r.cash_fen % 100).padStart(2, '0')}`)
  if (r.badge_key) parts.push('徽章')
  if (r.title_key) parts.push('头衔')
  for (const u of r.unlocks ?? []) parts.push(u === 'skill_graph' ? '解锁技能图谱' : u === 'resume' ? '解锁履历生成' : `解锁 ${u}`)
  return parts.join(' · ') || '无'
}

export const SOURCE_NAMES: Record<string, string> = {
  challenge: '挑战', checkin: '签到', compensation: '补偿', invitation: '邀请', community: '社区', work: '任务',
  admin: '运营', reversal: '冲正', lottery: '抽奖'
}

export const DRAW_STATES: Record<string, string> = { announced: '已公布承诺', closed: '已截止', drawn: '已开奖' }

/** The check-in button's words: what tapping it would do today. */
export function checkinLabel(s: { checked_in_today: boolean; streak: number }): string {
  if (s.checked_in_today) return `今日已签到 · 连续 ${s.streak} 天`
  return s.streak > 0 ? `签到（将连续 ${s.streak + 1} 天）` : '签到'
}

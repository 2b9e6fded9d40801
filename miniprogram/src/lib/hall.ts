// The task hall's filters → the API query, and keyset pages merged for infinite scroll. Pure: unit-tested.
import type { paths } from '@/api/schema'
import { parseYuan } from './format'

export type HallQuery = NonNullable<paths['/tasks']['get']['parameters']['query']>
export type Sort = NonNullable<HallQuery['sort']>

/** The sorts the API offers, in display order. `match` ranks by the signed-in developer's skills and level. */
export const SORTS: { value: Sort; label: string }[] = [
  { value: 'newest', label: '最新' },
  { value: 'reward', label: '赏金最高' },
  { value: 'deadline', label: '截止最近' },
  { value: 'match', label: '匹配我' }
]

export const DEADLINE_WINDOWS: { days: number | null; label: string }[] = [
  { days: null, label: '不限' },
  { days: 3, label: '3 天内' },
  { days: 7, label: '7 天内' },
  { days: 30, label: '30 天内' }
]

export interface HallFilters {
  tags: string[]
  tagMode: 'any' | 'all'
  difficultyMin: number
  difficultyMax: number
  rewardMinYuan: string
  deadlineDays: number | null
  sort: Sort
}

export const DEFAULT_FILTERS: HallFilters = {
  tags: [], tagMode: 'any', difficultyMin: 1, difficultyMax: 5, rewardMinYuan: '', deadlineDays: null, sort: 'newest'
}

export function hallQuery(f: HallFilters, now: Date, cursor?: string | null, limit = 20): HallQuery {
  const q: HallQuery = { sort: f.sort, limit }
  if (f.tags.length) {
    q.tags = f.tags
    q.tag_mode = f.tagMode
  }
  if (f.difficultyMin > 1) q.difficulty_min = f.difficultyMin
  if (f.difficultyMax < 5) q.difficulty_max = f.difficultyMax
  const rewardMin = f.rewardMinYuan ? parseYuan(f.rewardMinYuan) : null
  if (rewardMin) q.reward_min = rewardMin
  if (f.deadlineDays) q.deadline_before = new Date(now.getTime() + f.deadlineDays * 86400_000).toISOString()
  if (cursor) q.cursor = cursor
  return q
}

/** How many filters differ from the defaults (shown on the 筛选 button). */
export function activeFilterCount(f: HallFilters): number {
  return [f.tags.length > 0, f.difficultyMin > 1 || f.difficultyMax < 5, Boolean(f.rewardMinYuan), f.deadlineDays !== null]
    .filter(Boolean).length
}

/** Append a keyset page, never showing a task twice (a promoted task can move between segments while scrolling). */
export function mergePage<T extends { id: number }>(items: T[], page: T[]): T[] {
  const seen = new Set(items.map((t) => t.id))
  return [...items, ...page.filter((t) => !seen.has(t.id))]
}

export function toggle<T>(list: T[], value: T): T[] {
  return list.includes(value) ? list.filter((v) => v !== value) : [...list, value]
}

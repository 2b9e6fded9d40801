import { describe, expect, it } from 'vitest'
import { activeFilterCount, DEFAULT_FILTERS, hallQuery, mergePage, SORTS, toggle } from '@/lib/hall'

const now = new Date('2026-12-04T00:00:00Z')

describe('hall query', () => {
  it('sends only the sort and page size by default', () => {
    expect(hallQuery(DEFAULT_FILTERS, now)).toEqual({ sort: 'newest', limit: 20 })
    expect(activeFilterCount(DEFAULT_FILTERS)).toBe(0)
  })

  it('maps every filter to the API parameter', () => {
    const f = { tags: ['python', 'vue'], tagMode: 'all' as const, difficultyMin: 2, difficultyMax: 4, rewardMinYuan: '1000', deadlineDays: 7, sort: 'reward' as const }
    expect(hallQuery(f, now, 'abc')).toEqual({
      sort: 'reward', limit: 20, tags: ['python', 'vue'], tag_mode: 'all', difficulty_min: 2, difficulty_max: 4,
      reward_min: 100000, deadline_before: '2026-12-11T00:00:00.000Z', cursor: 'abc'
    })
    expect(activeFilterCount(f)).toBe(4)
  })

  it('ignores a reward it cannot read rather than sending garbage', () => {
    expect(hallQuery({ ...DEFAULT_FILTERS, rewardMinYuan: 'abc' }, now).reward_min).toBeUndefined()
  })

  it('offers the sorts the API has today', () => {
    expect(SORTS.map((s) => s.value)).toEqual(['newest', 'reward', 'deadline', 'match'])
  })
})

describe('infinite scroll', () => {
  it('appends a page without repeating a task', () => {
    const merged = mergePage([{ id: 1 }, { id: 2 }], [{ id: 2 }, { id: 3 }])
    expect(merged.map((t) => t.id)).toEqual([1, 2, 3])
  })
  it('toggles a chip', () => {
    expect(toggle(['a'], 'b')).toEqual(['a', 'b'])
    expect(toggle(['a', 'b'], 'a')).toEqual(['b'])
  })
})

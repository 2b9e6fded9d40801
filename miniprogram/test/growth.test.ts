import { describe, expect, it } from 'vitest'
import {
  beijingHhmm, boardQuery, checkinLabel, levelLine, progressPercent, rankText, rewardText, signed, skillBars
} from '@/lib/growth'

describe('the skill graph as bars', () => {
  it('scales each category to the largest, which is 100', () => {
    const bars = skillBars([
      { category: 'backend', name: '后端', points: 120 },
      { category: 'frontend', name: '前端', points: 60 },
      { category: 'mobile', name: '移动端', points: 1 }
    ])
    expect(bars.map((b) => b.width)).toEqual([100, 50, 4]) // 1/120 would be 1 %: drawn at the minimum
    expect(bars.map((b) => b.key)).toEqual(['backend', 'frontend', 'mobile'])
    expect(bars[0].points).toBe(120)
  })

  it('draws nothing for zero points and copes with an empty graph', () => {
    expect(skillBars([])).toEqual([])
    expect(skillBars([{ category: 'x', name: 'X', points: 0 }])[0].width).toBe(0)
  })

  it('keeps every width within 0–100 and in the order of the points', () => {
    for (let seed = 1; seed < 200; seed++) {
      const rows = Array.from({ length: 1 + (seed % 7) }, (_, i) => ({ category: `c${i}`, name: `c${i}`, points: (seed * (i + 3) * 7919) % 500 }))
      const bars = skillBars(rows)
      for (const b of bars) {
        expect(b.width).toBeGreaterThanOrEqual(0)
        expect(b.width).toBeLessThanOrEqual(100)
        expect(b.width > 0).toBe(b.points > 0)
      }
      for (const a of bars) for (const b of bars) if (a.points > b.points) expect(a.width).toBeGreaterThanOrEqual(b.width)
    }
  })
})

describe('level, points and progress texts', () => {
  it('names the next level, or says the top is reached', () => {
    expect(levelLine({ level: 'C', next_level: 'B' })).toBe('C 级 · 下一级 B')
    expect(levelLine({ level: 'S', next_level: null })).toBe('S 级 · 已是最高等级')
  })

  it('signs a points change', () => {
    expect(signed(50)).toBe('+50')
    expect(signed(-20)).toBe('-20')
    expect(signed(0)).toBe('0')
  })

  it('turns done/total into a clamped whole percent', () => {
    expect(progressPercent(2, 3)).toBe(66)
    expect(progressPercent(3, 3)).toBe(100)
    expect(progressPercent(5, 3)).toBe(100)
    expect(progressPercent(0, 3)).toBe(0)
    expect(progressPercent(0, 0)).toBe(100)
  })

  it('describes rewards in words, money from integer fen', () => {
    expect(rewardText({ points: 50, xp: 100, lottery_entries: 1, cash_fen: 505, unlocks: ['skill_graph'] }))
      .toBe('50 积分 · 100 经验 · 1 次抽奖 · ¥5.05 · 解锁技能图谱')
    expect(rewardText({ points: 0, xp: 0, lottery_entries: 0, cash_fen: 0 })).toBe('无')
  })

  it('says what the check-in button does today', () => {
    expect(checkinLabel({ checked_in_today: false, streak: 0 })).toBe('签到')
    expect(checkinLabel({ checked_in_today: false, streak: 6 })).toBe('签到（将连续 7 天）')
    expect(checkinLabel({ checked_in_today: true, streak: 7 })).toBe('今日已签到 · 连续 7 天')
  })
})

describe('my rank on a board', () => {
  it('is exact in the top, approximate with the snapshot time (Beijing) further down', () => {
    expect(rankText({ score: 300, rank: 3, exact: true })).toBe('第 3 名')
    // 06:05 UTC is 14:05 in Beijing
    expect(rankText({ score: 10, rank: 1204, exact: false, as_of: '截至 14:05', as_of_at: '2026-12-04T06:05:00Z' }))
      .toBe('约第 1,204 名 · 截至 14:05')
    expect(rankText({ score: 10, rank: 1204, exact: false, as_of: '截至 14:05', as_of_at: null })).toBe('约第 1,204 名 · 截至 14:05')
  })

  it('says when there is no rank, no score, or the user left the boards', () => {
    expect(rankText({ score: 0, rank: null, exact: true })).toBe('未上榜')
    expect(rankText(null)).toBe('本期还没有得分')
    expect(rankText({ score: 300, rank: 3, exact: true }, true)).toBe('已退出排行榜')
  })

  it('formats Beijing hours across the UTC day boundary', () => {
    expect(beijingHhmm('2026-12-04T16:30:00Z')).toBe('00:30')
    expect(beijingHhmm('2026-12-04T15:59:00Z')).toBe('23:59')
  })

  it('sends a skill only to the skill board, and needs one there', () => {
    expect(boardQuery('weekly', 'python')).toEqual({ limit: 20 })
    expect(boardQuery('skill', 'python')).toEqual({ skill: 'python', limit: 20 })
    expect(boardQuery('skill', null)).toBeNull()
  })
})

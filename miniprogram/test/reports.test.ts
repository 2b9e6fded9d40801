import { describe, expect, it } from 'vitest'
import { cardUserId, monthLabel, reportStatus, starText } from '@/lib/reports'
import { PAGES, menuFor } from '@/nav'

describe('the card page finds whose card to show', () => {
  it('from the mini-program code scene, encoded as WeChat hands it over, or plain', () => {
    expect(cardUserId({ scene: 'card%3D7' })).toBe(7)
    expect(cardUserId({ scene: 'card=12345' })).toBe(12345)
  })
  it('from a link inside the app', () => {
    expect(cardUserId({ id: '42' })).toBe(42)
  })
  it('and from nothing else', () => {
    for (const params of [{}, { scene: '' }, { scene: 'card=' }, { scene: 'card=0' }, { scene: 'card=-3' },
      { scene: 'user=7' }, { scene: 'card=7&x=1' }, { scene: '%E0%A4%A' }, { id: 'abc' }, { id: '0' },
      { id: '1e3' }, { id: '99999999999999999999' }]) {
      expect(cardUserId(params)).toBeNull()
    }
  })
  it('is the page the card code opens (the backend asks WeChat for pages/card/index)', () => {
    expect(PAGES.card).toBe('pages/card/index')
  })
})

describe('my growth reports', () => {
  it('names the month and the kind of report', () => {
    expect(monthLabel('2026-03')).toBe('2026 年 3 月')
    expect(reportStatus({ month: '2026-10', version: 1, final: true, as_of: '2026-10-31' })).toBe('月度终版')
    expect(reportStatus({ month: '2026-11', version: 1, final: false, as_of: '2026-11-25' })).toBe('本月至今（截至 25 日）')
    expect(reportStatus({ month: '2026-11', version: 3, final: false, as_of: '2026-11-05' }))
      .toBe('本月至今（截至 5 日，第 3 版）')
  })
  it('draws star ratings within 0–5', () => {
    expect(starText(4)).toBe('★★★★☆')
    expect(starText(9)).toBe('★★★★★')
    expect(starText(-1)).toBe('☆☆☆☆☆')
  })
  it('is in the developer menu only', () => {
    expect(menuFor(['developer']).map((m) => m.page)).toContain('reports')
    expect(menuFor(['merchant']).map((m) => m.page)).not.toContain('reports')
  })
})

import { describe, expect, it } from 'vitest'
import { beijingDayAfter, countdown, dateOnly, dateTime, endOfBeijingDay, parseYuan, percent, stars, yuan } from '@/lib/format'

describe('money in fen', () => {
  it('formats fen as yuan with thousands separators, exactly', () => {
    expect(yuan(250000)).toBe('¥2,500.00')
    expect(yuan(1)).toBe('¥0.01')
    expect(yuan(0)).toBe('¥0.00')
    expect(yuan(123456789)).toBe('¥1,234,567.89')
    expect(yuan(-3050)).toBe('-¥30.50')
  })

  it('parses what a merchant types into integer fen without float error', () => {
    expect(parseYuan('2500')).toBe(250000)
    expect(parseYuan('19.9')).toBe(1990)
    expect(parseYuan('0.07')).toBe(7) // 0.07 * 100 is 7.000000000000001 in floating point
    expect(parseYuan('1,234.56')).toBe(123456)
    expect(parseYuan(' ¥30 ')).toBe(3000)
  })

  it('refuses amounts that are not positive with at most two decimals', () => {
    for (const bad of ['', '0', '0.00', '-5', '1.234', 'abc', '1e3', '12.']) expect(parseYuan(bad)).toBeNull()
  })

  it('round-trips every fen amount', () => {
    for (const fen of [1, 9, 10, 99, 100, 101, 1999, 250000, 99999999]) {
      expect(parseYuan(yuan(fen))).toBe(fen)
    }
  })
})

describe('Beijing time', () => {
  it('shows instants in Asia/Shanghai whatever the device zone', () => {
    expect(dateTime('2026-12-04T16:30:00Z')).toBe('2026-12-05 00:30')
    expect(dateOnly('2026-12-04T15:59:59Z')).toBe('2026-12-04')
    expect(dateOnly('2026-12-04T16:00:00Z')).toBe('2026-12-05')
  })

  it('turns a picked day into the end of that Beijing day', () => {
    expect(endOfBeijingDay('2026-12-19')).toBe('2026-12-19T15:59:59.000Z')
    expect(dateOnly(endOfBeijingDay('2026-12-19'))).toBe('2026-12-19')
  })

  it('counts days in Beijing', () => {
    expect(beijingDayAfter(new Date('2026-12-04T17:00:00Z'), 14)).toBe('2026-12-19') // already the 5th in Beijing
  })
})

describe('the 48-hour countdown', () => {
  const now = new Date('2026-12-04T10:00:00Z')
  it('shows hours and minutes left', () => {
    expect(countdown('2026-12-06T10:00:00Z', now)).toEqual({ text: '剩 48 小时 0 分', overdue: false, urgent: false })
    expect(countdown('2026-12-06T09:59:00Z', now).text).toBe('剩 47 小时 59 分')
  })
  it('is urgent in the last 8 hours and shows minutes in the last hour', () => {
    expect(countdown('2026-12-04T17:00:00Z', now).urgent).toBe(true)
    expect(countdown('2026-12-04T10:12:30Z', now).text).toBe('剩 12 分钟')
    expect(countdown('2026-12-04T10:00:20Z', now).text).toBe('剩 1 分钟')
  })
  it('says overdue once the time is up', () => {
    expect(countdown('2026-12-04T10:00:00Z', now)).toEqual({ text: '已超时', overdue: true, urgent: true })
  })
})

it('stars and rates', () => {
  expect(stars(4)).toBe('★★★★☆')
  expect(percent(0.8571)).toBe('86%')
  expect(percent(null)).toBe('暂无')
})

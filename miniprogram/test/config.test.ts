import { describe, expect, it } from 'vitest'
import { buildConstants } from '../config/constants'
import { MENU, menuFor, PAGES, TABS, url } from '@/nav'

describe('build constants', () => {
  it('H5: API and fakes on the same origin; fake controls only in a development build', () => {
    const c = buildConstants({ TARO_ENV: 'h5' })
    expect(JSON.parse(c.API_BASE)).toBe('/api')
    expect(JSON.parse(c.DEV_CONTROLS)).toBe(false)
    expect(JSON.parse(buildConstants({ TARO_ENV: 'h5', CODELINK_DEV_CONTROLS: '1' }).DEV_CONTROLS)).toBe(true)
  })
  it('weapp: the local gateway and fakes on CODELINK_PORT_BASE', () => {
    const c = buildConstants({ TARO_ENV: 'weapp', CODELINK_PORT_BASE: '9400' })
    expect(JSON.parse(c.API_BASE)).toBe('http://127.0.0.1:9400')
    expect(JSON.parse(c.FAKE_WECHAT_BASE)).toBe('http://127.0.0.1:9501')
    expect(JSON.parse(c.FAKE_WECHATPAY_BASE)).toBe('http://127.0.0.1:9504')
    expect(JSON.parse(c.SUBSCRIBE_TEMPLATES)).toEqual(['tmpl-application-update', 'tmpl-task-update', 'tmpl-money-update'])
  })
})

describe('navigation', () => {
  it('every tab and menu entry is a page', () => {
    for (const t of TABS) expect(PAGES[t.page]).toBeTruthy()
    for (const m of MENU) expect(PAGES[m.page]).toBeTruthy()
    expect(TABS.length).toBeGreaterThanOrEqual(2)
    expect(TABS.length).toBeLessThanOrEqual(5) // WeChat's limit
  })
  it('shows each role its own menu', () => {
    expect(menuFor(['developer']).map((m) => m.page)).toContain('payouts')
    expect(menuFor(['developer']).map((m) => m.page)).not.toContain('publish')
    expect(menuFor(['merchant']).map((m) => m.page)).toContain('publish')
  })
  it('builds page URLs with their query', () => {
    expect(url('task', { id: 3 })).toBe('/pages/task/index?id=3')
    expect(url('manage', { id: 3, promotion: undefined })).toBe('/pages/merchant/manage/index?id=3')
  })
})

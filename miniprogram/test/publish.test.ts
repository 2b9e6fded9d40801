import { describe, expect, it } from 'vitest'
import { toTaskCreate, type PublishDraft } from '@/lib/publish'

const draft: PublishDraft = {
  title: ' 小程序登录页 ', description: '使用 Taro 实现微信一键登录页面', skills: ['taro'], difficulty: 3, rewardYuan: '2500',
  deadlineDay: '2026-12-19', useMilestones: false, milestones: []
}

describe('publish form', () => {
  it('builds the API body: trimmed text, fen, the end of the Beijing day', () => {
    const checked = toTaskCreate(draft)
    expect(checked).toEqual({
      ok: true,
      body: {
        title: '小程序登录页', description: '使用 Taro 实现微信一键登录页面', skill_tags: ['taro'], difficulty: 3,
        reward_fen: 250000, deadline: '2026-12-19T15:59:59.000Z'
      }
    })
  })

  it('explains what is missing, in Chinese', () => {
    expect(toTaskCreate({ ...draft, title: '短' })).toEqual({ ok: false, error: '标题至少 4 个字' })
    expect(toTaskCreate({ ...draft, skills: [] })).toEqual({ ok: false, error: '请至少选择一个技能标签' })
    expect(toTaskCreate({ ...draft, rewardYuan: '12.345' })).toMatchObject({ ok: false })
  })

  it('requires milestones that add up to the reward', () => {
    const withMilestones = { ...draft, useMilestones: true, milestones: [{ title: '设计', yuan: '1000' }, { title: '开发', yuan: '1000' }] }
    expect(toTaskCreate(withMilestones)).toEqual({ ok: false, error: '各里程碑赏金之和（¥2,000.00）须等于任务赏金（¥2,500.00）' })
    const fixed = { ...withMilestones, milestones: [{ title: '设计', yuan: '1000' }, { title: '开发', yuan: '1500' }] }
    const checked = toTaskCreate(fixed)
    expect(checked.ok && checked.body.milestones).toEqual([{ title: '设计', reward_fen: 100000 }, { title: '开发', reward_fen: 150000 }])
    expect(toTaskCreate({ ...fixed, milestones: fixed.milestones.slice(0, 1) })).toMatchObject({ ok: false })
  })
})

// The publish form → the API's TaskCreate, with the checks a merchant should hear about before submitting. Pure.
import type { Schemas } from '@/api/client'
import { endOfBeijingDay, parseYuan, yuan } from './format'

export interface MilestoneDraft { title: string; yuan: string }
export interface PublishDraft {
  title: string
  description: string
  skills: string[]
  difficulty: number
  rewardYuan: string
  deadlineDay: string
  useMilestones: boolean
  milestones: MilestoneDraft[]
}

export type Checked = { ok: true; body: Schemas['TaskCreate'] } | { ok: false; error: string }

export function toTaskCreate(d: PublishDraft): Checked {
  if (d.title.trim().length < 4) return { ok: false, error: '标题至少 4 个字' }
  if (d.description.trim().length < 10) return { ok: false, error: '任务描述至少 10 个字' }
  if (!d.skills.length) return { ok: false, error: '请至少选择一个技能标签' }
  if (d.skills.length > 8) return { ok: false, error: '技能标签最多 8 个' }
  const reward = parseYuan(d.rewardYuan)
  if (!reward) return { ok: false, error: '请填写赏金（元，最多两位小数）' }
  if (!/^\d{4}-\d{2}-\d{2}$/.test(d.deadlineDay)) return { ok: false, error: '请选择截止日期' }
  const body: Schemas['TaskCreate'] = {
    title: d.title.trim(), description: d.description.trim(), skill_tags: d.skills, difficulty: d.difficulty,
    reward_fen: reward, deadline: endOfBeijingDay(d.deadlineDay)
  }
  if (d.useMilestones) {
    const parts: Schemas['MilestoneIn'][] = []
    for (const [i, m] of d.milestones.entries()) {
      const fen = parseYuan(m.yuan)
      if (!m.title.trim() || !fen) return { ok: false, error: `请填写第 ${i + 1} 个里程碑的名称和赏金` }
      parts.push({ title: m.title.trim(), reward_fen: fen })
    }
    if (parts.length < 2) return { ok: false, error: '分里程碑至少 2 个' }
    const total = parts.reduce((a, m) => a + m.reward_fen, 0)
    if (total !== reward) return { ok: false, error: `各里程碑赏金之和（${yuan(total)}）须等于任务赏金（${yuan(reward)}）` }
    body.milestones = parts
  }
  return { ok: true, body }
}

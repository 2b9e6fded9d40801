// Publish a task: skills from the taxonomy, difficulty, reward, deadline, optional milestones and promotion. The
// promotion is paid together with the escrow on the next page.
import { useState } from 'react'
import { Input, Picker, Textarea, View } from '@tarojs/components'
import { api } from '@/api'
import { Btn, Chip, ErrorText, Field, Section } from '@/components/ui'
import { useAction, useLoad } from '@/lib/hooks'
import { useSkills } from '@/lib/skills'
import { SkillPicker } from '@/components/SkillPicker'
import { beijingDayAfter, yuan } from '@/lib/format'
import { toTaskCreate, type PublishDraft } from '@/lib/publish'
import { useSignedIn } from '@/lib/auth'
import { hasRole } from '@/lib/session'
import { go, replace } from '@/lib/navigate'

export default function Publish() {
  const signedIn = useSignedIn()
  const { categories } = useSkills()
  const plans = useLoad(() => api.get('/billing/plans'))
  const [draft, setDraft] = useState<PublishDraft>({
    title: '', description: '', skills: [], difficulty: 3, rewardYuan: '', deadlineDay: beijingDayAfter(new Date(), 14),
    useMilestones: false, milestones: [{ title: '', yuan: '' }, { title: '', yuan: '' }]
  })
  const [promotionDays, setPromotionDays] = useState<number | null>(null)
  const submit = useAction()
  const set = (patch: Partial<PublishDraft>) => setDraft({ ...draft, ...patch })

  if (signedIn && !hasRole('merchant')) {
    return (
      <View className='page'>
        <View className='notice'>发布任务前请先填写商家资料。</View>
        <Btn id='become-merchant' onTap={() => go('merchantProfile')}>填写商家资料</Btn>
      </View>
    )
  }
  return (
    <View className='page'>
      <Section title='任务信息'>
        <Field label='标题'>
          <Input id='task-title-input' className='input' value={draft.title} maxlength={80} placeholder='例如 微信小程序登录页开发'
            onInput={(e) => set({ title: e.detail.value })} />
        </Field>
        <Field label='描述'>
          <Textarea id='task-description' className='textarea' value={draft.description} maxlength={5000}
            placeholder='要做什么、验收标准、交付物' onInput={(e) => set({ description: e.detail.value })} />
        </Field>
        <Field label='难度'>
          <View className='chips'>
            {[1, 2, 3, 4, 5].map((d) => <Chip key={d} id={`publish-difficulty-${d}`} label={`${d}`} active={draft.difficulty === d} onTap={() => set({ difficulty: d })} />)}
          </View>
        </Field>
        <Field label='赏金（元）' hint='全额托管，验收后支付给开发者'>
          <Input id='task-reward' className='input' type='digit' value={draft.rewardYuan} placeholder='例如 2500'
            onInput={(e) => set({ rewardYuan: e.detail.value })} />
        </Field>
        <Field label='截止日期'>
          <Picker mode='date' value={draft.deadlineDay} start={beijingDayAfter(new Date(), 1)} onChange={(e) => set({ deadlineDay: e.detail.value })}>
            <View className='input' id='task-deadline'>{draft.deadlineDay}</View>
          </Picker>
        </Field>
      </Section>
      <Section title='技能标签'>
        <SkillPicker categories={categories} selected={draft.skills} idPrefix='publish-skill' onChange={(skills) => set({ skills })} />
      </Section>
      <Section title='分里程碑（可选）'>
        <View className='chips'>
          <Chip label='一次性交付' active={!draft.useMilestones} onTap={() => set({ useMilestones: false })} />
          <Chip id='use-milestones' label='分里程碑交付' active={draft.useMilestones} onTap={() => set({ useMilestones: true })} />
        </View>
        {draft.useMilestones ? (
          <>
            {draft.milestones.map((m, i) => (
              <View key={i} className='row'>
                <Input className='input' value={m.title} placeholder={`里程碑 ${i + 1} 名称`}
                  onInput={(e) => set({ milestones: draft.milestones.map((x, j) => (j === i ? { ...x, title: e.detail.value } : x)) })} />
                <Input className='input' type='digit' value={m.yuan} placeholder='赏金（元）'
                  onInput={(e) => set({ milestones: draft.milestones.map((x, j) => (j === i ? { ...x, yuan: e.detail.value } : x)) })} />
              </View>
            ))}
            <View className='actions'>
              {draft.milestones.length < 10 ? <Btn size='mini' kind='default' onTap={() => set({ milestones: [...draft.milestones, { title: '', yuan: '' }] })}>添加里程碑</Btn> : null}
              {draft.milestones.length > 2 ? <Btn size='mini' kind='default' onTap={() => set({ milestones: draft.milestones.slice(0, -1) })}>删除最后一个</Btn> : null}
            </View>
            <View className='muted'>每个里程碑单独托管、单独验收结算；第一个托管后任务上线。</View>
          </>
        ) : null}
      </Section>
      <Section title='置顶推荐（可选）'>
        <View className='chips'>
          <Chip label='不需要' active={promotionDays === null} onTap={() => setPromotionDays(null)} />
          {(plans.data?.promotion ?? []).map((o) => (
            <Chip key={o.days} id={`promotion-${o.days}`} label={`${o.days} 天 ${yuan(o.price_fen)}`} active={promotionDays === o.days}
              onTap={() => setPromotionDays(o.days)} />
          ))}
        </View>
        <View className='muted'>置顶费用随赏金托管一起支付。</View>
      </Section>
      <Btn id='submit-task' busy={submit.busy} onTap={() => submit.run(async () => {
        const checked = toTaskCreate(draft)
        if (!checked.ok) throw new Error(checked.error)
        const task = await api.post('/tasks', { body: checked.body })
        replace('manage', { id: task.id, promotion: promotionDays ?? undefined })
      }, '已提交')}>发布任务</Btn>
      <ErrorText error={submit.error} />
    </View>
  )
}

// The resume card editor: what merchants see when I apply, and what the public card shows (public_fields).
import { useState } from 'react'
import { useDidShow } from '@tarojs/taro'
import { Input, Picker, Text, Textarea, View } from '@tarojs/components'
import { api, ApiError, type Schemas } from '@/api'
import { Btn, Chip, ErrorText, Field, Loading, Section } from '@/components/ui'
import { errorText, useAction } from '@/lib/hooks'
import { useSkills } from '@/lib/skills'
import { SkillPicker } from '@/components/SkillPicker'
import { toggle } from '@/lib/hall'
import { useSignedIn, refreshMe } from '@/lib/auth'
import { getSession, isSignedIn } from '@/lib/session'

type Form = Schemas['DeveloperProfileIn']
type PublicField = NonNullable<Form['public_fields']>[number]
type Link = Schemas['Link']
type Experience = Schemas['Experience']

const PUBLIC_FIELDS: { value: PublicField; label: string }[] = [
  { value: 'display_name', label: '昵称' }, { value: 'headline', label: '一句话介绍' }, { value: 'bio', label: '个人简介' },
  { value: 'city', label: '城市' }, { value: 'years_experience', label: '工作年限' }, { value: 'skills', label: '技能' },
  { value: 'links', label: '链接' }, { value: 'experience', label: '经历' }, { value: 'rating', label: '评分' },
  { value: 'completed_tasks', label: '完成任务数' }
]
const DEFAULT_PUBLIC: PublicField[] = ['display_name', 'headline', 'skills', 'rating', 'completed_tasks']

const EMPTY: Form = { display_name: '', headline: '', bio: '', city: '', years_experience: 0, skills: [], links: [], experience: [], public_fields: DEFAULT_PUBLIC }

function fromProfile(p: Schemas['DeveloperProfileOut']): Form {
  return {
    display_name: p.display_name, headline: p.headline, bio: p.bio, city: p.city, years_experience: p.years_experience,
    skills: p.skills.map((s) => s.slug), links: p.links as Link[], experience: p.experience as Experience[],
    public_fields: p.public_fields as PublicField[]
  }
}

export default function Resume() {
  useSignedIn()
  const { categories } = useSkills()
  const [form, setForm] = useState<Form | null>(null)
  const [loadError, setLoadError] = useState<string | null>(null)
  const [realName, setRealName] = useState('')
  const [maskedName, setMaskedName] = useState<string | null>(null)
  const [link, setLink] = useState<Link>({ title: '', url: '' })
  const [exp, setExp] = useState<Experience>({ title: '', organization: '', start: '', description: '' })
  const [card, setCard] = useState<Schemas['ResumeCardOut'] | null>(null)
  const save = useAction()

  useDidShow(() => {
    if (form || !isSignedIn()) return
    api.get('/profiles/developer').then((p) => setForm(fromProfile(p))).catch((err) => {
      if (err instanceof ApiError && err.status === 404) setForm(EMPTY) // no card yet: start one
      else setLoadError(errorText(err))
    })
    api.get('/profiles/developer/real-name').then((r) => setMaskedName(r.real_name_masked ?? null)).catch(() => undefined)
  })

  if (!form) return <View className='page'>{loadError ? <ErrorText error={loadError} /> : <Loading />}</View>
  const set = (patch: Partial<Form>) => setForm({ ...form, ...patch })

  return (
    <View className='page'>
      <Section title='基本信息'>
        <Field label='昵称'>
          <Input id='display-name' className='input' value={form.display_name} maxlength={30} onInput={(e) => set({ display_name: e.detail.value })} />
        </Field>
        <Field label='一句话介绍'>
          <Input id='headline' className='input' value={form.headline ?? ''} maxlength={60} placeholder='例如 小程序 / Taro 开发'
            onInput={(e) => set({ headline: e.detail.value })} />
        </Field>
        <Field label='城市'>
          <Input id='city' className='input' value={form.city ?? ''} maxlength={30} onInput={(e) => set({ city: e.detail.value })} />
        </Field>
        <Field label='工作年限'>
          <Input id='years' className='input' type='number' value={String(form.years_experience ?? 0)}
            onInput={(e) => set({ years_experience: Number(e.detail.value) || 0 })} />
        </Field>
        <Field label='个人简介'>
          <Textarea id='bio' className='textarea' value={form.bio ?? ''} maxlength={2000} onInput={(e) => set({ bio: e.detail.value })} />
        </Field>
      </Section>
      <Section title='技能'>
        <SkillPicker categories={categories} selected={form.skills} idPrefix='skill' onChange={(skills) => set({ skills })} />
      </Section>
      <Section title='链接'>
        {(form.links ?? []).map((l, i) => (
          <View key={i} className='between'>
            <Text className='small'>{l.title}：{l.url}</Text>
            <Text className='muted' onClick={() => set({ links: (form.links ?? []).filter((_, j) => j !== i) })}>删除</Text>
          </View>
        ))}
        <Input className='input' value={link.title} placeholder='标题，例如 GitHub' onInput={(e) => setLink({ ...link, title: e.detail.value })} />
        <View className='gap' />
        <Input className='input' value={link.url} placeholder='https://…' onInput={(e) => setLink({ ...link, url: e.detail.value })} />
        <Btn size='mini' kind='default' disabled={!link.title.trim() || !link.url.trim()}
          onTap={() => { set({ links: [...(form.links ?? []), { title: link.title.trim(), url: link.url.trim() }] }); setLink({ title: '', url: '' }) }}>添加链接</Btn>
      </Section>
      <Section title='经历'>
        {(form.experience ?? []).map((x, i) => (
          <View key={i} className='between'>
            <Text className='small'>{x.start} {x.title} {x.organization}</Text>
            <Text className='muted' onClick={() => set({ experience: (form.experience ?? []).filter((_, j) => j !== i) })}>删除</Text>
          </View>
        ))}
        <Input className='input' value={exp.title} placeholder='职位或项目' onInput={(e) => setExp({ ...exp, title: e.detail.value })} />
        <View className='gap' />
        <Input className='input' value={exp.organization ?? ''} placeholder='公司或组织（选填）' onInput={(e) => setExp({ ...exp, organization: e.detail.value })} />
        <View className='gap' />
        <Picker mode='date' value={exp.start || '2024-01-01'} onChange={(e) => setExp({ ...exp, start: e.detail.value })}>
          <View className='input'>{exp.start ? `开始于 ${exp.start}` : '选择开始日期'}</View>
        </Picker>
        <Btn size='mini' kind='default' disabled={!exp.title.trim() || !exp.start}
          onTap={() => { set({ experience: [...(form.experience ?? []), { ...exp, title: exp.title.trim() }] }); setExp({ title: '', organization: '', start: '', description: '' }) }}>添加经历</Btn>
      </Section>
      <Section title='公开简历卡片显示'>
        <View className='chips'>
          {PUBLIC_FIELDS.map((f) => (
            <Chip key={f.value} label={f.label} active={(form.public_fields ?? []).includes(f.value)}
              onTap={() => set({ public_fields: toggle(form.public_fields ?? [], f.value) })} />
          ))}
        </View>
      </Section>
      <Section title='收款实名（不公开）'>
        <View className='muted'>单笔 2000 元起的转账需要收款人实名。{maskedName ? `当前：${maskedName}` : '尚未填写'}</View>
        <Input id='real-name' className='input' value={realName} placeholder='不修改请留空' onInput={(e) => setRealName(e.detail.value)} />
      </Section>
      <Btn id='save-resume' busy={save.busy} onTap={() => save.run(async () => {
        const saved = await api.put('/profiles/developer', { body: { ...form, real_name: realName.trim() || null } })
        setForm(fromProfile(saved))
        if (realName.trim()) {
          setMaskedName((await api.get('/profiles/developer/real-name')).real_name_masked ?? null)
          setRealName('')
        }
        await refreshMe() // creating the card makes me a developer
        setCard(await api.get('/profiles/developers/{user_id}', { path: { user_id: saved.user_id } }))
      }, '已保存')}>保存简历卡片</Btn>
      <ErrorText error={save.error} />
      {card ? (
        <Section title='公开卡片预览'>
          <View id='card-preview'>
            <View className='title'>{card.display_name ?? '（昵称未公开）'}</View>
            {card.headline ? <View className='muted'>{card.headline}</View> : null}
            <View className='row'>{(card.skills ?? []).map((s) => <Text key={s.slug} className='tag'>{s.name}</Text>)}</View>
            <View className='muted'>完成任务 {card.completed_tasks ?? '—'} · 评分 {card.rating_average ?? '暂无'}</View>
          </View>
        </Section>
      ) : null}
      {getSession()?.user.roles.includes('developer') ? null : <View className='muted'>保存后即成为开发者，可以投递任务。</View>}
    </View>
  )
}

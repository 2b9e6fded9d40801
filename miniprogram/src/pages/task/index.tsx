// Task detail and one-tap apply (developer); the owner gets a way to manage it, the assignee a way to deliver.
import { useState } from 'react'
import { Text, Textarea, View } from '@tarojs/components'
import { api } from '@/api'
import { Btn, ErrorText, Field, Loaded, Section, Tag } from '@/components/ui'
import { useAction, useLoad, useNumberParam } from '@/lib/hooks'
import { dateTime, percent, yuan } from '@/lib/format'
import { useSkills } from '@/lib/skills'
import { getSession, hasRole, isSignedIn } from '@/lib/session'
import { useSignedIn } from '@/lib/auth'
import { go } from '@/lib/navigate'

export default function TaskDetail() {
  const id = useNumberParam('id')
  const { name } = useSkills()
  useSignedIn()
  const task = useLoad(() => (isSignedIn() ? api.get('/tasks/{task_id}', { path: { task_id: id } }) : Promise.reject(new Error('请先登录'))), [id])
  const developer = hasRole('developer')
  const quota = useLoad(() => (isSignedIn() && hasRole('developer') ? api.get('/applications/quota') : Promise.resolve(null)), [])
  const [note, setNote] = useState('')
  const [applied, setApplied] = useState(false)
  const apply = useAction()
  const me = getSession()?.user.id

  return (
    <View className='page'>
      <Loaded state={task}>
        {(t) => (
          <>
            <Section>
              <View className='title' id='task-title'>{t.title}</View>
              <View className='gap' />
              <View className='between'>
                <Text className='money'>{yuan(t.reward_fen)}</Text>
                <Tag tone={t.status === 'open' ? 'ok' : 'muted'}>{t.status_name}</Tag>
              </View>
              <View className='gap' />
              <View className='row'>
                {t.skill_tags.map((s) => <Tag key={s}>{name(s)}</Tag>)}
                <Tag tone='warn'>难度 {t.difficulty}</Tag>
              </View>
              <View className='gap' />
              <View className='muted'>截止 {dateTime(t.deadline)} · {t.applications_count} 人投递</View>
              <View className='muted'>{t.merchant_name ?? '商家'} · 48 小时响应率 {percent(t.merchant_response_rate)}</View>
            </Section>
            <Section title='任务描述'>
              <View className='body-text'>{t.description}</View>
            </Section>
            {t.merchant_id === me ? (
              <Btn id='manage-task' onTap={() => go('manage', { id: t.id })}>管理我的任务</Btn>
            ) : t.assignee_id === me ? (
              <Btn id='go-work' onTap={() => go('work', { task_id: t.id })}>交付与验收</Btn>
            ) : t.status === 'open' ? (
              developer ? (
                <Section title='一键投递'>
                  {quota.data ? (
                    <View className='muted'>今日已投递 {quota.data.used_today} / {quota.data.daily_cap}{quota.data.premium ? '（会员）' : ''}</View>
                  ) : null}
                  <Field label='给商家的话（选填）'>
                    <Textarea id='apply-note' className='textarea' value={note} maxlength={500} placeholder='相关经验、可投入时间…'
                      onInput={(e) => setNote(e.detail.value)} />
                  </Field>
                  {applied ? (
                    <View>
                      <View className='notice' id='applied'>已投递！商家将在 48 小时内答复，超时未答复会补偿你 10 成长积分。</View>
                      <Btn id='chat-merchant' size='mini' kind='default' onTap={() => go('chat', { task_id: id })}>联系商家</Btn>
                    </View>
                  ) : (
                    <Btn id='apply' busy={apply.busy} onTap={() => apply.run(async () => {
                      await api.post('/applications', { body: { task_id: t.id, note: note.trim() } })
                      setApplied(true)
                      void quota.reload()
                    }, '投递成功')}>一键投递（附简历卡片）</Btn>
                  )}
                  <ErrorText error={apply.error} />
                </Section>
              ) : (
                <Btn id='become-developer' kind='default' onTap={() => go('resume')}>填写简历卡片后即可投递</Btn>
              )
            ) : null}
          </>
        )}
      </Loaded>
    </View>
  )
}

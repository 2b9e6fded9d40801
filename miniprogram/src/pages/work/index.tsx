// Delivery and acceptance for one task, for both sides: the developer delivers (and delivers again after a revision
// request), the merchant accepts, asks for a revision or opens a dispute; afterwards both rate each other.
import { useState } from 'react'
import { Input, Text, Textarea, View } from '@tarojs/components'
import { api, type Schemas } from '@/api'
import { Btn, Chip, ErrorText, Field, Loaded, Section, Tag } from '@/components/ui'
import { useAction, useLoad, useNumberParam } from '@/lib/hooks'
import { dateTime, stars, yuan } from '@/lib/format'
import { useSignedIn } from '@/lib/auth'
import { getSession, isSignedIn } from '@/lib/session'
import { go } from '@/lib/navigate'

const DECISIONS: Record<string, string> = { accepted: '已验收', revision_requested: '要求修改', auto_accepted: '超时自动验收' }

function DeliveryForm({ taskId, onDone }: { taskId: number; onDone: () => void }) {
  const [content, setContent] = useState('')
  const [linkTitle, setLinkTitle] = useState('')
  const [linkUrl, setLinkUrl] = useState('')
  const action = useAction()
  return (
    <Section title='提交交付'>
      <Field label='交付说明'>
        <Textarea id='delivery-content' className='textarea' value={content} maxlength={5000} placeholder='完成了什么、如何验收…'
          onInput={(e) => setContent(e.detail.value)} />
      </Field>
      <Field label='链接（选填）' hint='代码仓库、演示地址或网盘'>
        <Input id='delivery-link-title' className='input' value={linkTitle} placeholder='标题，例如 代码仓库' onInput={(e) => setLinkTitle(e.detail.value)} />
        <View className='gap' />
        <Input id='delivery-link-url' className='input' value={linkUrl} placeholder='https://…' onInput={(e) => setLinkUrl(e.detail.value)} />
      </Field>
      <Btn id='submit-delivery' busy={action.busy} onTap={() => action.run(async () => {
        const links = linkUrl.trim() ? [{ title: linkTitle.trim() || '链接', url: linkUrl.trim() }] : []
        await api.post('/work/{task_id}/deliveries', { path: { task_id: taskId }, body: { content: content.trim(), links } })
        setContent('')
        onDone()
      }, '已提交交付')}>提交交付</Btn>
      <ErrorText error={action.error} />
    </Section>
  )
}

function Review({ taskId, work, onDone }: { taskId: number; work: Schemas['WorkState']; onDone: () => void }) {
  const [note, setNote] = useState('')
  const action = useAction()
  const left = work.max_revisions - work.revision_count
  return (
    <Section title='验收'>
      {work.auto_accept_at ? <View className='muted'>{dateTime(work.auto_accept_at)} 前未答复将自动验收</View> : null}
      <Field label='验收意见 / 修改要求'>
        <Textarea id='review-note' className='textarea' value={note} maxlength={2000} placeholder='验收通过可留言；要求修改请写清楚要改什么'
          onInput={(e) => setNote(e.detail.value)} />
      </Field>
      <View className='actions'>
        <Btn id='accept-delivery' size='mini' busy={action.busy} onTap={() => action.run(async () => {
          await api.post('/work/{task_id}/accept', { path: { task_id: taskId }, body: { note: note.trim() } })
          onDone()
        }, '已验收')}>验收通过</Btn>
        <Btn id='ask-revision' size='mini' kind='default' busy={action.busy} disabled={left <= 0} onTap={() => action.run(async () => {
          await api.post('/work/{task_id}/revision', { path: { task_id: taskId }, body: { note: note.trim() } })
          setNote('')
          onDone()
        }, '已要求修改')}>要求修改（还可 {Math.max(left, 0)} 次）</Btn>
        <Btn id='open-dispute' size='mini' kind='warn' onTap={() => go('dispute', { task_id: taskId })}>发起纠纷</Btn>
      </View>
      <ErrorText error={action.error} />
    </Section>
  )
}

function Rate({ taskId, onDone }: { taskId: number; onDone: () => void }) {
  const [value, setValue] = useState(5)
  const [comment, setComment] = useState('')
  const action = useAction()
  return (
    <Section title='评价对方'>
      <View className='chips'>
        {[1, 2, 3, 4, 5].map((n) => <Chip key={n} id={`stars-${n}`} label={`${n} 星`} active={value === n} onTap={() => setValue(n)} />)}
      </View>
      <Field label='评价'>
        <Textarea id='rating-comment' className='textarea' value={comment} maxlength={500} onInput={(e) => setComment(e.detail.value)} />
      </Field>
      <Btn id='submit-rating' busy={action.busy} onTap={() => action.run(async () => {
        await api.post('/work/{task_id}/ratings', { path: { task_id: taskId }, body: { stars: value, comment: comment.trim() } })
        onDone()
      }, '评价成功')}>提交评价</Btn>
      <ErrorText error={action.error} />
    </Section>
  )
}

export default function Work() {
  const taskId = useNumberParam('task_id')
  useSignedIn()
  const state = useLoad(async () => {
    if (!isSignedIn()) throw new Error('请先登录')
    const [task, work] = await Promise.all([
      api.get('/tasks/{task_id}', { path: { task_id: taskId } }),
      api.get('/work/{task_id}', { path: { task_id: taskId } })
    ])
    return { task, work }
  }, [taskId])
  const me = getSession()?.user.id

  return (
    <View className='page'>
      <Loaded state={state}>
        {({ task, work }) => {
          const merchant = task.merchant_id === me
          const developer = task.assignee_id === me
          const rated = work.ratings.some((r) => r.rater_id === me)
          const reload = () => void state.reload()
          return (
            <>
              <Section>
                <View className='title' onClick={() => go('task', { id: task.id })}>{task.title}</View>
                <View className='between'>
                  <Text className='money'>{yuan(task.reward_fen)}</Text>
                  <Tag tone={work.status === 'completed' ? 'ok' : 'warn'}><Text id='work-status'>{task.status_name}</Text></Tag>
                </View>
                <View className='muted'>已修改 {work.revision_count} / {work.max_revisions} 次</View>
              </Section>
              {work.deliveries.length ? (
                <Section title='交付记录'>
                  {work.deliveries.map((d) => (
                    <View key={d.id} className='timeline-item' id={`delivery-${d.round}`}>
                      <View className='between'>
                        <Text className='strong'>第 {d.round} 次交付</Text>
                        <Text className='muted'>{dateTime(d.created_at)}</Text>
                      </View>
                      <View className='body-text'>{d.content}</View>
                      {d.links.map((l, i) => <View key={i} className='muted'>{String(l.title)}：{String(l.url)}</View>)}
                      {d.decision ? (
                        <View className={d.decision === 'revision_requested' ? 'error-text' : 'notice'}>
                          {DECISIONS[d.decision] ?? d.decision}{d.decision_note ? `：${d.decision_note}` : ''}
                        </View>
                      ) : null}
                    </View>
                  ))}
                </Section>
              ) : null}
              {developer && work.status === 'in_progress' ? <DeliveryForm taskId={taskId} onDone={reload} /> : null}
              {developer && work.status === 'delivered' ? <View className='notice'>已交付，等待商家验收。</View> : null}
              {merchant && work.status === 'delivered' ? <Review taskId={taskId} work={work} onDone={reload} /> : null}
              {merchant && work.status === 'in_progress' ? <View className='notice'>开发者正在进行中，交付后在这里验收。</View> : null}
              {work.status === 'disputed' ? (
                <Btn id='view-dispute' kind='default' onTap={() => go('disputes')}>纠纷处理中：查看纠纷</Btn>
              ) : null}
              {work.status === 'completed' && developer ? (
                <Btn id='go-payouts' kind='default' onTap={() => go('payouts')}>查看收款</Btn>
              ) : null}
              {work.ratings.length ? (
                <Section title='评价'>
                  {work.ratings.map((r) => (
                    <View key={r.id} className='timeline-item'>
                      <Text>{r.direction === 'merchant_to_developer' ? '商家评价开发者' : '开发者评价商家'} {stars(r.stars)}</Text>
                      {r.comment ? <View className='muted'>{r.comment}</View> : null}
                    </View>
                  ))}
                </Section>
              ) : null}
              {work.status === 'completed' && (merchant || developer) && !rated ? <Rate taskId={taskId} onDone={reload} /> : null}
            </>
          )
        }}
      </Loaded>
    </View>
  )
}

// One of my tasks, as its merchant: review state, paying the escrow (wx.requestPayment with the API's signed
// parameters; the fake WeChat Pay's pay control in a development browser), promotion, applicants (shortlist, accept,
// reject with a reason, within the 48-hour guarantee), delivery review and cancelling.
import { useState } from 'react'
import Taro from '@tarojs/taro'
import { Input, Text, View } from '@tarojs/components'
import { api, type Schemas } from '@/api'
import { Btn, Chip, ErrorText, Loaded, Section, Tag } from '@/components/ui'
import { pollUntil, useAction, useLoad, useNow, useNumberParam } from '@/lib/hooks'
import { countdown, dateTime, percent, yuan } from '@/lib/format'
import { useSignedIn } from '@/lib/auth'
import { isSignedIn } from '@/lib/session'
import { useSkills } from '@/lib/skills'
import { requestPayment } from '@/platform/wechat'
import { go } from '@/lib/navigate'
import { unreadBadge } from '@/lib/chat'
import { APPLICANT_SORTS, fitText, type ApplicantSort } from '@/lib/community'

type Task = Schemas['TaskOut']
const CANCELLABLE = ['pending_review', 'awaiting_funding', 'open']
const ANSWERABLE = ['submitted', 'shortlisted']

function Funding({ task, onPaid }: { task: Task; onPaid: () => void }) {
  const funding = useLoad(() => api.get('/payments/tasks/{task_id}/funding', { path: { task_id: task.id } }), [task.id, task.status])
  const plans = useLoad(() => api.get('/billing/plans'))
  const initial = Number(Taro.getCurrentInstance().router?.params?.promotion) || null
  const [promotionDays, setPromotionDays] = useState<number | null>(initial)
  const pay = useAction()
  const firstOrder = task.status === 'awaiting_funding'

  const fund = (milestoneId: number | null) => pay.run(async () => {
    const order = await api.post('/payments/tasks/{task_id}/fund', {
      path: { task_id: task.id },
      body: { promotion_days: firstOrder ? promotionDays : null, milestone_id: milestoneId }
    })
    await requestPayment(order)
    // WeChat Pay tells the backend by webhook; wait until the escrow shows up.
    await pollUntil(async () => {
      const f = await api.get('/payments/tasks/{task_id}/funding', { path: { task_id: task.id } })
      return milestoneId === null ? f.funded : f.milestones.find((m) => m.id === milestoneId)?.state === 'funded'
    })
    onPaid()
  }, '支付成功')

  return (
    <Section title='托管赏金'>
      <Loaded state={funding}>
        {(f) => (
          <>
            <View className='muted'>赏金先托管在平台，验收通过后支付给开发者；任务取消或过期时原路退回。</View>
            {firstOrder ? (
              <View className='chips'>
                <Chip label='不置顶' active={promotionDays === null} onTap={() => setPromotionDays(null)} />
                {(plans.data?.promotion ?? []).map((o) => (
                  <Chip key={o.days} label={`置顶 ${o.days} 天 ${yuan(o.price_fen)}`} active={promotionDays === o.days} onTap={() => setPromotionDays(o.days)} />
                ))}
              </View>
            ) : null}
            {f.milestones.length ? f.milestones.map((m) => (
              <View key={m.id} className='between' id={`milestone-${m.position}`}>
                <Text>{m.position}. {m.title} {yuan(m.reward_fen)}</Text>
                {m.state === 'awaiting_funding' ? (
                  <Btn size='mini' busy={pay.busy} onTap={() => void fund(m.id)}>托管</Btn>
                ) : <Tag tone='ok'>{m.state_name}</Tag>}
              </View>
            )) : f.funded ? (
              <View className='notice'>已托管 {yuan(f.escrow_fen)}</View>
            ) : (
              <Btn id='pay-escrow' busy={pay.busy} onTap={() => void fund(null)}>
                微信支付 {yuan(task.reward_fen + (promotionDays ? plans.data?.promotion.find((o) => o.days === promotionDays)?.price_fen ?? 0 : 0))}
              </Btn>
            )}
            {f.refunds.map((r) => <View key={r.out_refund_no} className='muted'>退款 {yuan(r.amount_fen)}：{r.state_name}</View>)}
            <ErrorText error={pay.error} />
          </>
        )}
      </Loaded>
    </Section>
  )
}

function Promotion({ task }: { task: Task }) {
  const promotion = useLoad(() => api.get('/billing/tasks/{task_id}/promotion', { path: { task_id: task.id } }), [task.id])
  const buy = useAction()
  return (
    <Section title='置顶推荐'>
      <Loaded state={promotion}>
        {(p) => (
          <>
            <View className='muted'>{p.promoted && p.promoted_until ? `置顶中，至 ${dateTime(p.promoted_until)}` : '未置顶：置顶任务排在任务大厅最前面'}</View>
            <View className='chips'>
              {p.options.map((o) => (
                <Chip key={o.days} label={`${o.days} 天 ${yuan(o.price_fen)}`} onTap={() => void buy.run(async () => {
                  const order = await api.post('/billing/tasks/{task_id}/promotion', { path: { task_id: task.id }, body: { days: o.days } })
                  await requestPayment({ out_trade_no: order.out_trade_no, payment_params: order.payment as never })
                  await pollUntil(async () => (await api.get('/billing/tasks/{task_id}/promotion', { path: { task_id: task.id } })).promoted)
                  await promotion.reload()
                }, '置顶成功')} />
              ))}
            </View>
            <ErrorText error={buy.error} />
          </>
        )}
      </Loaded>
    </Section>
  )
}

function Applicant({ app, now, unread, onChanged }: {
  app: Schemas['ApplicationOut']; now: Date; unread: number; onChanged: () => void
}) {
  const { name } = useSkills()
  const [rejecting, setRejecting] = useState(false)
  const [reason, setReason] = useState('')
  const action = useAction()
  const resume = (app.resume ?? {}) as Partial<Schemas['DeveloperProfileOut']>
  const left = countdown(app.due_at, now)
  const path = { application_id: app.id }
  return (
    <View className='card' id={`applicant-${app.id}`}>
      <View className='between'>
        <Text className='strong'>{resume.display_name ?? `开发者 ${app.developer_id}`}</Text>
        <Tag tone={app.status === 'accepted' ? 'ok' : ANSWERABLE.includes(app.status) ? 'warn' : 'muted'}>
          <Text id={`applicant-status-${app.id}`}>{app.status_name}</Text>
        </Tag>
      </View>
      {resume.headline ? <View className='muted'>{resume.headline}</View> : null}
      {app.fit_score !== null && app.fit_score !== undefined ? (
        <View className='fit' id={`fit-${app.id}`}>
          <Text className='fit-score'>{fitText(app.fit_score)}</Text>
          {(app.fit_reasons ?? []).map((r) => <Text key={r} className='fit-reason'>{r}</Text>)}
        </View>
      ) : null}
      <View className='row'>{(resume.skills ?? []).map((s) => <Text key={s.slug} className='tag'>{s.name ?? name(s.slug)}</Text>)}</View>
      <View className='muted'>
        {resume.years_experience ? `${resume.years_experience} 年经验 · ` : ''}完成 {resume.completed_tasks ?? 0} 个任务 · 评分 {resume.rating_average ?? '暂无'}
      </View>
      {app.note ? <View className='body-text small'>「{app.note}」</View> : null}
      <View className='actions'>
        <Btn id={`chat-applicant-${app.id}`} size='mini' kind='default'
          onTap={() => go('chat', { task_id: app.task_id, developer_id: app.developer_id })}>
          {unread ? `沟通（${unreadBadge(unread)} 条未读）` : '沟通'}
        </Btn>
      </View>
      {app.status === 'submitted' ? (
        <View className={left.urgent ? 'error-text' : 'muted'}>请在 48 小时内答复：{left.text}</View>
      ) : null}
      {ANSWERABLE.includes(app.status) ? (
        <View className='actions'>
          {app.status === 'submitted' ? (
            <Btn id={`shortlist-${app.id}`} size='mini' kind='default' busy={action.busy} onTap={() => action.run(async () => {
              await api.post('/applications/{application_id}/shortlist', { path })
              onChanged()
            }, '已入围')}>入围</Btn>
          ) : null}
          <Btn id={`accept-${app.id}`} size='mini' busy={action.busy} onTap={() => action.run(async () => {
            await api.post('/applications/{application_id}/accept', { path })
            onChanged()
          }, '已录用')}>录用</Btn>
          <Btn id={`reject-${app.id}`} size='mini' kind='warn' onTap={() => setRejecting(!rejecting)}>拒绝</Btn>
        </View>
      ) : null}
      {rejecting ? (
        <View>
          <Input id={`reject-reason-${app.id}`} className='input' value={reason} placeholder='拒绝理由（会告知开发者）' onInput={(e) => setReason(e.detail.value)} />
          <Btn id={`confirm-reject-${app.id}`} size='mini' kind='warn' busy={action.busy} onTap={() => action.run(async () => {
            await api.post('/applications/{application_id}/reject', { path, body: { reason: reason.trim() } })
            setRejecting(false)
            onChanged()
          }, '已拒绝')}>确认拒绝</Btn>
        </View>
      ) : null}
      <ErrorText error={action.error} />
    </View>
  )
}

function Applicants({ task, onChanged }: { task: Task; onChanged: () => void }) {
  const now = useNow()
  const [sort, setSort] = useState<ApplicantSort>('applied')
  const list = useLoad(() => api.get('/applications', { query: { task_id: task.id, sort, limit: 50 } }), [task.id, sort])
  // Each applicant's conversation's unread count (one conversation per task and applicant).
  const chats = useLoad(() => api.get('/chat/conversations', { query: { task_id: task.id } }), [task.id])
  const unread = (developerId: number) => chats.data?.items.find((c) => c.developer_id === developerId)?.unread ?? 0
  return (
    <Section title={`投递者（${task.applications_count}）`}>
      <View className='chips'>
        {APPLICANT_SORTS.map((o) => (
          <Chip key={o.key} id={`applicants-sort-${o.key}`} label={o.text} active={sort === o.key} onTap={() => setSort(o.key)} />
        ))}
      </View>
      {sort === 'fit' ? <View className='muted'>按技能、评分与可靠性综合排序，附匹配理由。</View> : null}
      <Loaded state={list} empty={(l) => (l.items.length ? null : '还没有人投递')}>
        {(l) => l.items.map((a) => <Applicant key={a.id} app={a} now={now} unread={unread(a.developer_id)} onChanged={() => { void list.reload(); onChanged() }} />)}
      </Loaded>
    </Section>
  )
}

function Cancel({ task, onDone }: { task: Task; onDone: () => void }) {
  const [open, setOpen] = useState(false)
  const [reason, setReason] = useState('')
  const action = useAction()
  if (!open) return <Btn kind='default' onTap={() => setOpen(true)}>取消任务</Btn>
  return (
    <Section title='取消任务'>
      <View className='muted'>已托管的赏金将原路退回。</View>
      <Input className='input' value={reason} placeholder='取消原因' onInput={(e) => setReason(e.detail.value)} />
      <Btn kind='warn' busy={action.busy} onTap={() => action.run(async () => {
        await api.post('/tasks/{task_id}/cancel', { path: { task_id: task.id }, body: { reason: reason.trim() } })
        onDone()
      }, '已取消')}>确认取消</Btn>
      <ErrorText error={action.error} />
    </Section>
  )
}

export default function Manage() {
  const id = useNumberParam('id')
  useSignedIn()
  const task = useLoad(() => (isSignedIn() ? api.get('/tasks/{task_id}', { path: { task_id: id } }) : Promise.reject(new Error('请先登录'))), [id])
  const reload = () => void task.reload()

  return (
    <View className='page'>
      <Loaded state={task}>
        {(t) => (
          <>
            <Section>
              <View className='title'>{t.title}</View>
              <View className='between'>
                <Text className='money'>{yuan(t.reward_fen)}</Text>
                <Tag tone={t.status === 'open' ? 'ok' : 'warn'}><Text id='task-status'>{t.status_name}</Text></Tag>
              </View>
              <View className='muted'>截止 {dateTime(t.deadline)} · 48 小时响应率 {percent(t.merchant_response_rate)}</View>
              {t.review_reason ? <View className='muted'>审核意见：{t.review_reason}</View> : null}
            </Section>
            {t.status === 'pending_review' ? (
              <View className='notice' id='pending-review'>任务审核中（首次发布或内容需人工复核），通过后即可托管赏金上线。下拉刷新查看结果。</View>
            ) : null}
            {['awaiting_funding', 'open', 'in_progress', 'delivered'].includes(t.status) && !t.is_platform ? <Funding task={t} onPaid={reload} /> : null}
            {t.status === 'open' ? <Promotion task={t} /> : null}
            {['open', 'in_progress', 'delivered', 'completed'].includes(t.status) ? <Applicants task={t} onChanged={reload} /> : null}
            {['in_progress', 'delivered', 'completed', 'disputed'].includes(t.status) ? (
              <Btn id='go-work' onTap={() => go('work', { task_id: t.id })}>{t.status === 'delivered' ? '去验收交付' : '交付与验收'}</Btn>
            ) : null}
            {CANCELLABLE.includes(t.status) ? <Cancel task={t} onDone={reload} /> : null}
          </>
        )}
      </Loaded>
    </View>
  )
}

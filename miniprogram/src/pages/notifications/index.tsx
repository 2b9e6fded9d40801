// The inbox, and the subscribe-message consent: WeChat lets us push one service message per consent, so we ask here
// (wx.requestSubscribeMessage; a modal in the browser) and tell the API what the user accepted.
import { useState } from 'react'
import { Text, View } from '@tarojs/components'
import { api, type Schemas } from '@/api'
import { Btn, ErrorText, Loaded, Section } from '@/components/ui'
import { useAction } from '@/lib/hooks'
import { usePaged } from '@/lib/paged'
import { dateTime } from '@/lib/format'
import { useSignedIn } from '@/lib/auth'
import { isSignedIn } from '@/lib/session'
import { requestSubscribe } from '@/platform/wechat'
import { go } from '@/lib/navigate'

/** Where a notification leads, from the ids its data carries. */
function open(n: Schemas['NotificationOut']) {
  const data = n.data as Record<string, unknown>
  if (typeof data.payout_id === 'number' || n.kind.startsWith('payout')) go('payouts')
  else if (typeof data.dispute_id === 'number') go('dispute', { id: data.dispute_id as number })
  else if (typeof data.task_id === 'number') go('task', { id: data.task_id as number })
}

export default function Notifications() {
  useSignedIn()
  const [unread, setUnread] = useState(0)
  const [consents, setConsents] = useState<Record<string, number> | null>(null)
  const list = usePaged(async (cursor) => {
    if (!isSignedIn()) return { items: [], next_cursor: null }
    const inbox = await api.get('/notifications', { query: { cursor } })
    setUnread(inbox.unread)
    return inbox
  })
  const subscribe = useAction()
  const readAll = useAction()

  const markRead = async (n: Schemas['NotificationOut']) => {
    if (!n.read_at) {
      const { count } = await api.post('/notifications/{notification_id}/read', { path: { notification_id: n.id } }).catch(() => ({ count: unread }))
      setUnread(count)
    }
    open(n)
  }

  return (
    <View className='page'>
      <Section title='微信消息提醒'>
        <View className='muted'>投递结果、任务进展、收款提醒通过微信服务通知发给你。每同意一次可收到一条。</View>
        {consents ? (
          <View className='notice' id='subscribe-result'>
            已开启：{Object.values(consents).length ? `可接收 ${Object.values(consents).reduce((a, b) => a + b, 0)} 条提醒` : '未选择任何提醒'}
          </View>
        ) : null}
        <Btn id='subscribe' kind='default' busy={subscribe.busy} onTap={() => subscribe.run(async () => {
          const accepted = await requestSubscribe(SUBSCRIBE_TEMPLATES)
          if (!accepted.length) {
            setConsents({})
            return
          }
          const out = await api.post('/notifications/subscriptions', { body: { template_ids: accepted } })
          setConsents(out.remaining as Record<string, number>)
        })}>开启消息提醒</Btn>
        <ErrorText error={subscribe.error} />
      </Section>
      <View className='between'>
        <Text className='muted' id='unread-count'>未读 {unread}</Text>
        {unread ? (
          <Btn size='mini' kind='default' busy={readAll.busy} onTap={() => readAll.run(async () => {
            await api.post('/notifications/read-all')
            await list.reload()
          })}>全部已读</Btn>
        ) : null}
      </View>
      <View className='gap' />
      <Loaded state={list} empty={(items) => (items.length ? null : '暂无消息')}>
        {(items) => items.map((n) => (
          <View key={n.id} className={`card${n.read_at ? '' : ' unread'}`} id={`notification-${n.id}`} onClick={() => void markRead(n)}>
            <View className='between'>
              <Text className='strong'>{n.title}</Text>
              <Text className='muted'>{dateTime(n.created_at)}</Text>
            </View>
            <View className='body-text small'>{n.body}</View>
          </View>
        ))}
      </Loaded>
    </View>
  )
}

// My applications, with the 48-hour answer countdown, withdraw, and the way to delivery once accepted.
import { Text, View } from '@tarojs/components'
import { api, type Schemas } from '@/api'
import { Btn, Empty, ErrorText, Loaded, Tag } from '@/components/ui'
import { useAction, useLoad, useNow } from '@/lib/hooks'
import { usePaged } from '@/lib/paged'
import { countdown, dateTime } from '@/lib/format'
import { useSignedIn } from '@/lib/auth'
import { hasRole, isSignedIn } from '@/lib/session'
import { go } from '@/lib/navigate'
import { unreadBadge } from '@/lib/chat'

const WAITING = ['submitted']
const OPEN = ['submitted', 'shortlisted']

function Application({ app, now, unread, onChanged }: {
  app: Schemas['ApplicationOut']; now: Date; unread: number; onChanged: () => void
}) {
  const withdraw = useAction()
  const left = countdown(app.due_at, now)
  return (
    <View className='card' id={`application-${app.id}`}>
      <View className='between'>
        <Text className='title' onClick={() => go('task', { id: app.task_id })}>{app.task_title ?? `任务 #${app.task_id}`}</Text>
        <Tag tone={app.status === 'accepted' ? 'ok' : OPEN.includes(app.status) ? 'warn' : 'muted'}>{app.status_name}</Tag>
      </View>
      <View className='muted'>投递于 {dateTime(app.created_at)}</View>
      {WAITING.includes(app.status) ? (
        <View className={left.urgent ? 'error-text' : 'notice'} id={`countdown-${app.id}`}>
          48 小时答复保障：{left.text}{left.overdue ? '' : `（${dateTime(app.due_at)} 前）`}
        </View>
      ) : null}
      {app.reject_reason ? <View className='muted'>商家答复：{app.reject_reason}</View> : null}
      <View className='actions'>
        <Btn id={`chat-${app.task_id}`} size='mini' kind='default' onTap={() => go('chat', { task_id: app.task_id })}>
          {unread ? `沟通（${unreadBadge(unread)} 条未读）` : '联系商家'}
        </Btn>
        {app.status === 'accepted' ? (
          <Btn id={`deliver-${app.task_id}`} size='mini' onTap={() => go('work', { task_id: app.task_id })}>去交付</Btn>
        ) : null}
        {OPEN.includes(app.status) ? (
          <Btn size='mini' kind='default' busy={withdraw.busy} onTap={() => withdraw.run(async () => {
            await api.post('/applications/{application_id}/withdraw', { path: { application_id: app.id } })
            onChanged()
          }, '已撤回')}>撤回</Btn>
        ) : null}
      </View>
      <ErrorText error={withdraw.error} />
    </View>
  )
}

export default function Applications() {
  const signedIn = useSignedIn()
  const developer = hasRole('developer')
  const now = useNow()
  const list = usePaged((cursor) => (isSignedIn() && hasRole('developer') ? api.get('/applications/mine', { query: { cursor } })
    : Promise.resolve({ items: [], next_cursor: null })))
  // The unread count of each task's conversation (one per application), shown on its 联系商家 button.
  const chats = useLoad(() => (isSignedIn() ? api.get('/chat/conversations') : Promise.resolve({ items: [], unread_total: 0 })))
  const unread = (taskId: number) => chats.data?.items.find((c) => c.task_id === taskId)?.unread ?? 0

  if (signedIn && !developer) {
    return (
      <View className='page'>
        <Empty text='填写简历卡片成为开发者后即可投递任务'>
          <Btn id='become-developer' onTap={() => go('resume')}>填写简历卡片</Btn>
        </Empty>
      </View>
    )
  }
  return (
    <View className='page'>
      <Loaded state={list} empty={(items) => (items.length ? null : '还没有投递，去任务大厅看看')}>
        {(items) => items.map((a) => <Application key={a.id} app={a} now={now} unread={unread(a.task_id)} onChanged={() => void list.reload()} />)}
      </Loaded>
    </View>
  )
}

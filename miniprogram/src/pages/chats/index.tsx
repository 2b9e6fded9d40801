// 任务会话: my conversations (one per task and applicant), newest activity first, each with its unread count and the
// total on top; a tap opens the conversation.
import { Text, View } from '@tarojs/components'
import { api } from '@/api'
import { Loaded, Tag } from '@/components/ui'
import { useLoad } from '@/lib/hooks'
import { useSignedIn } from '@/lib/auth'
import { isSignedIn } from '@/lib/session'
import { dateTime } from '@/lib/format'
import { unreadBadge } from '@/lib/chat'
import { go } from '@/lib/navigate'

export default function Chats() {
  useSignedIn()
  const state = useLoad(async () => (isSignedIn() ? api.get('/chat/conversations') : { items: [], unread_total: 0 }))
  return (
    <View className='page' id='chats-page'>
      <Loaded state={state} empty={(d) => (d.items.length ? null : '还没有会话：投递任务或收到投递后即可沟通')}>
        {(d) => (
          <View>
            <View className='small muted' id='chats-unread-total'>{d.unread_total ? `共 ${d.unread_total} 条未读` : '没有未读消息'}</View>
            {d.items.map((c) => (
              <View key={c.id} className='card' id={`conversation-${c.id}`} onClick={() => go('chat', { id: c.id })}>
                <View className='between'>
                  <Text className='strong'>{c.task_title}</Text>
                  {c.unread ? <Text className='unread-badge' id={`unread-${c.id}`}>{unreadBadge(c.unread)}</Text> : null}
                </View>
                <View className='between small muted'>
                  <Text>{c.my_role === 'merchant' ? `与开发者 ${c.developer_id}` : '与商家'} · {c.message_count} 条消息</Text>
                  {c.writable ? null : <Tag tone='muted'>只读</Tag>}
                </View>
                {c.last_message_at ? <View className='small muted'>最近：{dateTime(c.last_message_at)}</View> : null}
              </View>
            ))}
          </View>
        )}
      </Loaded>
    </View>
  )
}

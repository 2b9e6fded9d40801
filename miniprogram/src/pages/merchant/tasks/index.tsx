// The tasks I published, filtered by state.
import { useState } from 'react'
import { Text, View } from '@tarojs/components'
import { api } from '@/api'
import { Btn, Chip, Loaded, Tag } from '@/components/ui'
import { usePaged } from '@/lib/paged'
import { dateOnly, yuan } from '@/lib/format'
import { useSignedIn } from '@/lib/auth'
import { isSignedIn } from '@/lib/session'
import { go } from '@/lib/navigate'

const FILTERS: { value: string | null; label: string }[] = [
  { value: null, label: '全部' }, { value: 'pending_review', label: '审核中' }, { value: 'awaiting_funding', label: '待托管' },
  { value: 'open', label: '招募中' }, { value: 'in_progress', label: '进行中' }, { value: 'delivered', label: '待验收' },
  { value: 'completed', label: '已完成' }
]

export default function MerchantTasks() {
  useSignedIn()
  const [status, setStatus] = useState<string | null>(null)
  const list = usePaged((cursor) => (isSignedIn() ? api.get('/tasks/mine', { query: { status, cursor } }) : Promise.resolve({ items: [], next_cursor: null })), [status])
  return (
    <View className='page'>
      <Btn id='publish-new' onTap={() => go('publish')}>发布新任务</Btn>
      <View className='chips'>
        {FILTERS.map((f) => <Chip key={f.label} label={f.label} active={status === f.value} onTap={() => setStatus(f.value)} />)}
      </View>
      <Loaded state={list} empty={(items) => (items.length ? null : '还没有任务')}>
        {(items) => items.map((t) => (
          <View key={t.id} className='card' id={`my-task-${t.id}`} onClick={() => go('manage', { id: t.id })}>
            <View className='between'>
              <Text className='title'>{t.title}</Text>
              <Tag tone={t.status === 'open' ? 'ok' : 'warn'}>{t.status_name}</Tag>
            </View>
            <View className='between muted'>
              <Text className='money'>{yuan(t.reward_fen)}</Text>
              <Text>{t.applications_count} 人投递 · 截止 {dateOnly(t.deadline)}</Text>
            </View>
          </View>
        ))}
      </Loaded>
    </View>
  )
}

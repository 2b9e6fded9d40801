import { Text, View } from '@tarojs/components'
import { api } from '@/api'
import { Loaded, Tag } from '@/components/ui'
import { useLoad } from '@/lib/hooks'
import { dateTime, yuan } from '@/lib/format'
import { useSignedIn } from '@/lib/auth'
import { isSignedIn } from '@/lib/session'
import { go } from '@/lib/navigate'

export default function Disputes() {
  useSignedIn()
  const list = useLoad(() => (isSignedIn() ? api.get('/disputes') : Promise.resolve({ items: [] })))
  return (
    <View className='page'>
      <Loaded state={list} empty={(l) => (l.items.length ? null : '没有纠纷')}>
        {(l) => l.items.map((d) => (
          <View key={d.id} className='card' id={`dispute-${d.id}`} onClick={() => go('dispute', { id: d.id })}>
            <View className='between'><Text className='title'>{d.task_title}</Text><Tag>{d.status_name}</Tag></View>
            <View className='muted'>冻结 {yuan(d.escrow_fen)} · {dateTime(d.created_at)}</View>
          </View>
        ))}
      </Loaded>
    </View>
  )
}

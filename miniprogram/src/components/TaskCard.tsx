import { Text, View } from '@tarojs/components'
import type { Schemas } from '@/api'
import { dateOnly, percent, yuan } from '@/lib/format'
import { Tag } from './ui'

export function TaskCard({ task, skillName, onTap }: {
  task: Schemas['TaskCard']
  skillName: (slug: string) => string
  onTap: () => void
}) {
  return (
    <View className={`card${task.promoted ? ' card-promoted' : ''}`} id={`task-${task.id}`} onClick={onTap}>
      <View className='between'>
        <Text className='title'>{task.promoted ? '【置顶】' : ''}{task.title}</Text>
        <Text className='money'>{yuan(task.reward_fen)}</Text>
      </View>
      <View className='gap' />
      <View className='row'>
        {task.skill_tags.map((t) => <Tag key={t}>{skillName(t)}</Tag>)}
        <Tag tone='warn'>难度 {task.difficulty}</Tag>
      </View>
      {task.match_reasons?.length ? <Text className='muted' id={`match-${task.id}`}>{task.match_reasons.join(' · ')}</Text> : null}
      <View className='gap' />
      <View className='between muted'>
        <Text>{task.merchant_name || '平台任务'} · 48h 响应率 {percent(task.merchant_response_rate)}</Text>
        <Text>截止 {dateOnly(task.deadline)} · {task.applications_count} 人投递</Text>
      </View>
    </View>
  )
}

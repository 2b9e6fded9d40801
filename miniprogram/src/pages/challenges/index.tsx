// 挑战与抽奖: my challenges in their current windows with progress ("2/3 已完成") and each condition; my lottery
// tickets this month and the monthly draws, each with its public, independently verifiable record (draw page).
import { Text, View } from '@tarojs/components'
import { api, type Schemas } from '@/api'
import { Loaded, Section, Tag } from '@/components/ui'
import { useLoad } from '@/lib/hooks'
import { useSignedIn } from '@/lib/auth'
import { isSignedIn } from '@/lib/session'
import { dateTime } from '@/lib/format'
import { CHALLENGE_STATUS, DRAW_STATES, progressPercent, rewardText, WINDOW_NAMES } from '@/lib/growth'
import { go } from '@/lib/navigate'

function Challenge({ c }: { c: Schemas['ChallengeProgress'] }) {
  const status = CHALLENGE_STATUS[c.status] ?? { text: c.status, tone: undefined }
  return (
    <View className='card' id={`challenge-${c.key}`}>
      <View className='between'>
        <Text className='strong'>{c.name}</Text>
        <Tag tone={status.tone}>{status.text}</Tag>
      </View>
      <View className='muted'>{WINDOW_NAMES[c.window_kind] ?? c.window_kind} · {c.description}</View>
      <View className='bar-row'>
        <View className='bar-track'><View className='bar-fill' style={{ width: `${progressPercent(c.done, c.total)}%` }} /></View>
        <Text className='bar-value strong' id={`challenge-summary-${c.key}`}>{c.summary}</Text>
      </View>
      {c.conditions.map((k) => (
        <View key={k.key} className={`condition${k.met ? ' condition-met' : ''}`}>
          {k.met ? '✓' : '○'} {k.label}（{k.count}/{k.need}）
        </View>
      ))}
      <View className='muted'>奖励：{rewardText(c.rewards)}</View>
      <View className='muted'>
        {c.completed_at ? `完成于 ${dateTime(c.completed_at)}` : `${dateTime(c.starts_at)} 至 ${dateTime(c.ends_at)}`}
      </View>
    </View>
  )
}

export default function Challenges() {
  useSignedIn()
  const mine = useLoad(() => (isSignedIn() ? api.get('/challenges/mine') : Promise.reject(new Error('请先登录'))))
  const tickets = useLoad(() => (isSignedIn() ? api.get('/lottery/mine') : Promise.reject(new Error('请先登录'))))
  const draws = useLoad(() => api.get('/lottery/draws'))
  return (
    <View className='page'>
      <Section title='我的挑战'>
        <Loaded state={mine} empty={(m) => (m.items.length ? null : '当前没有进行中的挑战')}>
          {(m) => m.items.map((c) => <Challenge key={`${c.key}-${c.window}`} c={c} />)}
        </Loaded>
      </Section>
      <Section title='月度抽奖' extra={tickets.data ? <Text className='muted' id='my-tickets'>{tickets.data.lottery} 期 · 我的抽奖券 {tickets.data.tickets}</Text> : null}>
        <View className='muted'>完成挑战可获得抽奖券；开奖使用公开随机信标，任何人都可以按公开记录复核结果。</View>
        <Loaded state={draws} empty={(d) => (d.items.length ? null : '还没有抽奖期次')}>
          {(d) => d.items.map((draw) => (
            <View key={draw.id} className='menu-item' id={`draw-${draw.id}`} onClick={() => go('draw', { id: draw.id })}>
              <Text>{draw.lottery} 期 · {DRAW_STATES[draw.state] ?? draw.state}</Text>
              <Text className='muted'>截止 {dateTime(draw.close_time)} ›</Text>
            </View>
          ))}
        </Loaded>
      </Section>
    </View>
  )
}

// One monthly draw's public record at its current stage (announced → closed → drawn): the seed's commitment before
// the close, the beacon round, the entries and their digest after it, the winners and the revealed seed after the
// draw. `python -m shared.lottery verify` checks the same document (docs/LOTTERY.md).
import { Text, View } from '@tarojs/components'
import { api } from '@/api'
import { Loaded, Section } from '@/components/ui'
import { useLoad, useNumberParam } from '@/lib/hooks'
import { dateTime } from '@/lib/format'

function Line({ label, value, id }: { label: string; value: string | number | null | undefined; id?: string }) {
  if (value === null || value === undefined || value === '') return null
  return (
    <View className='record-line'>
      <Text className='field-label'>{label}</Text>
      <Text className='mono' id={id}>{String(value)}</Text>
    </View>
  )
}

export default function Draw() {
  const id = useNumberParam('id')
  const state = useLoad(() => api.get('/lottery/draws/{draw_id}', { path: { draw_id: id } }), [id])
  return (
    <View className='page'>
      <Loaded state={state}>
        {(r) => (
          <Section title={`${r.lottery} 期抽奖`}>
            <Line label='截止时间' value={dateTime(r.close_time)} />
            <Line label='中奖人数' value={r.k} />
            <Line label='种子承诺（SHA-256，截止前公布）' value={r.commitment} id='draw-commitment' />
            <Line label='随机信标' value={`${r.beacon.source} 第 ${r.beacon.round} 轮`} />
            <Line label='信标值' value={r.beacon.value} />
            <Line label='参与人数' value={r.entry_count} />
            <Line label='抽奖券总数' value={r.ticket_total} />
            <Line label='参与名单摘要' value={r.entry_digest} />
            <Line label='中奖用户 ID（按名次）' value={r.winners?.join('、')} id='draw-winners' />
            <Line label='揭晓的种子' value={r.seed} />
            {!r.winners ? <View className='muted'>开奖后公布中奖名单与种子，可据此独立复核。</View> : null}
          </Section>
        )}
      </Loaded>
    </View>
  )
}

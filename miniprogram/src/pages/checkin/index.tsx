// 每日签到: check in (the same day twice counts once), the streak, freezes (补签卡, at most 2), the total and the longest
// streak; the daily reminder toggle (a subscribe message from 20:00 Beijing time, within the user's consents).
import { useState } from 'react'
import { Switch, Text, View } from '@tarojs/components'
import { api, type Schemas } from '@/api'
import { Btn, ErrorText, Loaded, Section } from '@/components/ui'
import { useAction, useLoad } from '@/lib/hooks'
import { useSignedIn } from '@/lib/auth'
import { isSignedIn } from '@/lib/session'
import { checkinLabel } from '@/lib/growth'
import { go } from '@/lib/navigate'

function Stat({ id, value, label }: { id: string; value: number; label: string }) {
  return <View className='stat'><Text className='stat-value' id={id}>{value}</Text><Text className='muted'>{label}</Text></View>
}

export default function Checkin() {
  useSignedIn()
  const state = useLoad<Schemas['CheckinStatus']>(() => (isSignedIn() ? api.get('/checkin') : Promise.reject(new Error('请先登录'))))
  const check = useAction()
  const remind = useAction()
  const [result, setResult] = useState<Schemas['CheckinOut'] | null>(null)

  const checkIn = () => check.run(async () => {
    const out = await api.post('/checkin')
    state.setData(out)
    setResult(out)
  }, '签到成功')

  return (
    <View className='page'>
      <Loaded state={state}>
        {(s) => (
          <>
            <Section title='今日签到' extra={<Text className='muted'>{s.today}</Text>}>
              <View className='checkin-hero'>
                <Text className='checkin-streak' id='streak'>{s.streak}</Text>
                <Text className='muted'>连续签到（天）</Text>
              </View>
              <Btn id='checkin' busy={check.busy} disabled={s.checked_in_today} onTap={() => void checkIn()}>
                {checkinLabel(s)}
              </Btn>
              {result ? (
                <View className='notice' id='checkin-result'>
                  {result.new ? `签到成功，已连续 ${result.streak} 天` : '今天已经签过到了'}
                  {result.freezes_used ? `，用掉 ${result.freezes_used} 张补签卡接上了中断` : ''}
                  {result.freeze_earned ? '，获得 1 张补签卡' : ''}
                </View>
              ) : null}
              <ErrorText error={check.error} />
              <View className='stats'>
                <Stat id='checkin-total' value={s.total} label='累计签到' />
                <Stat id='checkin-longest' value={s.longest} label='最长连续' />
                <Stat id='checkin-freezes' value={s.freezes} label='补签卡' />
              </View>
              <View className='muted'>补签卡最多持有 2 张：漏签一天时自动用掉一张，连续签到不中断。</View>
            </Section>
            <Section title='签到提醒'>
              <View className='between switch-row'>
                <View><View>每日提醒</View><View className='muted'>当天未签到时，晚上 8 点后通过微信消息提醒</View></View>
                <Switch id='checkin-remind' checked={s.remind} disabled={remind.busy} onChange={(e) => void remind.run(async () => {
                  state.setData(await api.put('/checkin/reminder', { body: { remind: e.detail.value } }))
                }, e.detail.value ? '已开启提醒' : '已关闭提醒')} />
              </View>
              {s.remind ? <View className='muted' onClick={() => go('notifications')}>提醒占用消息授权次数，可在「消息」页开启消息提醒 ›</View> : null}
              <ErrorText error={remind.error} />
            </Section>
          </>
        )}
      </Loaded>
    </View>
  )
}

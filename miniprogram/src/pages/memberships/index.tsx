// Memberships: my perks (with the cold-start free period), each plan for my role and buying months of it through
// WeChat Pay.
import { useState } from 'react'
import { Text, View } from '@tarojs/components'
import { api } from '@/api'
import { Btn, Chip, ErrorText, Loaded, Section, Tag } from '@/components/ui'
import { pollUntil, useAction, useLoad } from '@/lib/hooks'
import { dateOnly, yuan } from '@/lib/format'
import { useSignedIn } from '@/lib/auth'
import { getSession, isSignedIn } from '@/lib/session'
import { requestPayment } from '@/platform/wechat'

const MONTHS = [1, 3, 12]
type Plan = 'enterprise' | 'growth' | 'premium'

export default function Memberships() {
  useSignedIn()
  const subs = useLoad(() => (isSignedIn() ? api.get('/billing/subscriptions') : Promise.reject(new Error('请先登录'))))
  const [months, setMonths] = useState(1)
  const buy = useAction()
  const roles = getSession()?.user.roles ?? []

  const purchase = (plan: Plan) => buy.run(async () => {
    const before = subs.data?.memberships.length ?? 0
    const order = await api.post('/billing/subscriptions', { body: { plan, months } })
    await requestPayment({ out_trade_no: order.out_trade_no, payment_params: order.payment as never })
    await pollUntil(async () => (await api.get('/billing/subscriptions')).memberships.length > before)
    await subs.reload()
  }, '开通成功')

  return (
    <View className='page'>
      <Loaded state={subs}>
        {(s) => (
          <>
            <Section title='当前权益'>
              <View className='muted'>每日投递上限 {s.perks.daily_application_cap} 次 · 佣金档位 {s.perks.commission_tier === 'enterprise' ? '企业会员' : '标准'}</View>
              {s.free_period.active ? <View className='notice'>{s.free_period.description}（至 {dateOnly(s.free_period.ends_at)}）</View> : null}
            </Section>
            <View className='chips'>
              {MONTHS.map((m) => <Chip key={m} label={`${m} 个月`} active={months === m} onTap={() => setMonths(m)} />)}
            </View>
            {s.plans.filter((p) => roles.includes(p.for_role) || p.active).map((p) => (
              <Section key={p.plan} title={p.name} extra={p.active ? <Tag tone='ok'>有效至 {p.until ? dateOnly(p.until) : ''}</Tag> : undefined}>
                {p.perks.map((perk) => <View key={perk} className='small'>· {perk}</View>)}
                <View className='between'>
                  <Text className='money'>{yuan(p.price_fen_per_month)}/月</Text>
                  <Btn id={`buy-${p.plan}`} size='mini' busy={buy.busy} onTap={() => void purchase(p.plan as Plan)}>
                    {p.active ? '续费' : '开通'} {yuan(p.price_fen_per_month * months)}
                  </Btn>
                </View>
              </Section>
            ))}
            <ErrorText error={buy.error} />
            {s.memberships.length ? (
              <Section title='购买记录'>
                {s.memberships.map((m) => (
                  <View key={m.id} className='between small'>
                    <Text>{m.plan_name} {m.months} 个月</Text>
                    <Text className='muted'>{dateOnly(m.period_start)} – {dateOnly(m.period_end)}</Text>
                  </View>
                ))}
              </Section>
            ) : null}
          </>
        )}
      </Loaded>
    </View>
  )
}

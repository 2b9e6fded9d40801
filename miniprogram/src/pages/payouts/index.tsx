// Earnings and transfers: the balance, every payout with its state, and 「确认收款」 for a transfer waiting for the
// developer (wx.requestMerchantTransfer on WeChat; the fake WeChat Pay's confirm control in a development browser).
import { Text, View } from '@tarojs/components'
import { api, type Schemas } from '@/api'
import { Btn, ErrorText, Loaded, Section, Tag } from '@/components/ui'
import { pollUntil, useAction, useLoad } from '@/lib/hooks'
import { usePaged } from '@/lib/paged'
import { dateTime, yuan } from '@/lib/format'
import { useSignedIn } from '@/lib/auth'
import { isSignedIn } from '@/lib/session'
import { confirmTransfer } from '@/platform/wechat'
import { go } from '@/lib/navigate'

function Payout({ payout, onChanged }: { payout: Schemas['PayoutOut']; onChanged: () => void }) {
  const action = useAction()
  const waiting = payout.state === 'wait_user_confirm' && Boolean(payout.package_info)
  return (
    <View className='card' id={`payout-${payout.id}`}>
      <View className='between'>
        <Text className='strong'>{payout.task_title ?? (payout.source === 'withdrawal' ? '提现' : '收入')}</Text>
        <Text className='money'>{yuan(payout.amount_fen)}</Text>
      </View>
      <View className='between'>
        <Tag tone={payout.state === 'paid' ? 'ok' : 'warn'}><Text id={`payout-state-${payout.id}`}>{payout.state_name}</Text></Tag>
        <Text className='muted'>{dateTime(payout.created_at)}</Text>
      </View>
      {payout.commission_fen ? <View className='muted'>赏金 {yuan(payout.gross_fen)}，平台服务费 {yuan(payout.commission_fen)}</View> : null}
      <View className='muted'>{payout.hint}</View>
      {payout.fail_reason ? <View className='error-text'>{payout.fail_reason}</View> : null}
      {waiting ? (
        <Btn id={`confirm-payout-${payout.id}`} busy={action.busy} onTap={() => action.run(async () => {
          await confirmTransfer(payout)
          // The transfer settles through WeChat Pay's notification; ask for the result until it is final.
          await pollUntil(async () => {
            const p = await api.post('/payouts/{payout_id}/refresh', { path: { payout_id: payout.id } })
            return p.state !== 'wait_user_confirm' ? p : null
          })
          onChanged()
        }, '已确认收款')}>确认收款</Btn>
      ) : null}
      {waiting && payout.confirm_by ? <View className='muted'>请在 {dateTime(payout.confirm_by)} 前确认，逾期将自动撤销后重新发起</View> : null}
      <ErrorText error={action.error} />
    </View>
  )
}

export default function Payouts() {
  useSignedIn()
  const balance = useLoad(() => (isSignedIn() ? api.get('/payouts/balance') : Promise.reject(new Error('请先登录'))))
  const list = usePaged((cursor) => (isSignedIn() ? api.get('/payouts', { query: { cursor } }) : Promise.resolve({ items: [], next_cursor: null })))
  const withdraw = useAction()
  const reload = () => { void balance.reload(); void list.reload() }

  return (
    <View className='page'>
      <Loaded state={balance}>
        {(b) => (
          <Section title='我的余额'>
            <View className='between'><Text>可提现</Text><Text className='money' id='available'>{yuan(b.available_fen)}</Text></View>
            <View className='between muted'><Text>转账中</Text><Text>{yuan(b.in_flight_fen + b.queued_fen)}</Text></View>
            <View className='between muted'><Text>累计到账</Text><Text id='paid-total'>{yuan(b.paid_total_fen)}</Text></View>
            {!b.has_real_name ? (
              <View className='notice' onClick={() => go('resume')}>单笔 {yuan(b.real_name_required_from_fen)} 起的转账需要收款实名，请在简历卡片中填写（不会公开）。</View>
            ) : null}
            {b.available_fen > 0 ? (
              <Btn id='withdraw' kind='default' busy={withdraw.busy} onTap={() => withdraw.run(async () => {
                await api.post('/payouts/withdraw')
                reload()
              }, '已发起提现')}>提现到微信零钱</Btn>
            ) : null}
            <ErrorText error={withdraw.error} />
          </Section>
        )}
      </Loaded>
      <Loaded state={list} empty={(items) => (items.length ? null : '还没有收入，完成任务后赏金会出现在这里')}>
        {(items) => items.map((p) => <Payout key={p.id} payout={p} onChanged={reload} />)}
      </Loaded>
    </View>
  )
}

// 邀请: my invitation code and its progress; share it (WeChat: the share sheet, onShareAppMessage, landing on this
// page with ?code=…; H5: copy the landing link); the landing shows who invited me; claim a code after registering.
import { useState } from 'react'
import Taro, { useShareAppMessage } from '@tarojs/taro'
import { Button, Input, Text, View } from '@tarojs/components'
import { api } from '@/api'
import { Btn, ErrorText, Loaded, Section, Tag } from '@/components/ui'
import { useAction, useLoad } from '@/lib/hooks'
import { useSignedIn } from '@/lib/auth'
import { isSignedIn } from '@/lib/session'
import { dateTime } from '@/lib/format'
import { inviteeText, normaliseCode } from '@/lib/community'
import { go } from '@/lib/navigate'
import { url } from '@/nav'

const inBrowser = process.env.TARO_ENV === 'h5'

/** The landing page for a code, as a browser link (H5 routes live in the hash). */
function browserLink(code: string): string {
  const { origin, pathname } = window.location
  return `${origin}${pathname}#${url('invite', { code })}`
}

function Landing({ code }: { code: string }) {
  const inviter = useLoad(() => api.get('/community/invitations/codes/{code}', { path: { code } }), [code])
  return (
    <Section title='好友邀请'>
      <Loaded state={inviter}>
        {(c) => <View className='notice' id='inviter'>{c.inviter_name} 邀请你加入 CodeLink：接任务、攒技能分、领奖励。</View>}
      </Loaded>
      {isSignedIn() ? null : <Btn id='invite-login' onTap={() => go('login')}>登录 / 注册后填写邀请码</Btn>}
    </Section>
  )
}

function Claim({ initial, invitedBy, onClaimed }: { initial: string; invitedBy: number | null | undefined; onClaimed: () => void }) {
  const [text, setText] = useState(initial)
  const action = useAction()
  const { code, valid } = normaliseCode(text)
  if (invitedBy) return <View className='muted' id='invited-by'>已填写邀请码（邀请人 #{invitedBy}）</View>
  return (
    <Section title='填写邀请码'>
      <View className='muted'>注册 7 天内可填写一次；绑定手机并完善简历后，邀请人获得奖励。</View>
      <Input id='claim-code' className='input' value={text} maxlength={12} placeholder='8 位邀请码' onInput={(e) => setText(e.detail.value)} />
      <Btn id='claim-submit' busy={action.busy} disabled={!valid} onTap={() => void action.run(async () => {
        await api.post('/community/invitations/claim', { body: { code } })
        onClaimed()
      }, '已填写')}>确认</Btn>
      <ErrorText error={action.error} />
    </Section>
  )
}

export default function Invite() {
  const params = Taro.getCurrentInstance().router?.params ?? {}
  const landingCode = normaliseCode(decodeURIComponent(params.code ?? '')).code
  useSignedIn()
  const mine = useLoad(() => (isSignedIn() ? api.get('/community/invitations/me') : Promise.reject(new Error('登录后查看我的邀请码'))))
  const copy = useAction()
  // The share lands on this page with the code (the API's `share_path` names the same page).
  useShareAppMessage(() => {
    const code = mine.data?.code
    return { title: '一起在 CodeLink 接任务、攒技能分', path: code ? url('invite', { code }) : url('hall') }
  })

  return (
    <View className='page'>
      {landingCode ? <Landing code={landingCode} /> : null}
      <Section title='我的邀请码'>
        <Loaded state={mine}>
          {(m) => (
            <>
              <View className='invite-code' id='invite-code'>{m.code}</View>
              <View className='stats'>
                <View className='stat'><Text className='stat-value' id='invited-count'>{m.invited_count}</Text><Text className='muted'>已邀请</Text></View>
                <View className='stat'><Text className='stat-value' id='credited-count'>{m.credited_count}</Text><Text className='muted'>已计入</Text></View>
              </View>
              {inBrowser ? (
                <>
                  <Btn id='copy-invite' busy={copy.busy} onTap={() => void copy.run(() => Taro.setClipboardData({ data: browserLink(m.code) }), '链接已复制')}>复制邀请链接</Btn>
                  <View className='muted small body-text' id='invite-link'>{browserLink(m.code)}</View>
                </>
              ) : (
                <Button id='share-invite' className='btn' type='primary' openType='share'>分享给微信好友</Button>
              )}
              <ErrorText error={copy.error} />
              {m.invitees.map((i) => (
                <View key={i.invitation_id} className='between board-row' id={`invitee-${i.invitation_id}`}>
                  <Text>{i.invitee_name}</Text>
                  <Tag tone={i.status === 'credited' ? 'ok' : i.status === 'refused' ? 'muted' : 'warn'}>{inviteeText(i)}</Tag>
                  <Text className='muted'>{dateTime(i.created_at)}</Text>
                </View>
              ))}
              {m.invitees.length ? null : <View className='muted'>还没有人填写你的邀请码</View>}
            </>
          )}
        </Loaded>
      </Section>
      {mine.data ? <Claim initial={landingCode && landingCode !== mine.data.code ? landingCode : ''} invitedBy={mine.data.invited_by}
        onClaimed={() => void mine.reload()} /> : null}
    </View>
  )
}

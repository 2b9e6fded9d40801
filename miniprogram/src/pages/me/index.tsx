// 「我的」: who I am, my roles, and the menu for each role (src/nav.ts).
import { useState } from 'react'
import { useDidShow } from '@tarojs/taro'
import { Text, View } from '@tarojs/components'
import { Btn, Section } from '@/components/ui'
import { getSession, type Session } from '@/lib/session'
import { logout, refreshMe } from '@/lib/auth'
import { go } from '@/lib/navigate'
import { menuFor } from '@/nav'

const ROLE_NAMES: Record<string, string> = { developer: '开发者', merchant: '商家', admin: '运营' }

export default function Me() {
  const [session, setSession] = useState<Session | null>(getSession())
  useDidShow(() => {
    setSession(getSession())
    if (getSession()) refreshMe().then(() => setSession(getSession())).catch(() => undefined)
  })

  if (!session) {
    return (
      <View className='page'>
        <Section>
          <View className='title'>还没有登录</View>
          <View className='muted'>登录后可以投递任务、发布任务和收款。</View>
          <Btn id='go-login' onTap={() => go('login')}>登录</Btn>
        </Section>
      </View>
    )
  }
  const { user } = session
  const roles = user.roles
  return (
    <View className='page'>
      <Section>
        <View className='title' id='me-name'>{user.nickname || `用户 ${user.id}`}</View>
        <View className='row'>
          {roles.length ? roles.map((r) => <Text key={r} className='tag'>{ROLE_NAMES[r] ?? r}</Text>)
            : <Text className='muted'>选择身份开始使用</Text>}
        </View>
      </Section>
      {!roles.includes('developer') || !roles.includes('merchant') ? (
        <Section title='开始使用'>
          {!roles.includes('developer') ? (
            <Btn id='become-developer' kind='default' onTap={() => go('resume')}>我是开发者：填写简历卡片</Btn>
          ) : null}
          {!roles.includes('merchant') ? (
            <Btn id='become-merchant' kind='default' onTap={() => go('merchantProfile')}>我是商家：填写商家资料</Btn>
          ) : null}
        </Section>
      ) : null}
      <Section>
        {menuFor(roles).map((m) => (
          <View key={m.id} id={m.id} className='menu-item' onClick={() => go(m.page)}>
            <Text>{m.text}</Text>
            <Text className='muted'>›</Text>
          </View>
        ))}
      </Section>
      <Btn kind='default' onTap={() => logout().then(() => setSession(null))}>退出登录</Btn>
    </View>
  )
}

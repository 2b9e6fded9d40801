// Login: wx.login on WeChat. A development build also offers a development login through the fake WeChat's
// login-code control (a browser has no wx.login; WeChat DevTools' codes mean nothing to the local fake either).
import { useState } from 'react'
import Taro from '@tarojs/taro'
import { Input, Text, View } from '@tarojs/components'
import { Btn, ErrorText, Field, Section } from '@/components/ui'
import { useAction } from '@/lib/hooks'
import { wechatLogin } from '@/lib/auth'
import { devControls } from '@/platform/wechat'

/** Back to the page that asked for a login (it reloads when shown), or to 「我的」. */
function goBack() {
  if (Taro.getCurrentPages().length > 1) void Taro.navigateBack()
  else void Taro.switchTab({ url: '/pages/me/index' })
}

export default function Login() {
  const [devUser, setDevUser] = useState('')
  const { run, busy, error } = useAction()
  const inBrowser = process.env.TARO_ENV === 'h5'

  return (
    <View className='page'>
      <Section>
        <View className='title'>CodeLink 码链</View>
        <View className='muted'>兼职程序员任务平台：发布 · 投递 · 交付 · 收款</View>
      </Section>
      {!inBrowser ? (
        <Section>
          <Btn id='wechat-login' busy={busy} onTap={() => run(async () => { await wechatLogin(); goBack() })}>微信一键登录</Btn>
        </Section>
      ) : null}
      {devControls ? (
        <Section title='开发登录'>
          <Text className='muted'>开发构建专用：由本地模拟微信签发登录码，同一名字即同一用户。</Text>
          <View className='gap' />
          <Field label='模拟微信用户'>
            <Input id='dev-user' className='input' value={devUser} placeholder='例如 alice' onInput={(e) => setDevUser(e.detail.value)} />
          </Field>
          <Btn id='dev-login' busy={busy} disabled={!devUser.trim()} onTap={() => run(async () => { await wechatLogin(devUser.trim()); goBack() })}>
            开发登录
          </Btn>
        </Section>
      ) : inBrowser ? (
        <View className='notice'>请在微信中打开 CodeLink 小程序登录。</View>
      ) : null}
      <ErrorText error={error} />
    </View>
  )
}

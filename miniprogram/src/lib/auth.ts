// Sign-in and the guard pages use: a page that needs a user sends a guest to the login page and back.
import { useState } from 'react'
import Taro from '@tarojs/taro'
import { api } from '@/api'
import { getSession, setSession, updateUser } from './session'
import { loginCode } from '@/platform/wechat'

export async function wechatLogin(devUser?: string): Promise<void> {
  const code = await loginCode(devUser)
  const pair = await api.post('/auth/wechat', { body: { code } })
  setSession({ access_token: pair.access_token, refresh_token: pair.refresh_token, user: pair.user })
}

export async function refreshMe(): Promise<void> {
  updateUser(await api.get('/auth/me'))
}

export async function logout(): Promise<void> {
  const session = getSession()
  if (session) await api.post('/auth/logout', { body: { refresh_token: session.refresh_token } }).catch(() => undefined)
  setSession(null)
}

/** True when signed in; otherwise opens the login page, which comes back here (the page reloads when shown). */
export function requireLogin(): boolean {
  if (getSession()) return true
  void Taro.navigateTo({ url: '/pages/login/index' })
  return false
}

/** requireLogin once per page mount. */
export function useSignedIn(): boolean {
  const [signedIn] = useState(() => requireLogin())
  return signedIn
}

// The signed-in user's tokens, kept in Taro storage (wx storage on WeChat, localStorage on H5).
import Taro from '@tarojs/taro'
import type { Schemas } from '@/api/client'

const KEY = 'codelink.session'

export interface Session {
  access_token: string
  refresh_token: string
  user: Schemas['UserOut']
}

let cached: Session | null | undefined

export function getSession(): Session | null {
  if (cached === undefined) {
    const raw = Taro.getStorageSync(KEY)
    cached = raw ? (JSON.parse(raw) as Session) : null
  }
  return cached
}

export function setSession(session: Session | null): void {
  cached = session
  if (session) Taro.setStorageSync(KEY, JSON.stringify(session))
  else Taro.removeStorageSync(KEY)
}

export function updateUser(user: Schemas['UserOut']): void {
  const current = getSession()
  if (current) setSession({ ...current, user })
}

export function hasRole(role: 'developer' | 'merchant' | 'admin'): boolean {
  return Boolean(getSession()?.user.roles.includes(role))
}

/** Read at call time (loaders run again when a page is shown after the login page). */
export function isSignedIn(): boolean {
  return getSession() !== null
}

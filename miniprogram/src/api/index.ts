// The app's API client: Taro.request as transport, the stored session's token, refresh on 401, back to login when the
// session is gone.
import Taro from '@tarojs/taro'
import { ApiClient, type Transport } from './client'
import { getSession, setSession } from '@/lib/session'

export { ApiError } from './client'
export type { Schemas } from './client'

export const taroTransport: Transport = async ({ method, url, headers, body }) => {
  try {
    const res = await Taro.request({
      url,
      method: method as 'GET',
      header: headers,
      data: body === undefined ? undefined : JSON.stringify(body),
      dataType: 'json',
      timeout: 20000
    })
    return { status: res.statusCode, data: res.data }
  } catch {
    return { status: 0, data: null } // no answer at all: a network error
  }
}

let refreshing: Promise<boolean> | null = null

async function refresh(): Promise<boolean> {
  const session = getSession()
  if (!session) return false
  refreshing ??= (async () => {
    try {
      const pair = await bare.post('/auth/refresh', { body: { refresh_token: session.refresh_token } })
      setSession({ access_token: pair.access_token, refresh_token: pair.refresh_token, user: pair.user })
      return true
    } catch {
      return false
    } finally {
      refreshing = null
    }
  })()
  return refreshing
}

// Without the session hooks: for the refresh call itself.
const bare = new ApiClient({ base: API_BASE, transport: taroTransport, token: () => null })

export const api = new ApiClient({
  base: API_BASE,
  transport: taroTransport,
  token: () => getSession()?.access_token ?? null,
  refresh,
  onUnauthorized: () => {
    setSession(null)
    Taro.reLaunch({ url: '/pages/login/index' })
  }
})

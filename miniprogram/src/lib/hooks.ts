// Loading state and actions for pages: every page shows loading, empty and error states the same way.
import { useCallback, useEffect, useRef, useState } from 'react'
import Taro, { useDidShow, usePullDownRefresh } from '@tarojs/taro'
import { ApiError } from '@/api/client'

export function errorText(err: unknown): string {
  if (err instanceof ApiError) return err.display
  if (err instanceof Error && err.message) return err.message
  return '出错了，请稍后重试'
}

export interface Loaded<T> {
  data: T | undefined
  error: string | null
  loading: boolean
  reload: () => Promise<void>
  setData: (value: T) => void
}

/** Load on mount, again whenever the page is shown again (coming back from another page) and on pull-down. */
export function useLoad<T>(loader: () => Promise<T>, deps: unknown[] = []): Loaded<T> {
  const [data, setData] = useState<T>()
  const [error, setError] = useState<string | null>(null)
  const [loading, setLoading] = useState(true)
  const shown = useRef(false)
  const latest = useRef(loader)
  latest.current = loader

  const reload = useCallback(async () => {
    setLoading(true)
    try {
      setData(await latest.current())
      setError(null)
    } catch (err) {
      setError(errorText(err))
    } finally {
      setLoading(false)
      Taro.stopPullDownRefresh()
    }
  }, [])

  useEffect(() => {
    void reload()
  }, deps) // eslint-disable-line react-hooks/exhaustive-deps
  useDidShow(() => {
    if (shown.current) void reload()
    shown.current = true
  })
  usePullDownRefresh(() => void reload())
  return { data, error, loading, reload, setData }
}

/** Run a user action: one at a time, its error kept for display (the API's Chinese message), optional success toast. */
export function useAction() {
  const [busy, setBusy] = useState(false)
  const [error, setError] = useState<string | null>(null)
  const run = useCallback(async <T,>(fn: () => Promise<T>, success?: string): Promise<T | undefined> => {
    setBusy(true)
    setError(null)
    try {
      const value = await fn()
      if (success) void Taro.showToast({ title: success, icon: 'success' })
      return value
    } catch (err) {
      setError(errorText(err))
      return undefined
    } finally {
      setBusy(false)
    }
  }, [])
  return { run, busy, error, setError }
}

/** The current time, ticking every `ms` (countdowns). */
export function useNow(ms = 30000): Date {
  const [now, setNow] = useState(() => new Date())
  useEffect(() => {
    const id = setInterval(() => setNow(new Date()), ms)
    return () => clearInterval(id)
  }, [ms])
  return now
}

/** Poll `check` until it returns a value (payments and transfers settle asynchronously through webhooks). */
export async function pollUntil<T>(check: () => Promise<T | null | undefined | false>, timeoutMs = 20000, everyMs = 700): Promise<T> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const value = await check()
    if (value) return value
    if (Date.now() > deadline) throw new Error('处理中，请稍后下拉刷新查看结果')
    await new Promise((r) => setTimeout(r, everyMs))
  }
}

/** Page query parameters as numbers (Taro router params are strings). */
export function useNumberParam(name: string): number {
  const params = Taro.getCurrentInstance().router?.params ?? {}
  return Number(params[name] ?? 0)
}

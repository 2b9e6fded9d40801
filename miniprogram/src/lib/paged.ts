// A cursor-paged list for a page: first page on mount and when shown again, more on reaching the bottom.
import { useCallback, useEffect, useRef, useState } from 'react'
import Taro, { useDidShow, usePullDownRefresh, useReachBottom } from '@tarojs/taro'
import { errorText } from './hooks'
import { mergePage } from './hall'

export interface Page<T> { items: T[]; next_cursor?: string | null }

export function usePaged<T extends { id: number }>(fetch: (cursor: string | null) => Promise<Page<T>>, deps: unknown[] = []) {
  const [items, setItems] = useState<T[]>()
  const [cursor, setCursor] = useState<string | null>(null)
  const [loading, setLoading] = useState(true)
  const [error, setError] = useState<string | null>(null)
  const latest = useRef(fetch)
  latest.current = fetch
  const shown = useRef(false)

  const load = useCallback(async (from: string | null) => {
    setLoading(true)
    try {
      const page = await latest.current(from)
      setItems((prev) => (from && prev ? mergePage(prev, page.items) : page.items))
      setCursor(page.next_cursor ?? null)
      setError(null)
    } catch (err) {
      setError(errorText(err))
    } finally {
      setLoading(false)
      Taro.stopPullDownRefresh()
    }
  }, [])

  useEffect(() => void load(null), deps) // eslint-disable-line react-hooks/exhaustive-deps
  useDidShow(() => {
    if (shown.current) void load(null)
    shown.current = true
  })
  usePullDownRefresh(() => void load(null))
  useReachBottom(() => {
    if (!loading && cursor) void load(cursor)
  })
  /** Change the loaded items in place (a like, a new comment count) without reloading. */
  const update = useCallback((change: (items: T[]) => T[]) => setItems((prev) => (prev ? change(prev) : prev)), [])
  return { data: items, items: items ?? [], loading, error, more: Boolean(cursor), reload: () => load(null), loadMore: () => load(cursor), update }
}

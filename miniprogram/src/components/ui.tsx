// Small shared pieces: loading / empty / error states, sections, chips, labelled fields.
import type { PropsWithChildren, ReactNode } from 'react'
import { Button, Text, View } from '@tarojs/components'

export function Loading({ text = '加载中…' }: { text?: string }) {
  return <View className='state state-loading'>{text}</View>
}

export function Empty({ text, children }: PropsWithChildren<{ text: string }>) {
  return (
    <View className='state state-empty'>
      <Text>{text}</Text>
      {children}
    </View>
  )
}

export function ErrorText({ error }: { error: string | null | undefined }) {
  if (!error) return null
  return <View className='error-text'>{error}</View>
}

/** Loading, error or content — the three states every loaded view has. */
export function Loaded<T>({ state, empty, children }: {
  state: { data: T | undefined; error: string | null; loading: boolean }
  empty?: (data: T) => string | null
  children: (data: T) => ReactNode
}) {
  if (state.data === undefined) {
    return state.error ? <ErrorText error={state.error} /> : <Loading />
  }
  const emptyText = empty?.(state.data)
  return (
    <>
      <ErrorText error={state.error} />
      {emptyText ? <Empty text={emptyText} /> : children(state.data)}
    </>
  )
}

export function Section({ title, extra, children }: PropsWithChildren<{ title?: string; extra?: ReactNode }>) {
  return (
    <View className='section'>
      {title ? (
        <View className='section-head'>
          <Text className='section-title'>{title}</Text>
          {extra}
        </View>
      ) : null}
      {children}
    </View>
  )
}

export function Field({ label, children, hint }: PropsWithChildren<{ label: string; hint?: string }>) {
  return (
    <View className='field'>
      <Text className='field-label'>{label}</Text>
      {children}
      {hint ? <Text className='field-hint'>{hint}</Text> : null}
    </View>
  )
}

export function Chip({ label, active, onTap, id }: { label: string; active?: boolean; onTap?: () => void; id?: string }) {
  return (
    <View id={id} className={`chip${active ? ' chip-active' : ''}`} onClick={onTap}>
      {label}
    </View>
  )
}

export function Tag({ children, tone }: PropsWithChildren<{ tone?: 'warn' | 'ok' | 'muted' }>) {
  return <Text className={`tag${tone ? ` tag-${tone}` : ''}`}>{children}</Text>
}

export function Btn({ children, onTap, busy, kind = 'primary', id, disabled, size }: PropsWithChildren<{
  onTap: () => void
  busy?: boolean
  kind?: 'primary' | 'default' | 'warn'
  id?: string
  disabled?: boolean
  size?: 'mini'
}>) {
  return (
    <Button
      id={id}
      className={`btn btn-${kind}${size ? ' btn-mini' : ''}`}
      type={kind === 'primary' ? 'primary' : kind === 'warn' ? 'warn' : 'default'}
      size={size === 'mini' ? 'mini' : 'default'}
      loading={busy}
      disabled={busy || disabled}
      onClick={onTap}
    >
      {children}
    </Button>
  )
}

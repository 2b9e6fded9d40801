// The merchant profile: creating it makes the user a merchant. Shows the rating and the 48-hour response rate.
import { useState } from 'react'
import { useDidShow } from '@tarojs/taro'
import { Input, Textarea, View } from '@tarojs/components'
import { api, ApiError, type Schemas } from '@/api'
import { Btn, ErrorText, Field, Loading, Section } from '@/components/ui'
import { errorText, useAction } from '@/lib/hooks'
import { percent } from '@/lib/format'
import { refreshMe, useSignedIn } from '@/lib/auth'
import { isSignedIn } from '@/lib/session'
import { go } from '@/lib/navigate'

export default function MerchantProfile() {
  useSignedIn()
  const [form, setForm] = useState<Schemas['MerchantProfileIn'] | null>(null)
  const [profile, setProfile] = useState<Schemas['MerchantProfileOut'] | null>(null)
  const [loadError, setLoadError] = useState<string | null>(null)
  const save = useAction()

  useDidShow(() => {
    if (form || !isSignedIn()) return
    api.get('/profiles/merchant').then((p) => { setProfile(p); setForm({ name: p.name, company: p.company, description: p.description }) })
      .catch((err) => {
        if (err instanceof ApiError && err.status === 404) setForm({ name: '', company: '', description: '' })
        else setLoadError(errorText(err))
      })
  })

  if (!form) return <View className='page'>{loadError ? <ErrorText error={loadError} /> : <Loading />}</View>
  return (
    <View className='page'>
      {profile ? (
        <Section>
          <View className='muted'>评分 {profile.rating_average ?? '暂无'}（{profile.rating_count} 条） · 48 小时响应率 {percent(profile.response_rate)}</View>
        </Section>
      ) : null}
      <Section title='商家资料'>
        <Field label='名称'>
          <Input id='merchant-name' className='input' value={form.name} maxlength={40} onInput={(e) => setForm({ ...form, name: e.detail.value })} />
        </Field>
        <Field label='公司（选填）'>
          <Input id='merchant-company' className='input' value={form.company ?? ''} onInput={(e) => setForm({ ...form, company: e.detail.value })} />
        </Field>
        <Field label='介绍（选填）'>
          <Textarea className='textarea' value={form.description ?? ''} onInput={(e) => setForm({ ...form, description: e.detail.value })} />
        </Field>
        <Btn id='save-merchant' busy={save.busy} onTap={() => save.run(async () => {
          const saved = await api.put('/profiles/merchant', { body: { ...form, name: form.name.trim() } })
          setProfile(saved)
          await refreshMe() // creating the profile makes me a merchant
        }, '已保存')}>保存</Btn>
        <ErrorText error={save.error} />
      </Section>
      {profile ? <Btn id='go-publish' kind='default' onTap={() => go('publish')}>发布任务</Btn> : null}
    </View>
  )
}

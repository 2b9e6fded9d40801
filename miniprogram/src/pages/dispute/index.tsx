// A dispute: open one on a delivered task (?task_id=) with a reason and evidence, or follow one (?id=): its
// evidence timeline, adding evidence, and the mediator's ruling.
import { useState } from 'react'
import { Input, Text, Textarea, View } from '@tarojs/components'
import { api, type Schemas } from '@/api'
import { Btn, ErrorText, Field, Loaded, Section, Tag } from '@/components/ui'
import { useAction, useLoad, useNumberParam } from '@/lib/hooks'
import { dateTime, yuan } from '@/lib/format'
import { useSignedIn } from '@/lib/auth'
import { replace } from '@/lib/navigate'

type Link = Schemas['EvidenceLink']

function EvidenceForm({ submitLabel, onSubmit, id }: { submitLabel: string; id: string; onSubmit: (text: string, links: Link[]) => Promise<void> }) {
  const [text, setText] = useState('')
  const [url, setUrl] = useState('')
  const action = useAction()
  return (
    <>
      <Field label='说明'>
        <Textarea id={`${id}-text`} className='textarea' value={text} maxlength={2000} placeholder='发生了什么、你的诉求' onInput={(e) => setText(e.detail.value)} />
      </Field>
      <Field label='证据链接（选填）' hint='截图、聊天记录或代码的链接'>
        <Input id={`${id}-link`} className='input' value={url} placeholder='https://…' onInput={(e) => setUrl(e.detail.value)} />
      </Field>
      <Btn id={`${id}-submit`} kind='warn' busy={action.busy} onTap={() => action.run(async () => {
        await onSubmit(text.trim(), url.trim() ? [{ title: '证据', url: url.trim() }] : [])
        setText('')
        setUrl('')
      }, '已提交')}>{submitLabel}</Btn>
      <ErrorText error={action.error} />
    </>
  )
}

function Open({ taskId }: { taskId: number }) {
  return (
    <Section title='发起纠纷'>
      <View className='muted'>发起后托管赏金冻结，验收和自动验收暂停，由平台调解员根据双方证据裁决（全额退款、全额支付或按比例分配）。</View>
      <EvidenceForm id='dispute' submitLabel='发起纠纷' onSubmit={async (reason, links) => {
        const d = await api.post('/disputes', { body: { task_id: taskId, reason, links } })
        replace('dispute', { id: d.id })
      }} />
    </Section>
  )
}

function View_({ id }: { id: number }) {
  const dispute = useLoad(() => api.get('/disputes/{dispute_id}', { path: { dispute_id: id } }), [id])
  return (
    <Loaded state={dispute}>
      {(d) => (
        <>
          <Section>
            <View className='title'>{d.task_title}</View>
            <View className='between'>
              <Text>冻结赏金 {yuan(d.escrow_fen)}</Text>
              <Tag tone={d.status === 'open' ? 'warn' : 'ok'}><Text id='dispute-status'>{d.status_name}</Text></Tag>
            </View>
            {d.outcome_name ? (
              <View className='notice'>
                裁决：{d.outcome_name}{d.developer_share_fen !== null ? `，开发者得 ${yuan(d.developer_share_fen)}` : ''}
                {d.refund_fen ? `，退款 ${yuan(d.refund_fen)}` : ''}{d.ruling_note ? `。${d.ruling_note}` : ''}
              </View>
            ) : null}
          </Section>
          <Section title='证据时间线'>
            {d.timeline.map((e) => (
              <View key={e.id} className='timeline-item'>
                <View className='between'><Text className='strong'>{e.role === 'merchant' ? '商家' : e.role === 'developer' ? '开发者' : '调解员'}</Text><Text className='muted'>{dateTime(e.created_at)}</Text></View>
                <View className='body-text'>{e.body}</View>
                {e.links.map((l, i) => <View key={i} className='muted'>{String(l.title)}：{String(l.url)}</View>)}
              </View>
            ))}
          </Section>
          {d.status === 'open' ? (
            <Section title='补充证据'>
              <EvidenceForm id='evidence' submitLabel='提交证据' onSubmit={async (text, links) => {
                await api.post('/disputes/{dispute_id}/evidence', { path: { dispute_id: id }, body: { text, links } })
                await dispute.reload()
              }} />
            </Section>
          ) : null}
        </>
      )}
    </Loaded>
  )
}

export default function Dispute() {
  useSignedIn()
  const id = useNumberParam('id')
  const taskId = useNumberParam('task_id')
  return <View className='page'>{id ? <View_ id={id} /> : <Open taskId={taskId} />}</View>
}

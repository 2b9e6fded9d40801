// 任务沟通: one conversation of a task (merchant ↔ applicant). Opened by ?id=<conversation>, or ?task_id= (the
// developer's own) and ?task_id=&developer_id= (the merchant's, with that applicant). New messages come by cursor
// polling every few seconds while the page is shown (none while hidden); the other side's messages are marked read;
// my messages show 已读/未读. Off-platform contacts: the sender sees the API's warning, the receiver the masked text.
// Files: pick → upload policy → upload straight to storage → file message; a file opens from a fresh short link.
import { useCallback, useEffect, useRef, useState } from 'react'
import Taro, { useDidHide, useDidShow } from '@tarojs/taro'
import { Text, Textarea, View } from '@tarojs/components'
import { api, type Schemas } from '@/api'
import { Btn, Empty, ErrorText, Loading, Tag } from '@/components/ui'
import { errorText, useAction } from '@/lib/hooks'
import { useSignedIn } from '@/lib/auth'
import { dateTime } from '@/lib/format'
import {
  PAGE, chatTarget, fileType, flagText, lastFromOther, mergeMessages, pickConversation, receipt, sizeText, uploadKey,
  visible
} from '@/lib/chat'
import { pickFile, uploadWithPolicy } from '@/platform/files'

type Message = Schemas['MessageOut']
type Conversation = Schemas['ConversationOut']

const POLL_MS = 3000

async function resolveConversation(): Promise<Conversation> {
  const target = chatTarget(Taro.getCurrentInstance().router?.params ?? {})
  if (!target) throw new Error('缺少会话参数')
  if ('id' in target) return api.get('/chat/conversations/{conversation_id}', { path: { conversation_id: target.id } })
  const list = await api.get('/chat/conversations', { query: { task_id: target.taskId } })
  const found = pickConversation(list.items, target.taskId, target.developerId)
  if (!found) throw new Error('还没有这个任务的会话：投递后即可与商家沟通')
  return found
}

export default function Chat() {
  useSignedIn()
  const [conv, setConv] = useState<Conversation>()
  const [messages, setMessages] = useState<Message[]>([])
  const [shownCount, setShownCount] = useState(PAGE)
  const [loadError, setLoadError] = useState<string | null>(null)
  const [pollError, setPollError] = useState<string | null>(null)
  const [text, setText] = useState('')
  const [warning, setWarning] = useState<string | null>(null)
  const send = useAction()
  const file = useAction()
  const open = useAction()
  const cursor = useRef<string | null>(null)
  const readUpTo = useRef(0)
  const busy = useRef(false)
  const timer = useRef<ReturnType<typeof setInterval> | null>(null)
  const convRef = useRef<Conversation>()

  /** Everything after the cursor (page after page while has_more), then the read receipt for the other's messages. */
  const fetchNew = useCallback(async (c: Conversation) => {
    const path = { conversation_id: c.id }
    let incoming: Message[] = []
    for (;;) {
      const page = await api.get('/chat/conversations/{conversation_id}/messages',
        { path, query: { cursor: cursor.current ?? undefined, limit: 200 } })
      incoming = incoming.concat(page.items)
      if (page.next_cursor) cursor.current = page.next_cursor
      if (!page.has_more) break
    }
    if (incoming.length) setMessages((shown) => mergeMessages(shown, incoming))
    const upTo = lastFromOther(incoming)
    if (upTo > readUpTo.current) {
      readUpTo.current = upTo
      await api.post('/chat/conversations/{conversation_id}/read', { path, body: { up_to_id: upTo } })
    }
  }, [])

  const poll = useCallback(async () => {
    const c = convRef.current
    if (!c || busy.current) return
    busy.current = true
    try {
      await fetchNew(c)
      const fresh = await api.get('/chat/conversations/{conversation_id}', { path: { conversation_id: c.id } })
      convRef.current = fresh
      setConv(fresh)
      setPollError(null)
    } catch (err) {
      setPollError(errorText(err))
    } finally {
      busy.current = false
    }
  }, [fetchNew])

  const start = useCallback(() => {
    if (timer.current === null) timer.current = setInterval(() => void poll(), POLL_MS)
  }, [poll])
  const stop = useCallback(() => {
    if (timer.current !== null) clearInterval(timer.current)
    timer.current = null
  }, [])

  useEffect(() => {
    let cancelled = false
    void (async () => {
      try {
        const c = await resolveConversation()
        if (cancelled) return
        convRef.current = c
        setConv(c)
        Taro.setNavigationBarTitle({ title: c.task_title }).catch(() => undefined)
        busy.current = true
        try {
          await fetchNew(c)
        } finally {
          busy.current = false
        }
        start()
      } catch (err) {
        if (!cancelled) setLoadError(errorText(err))
      }
    })()
    return () => {
      cancelled = true
      stop()
    }
  }, []) // eslint-disable-line react-hooks/exhaustive-deps
  useDidShow(() => {
    if (convRef.current) {
      void poll()
      start()
    }
  })
  useDidHide(stop)

  const sent = (answer: Schemas['SentOut']) => {
    setMessages((shown) => mergeMessages(shown, [answer.message]))
    setWarning(answer.warning ?? null)
  }

  const sendText = async () => {
    const c = conv
    const body = text.trim()
    if (!c || !body) return
    const answer = await send.run(() =>
      api.post('/chat/conversations/{conversation_id}/messages', { path: { conversation_id: c.id }, body: { body } }))
    if (!answer) return
    setText('')
    sent(answer)
  }

  const sendFile = () => file.run(async () => {
    const c = conv
    if (!c) return
    const picked = await pickFile()
    if (!picked) return
    const type = fileType(picked.name)
    if (!type) throw new Error('只能发送 PNG、JPEG、PDF、ZIP 或 TXT 文件')
    const path = { conversation_id: c.id }
    const policy = await api.post('/chat/conversations/{conversation_id}/uploads', { path, body: { content_type: type } })
    if (picked.size > policy.max_bytes) throw new Error(`文件不能超过 ${sizeText(policy.max_bytes)}`)
    const key = uploadKey(policy.key_prefix, picked.name)
    await uploadWithPolicy(policy, key, picked)
    sent(await api.post('/chat/conversations/{conversation_id}/files', { path, body: { key, name: picked.name.slice(-100) } }))
  })

  const openFile = (m: Message) => open.run(async () => {
    const link = await api.get('/chat/conversations/{conversation_id}/messages/{message_id}/file',
      { path: { conversation_id: m.conversation_id, message_id: m.id } })
    if (process.env.TARO_ENV === 'h5') {
      window.open(link.url, '_blank', 'noopener')
      return
    }
    const got = await Taro.downloadFile({ url: link.url })
    if (got.statusCode !== 200) throw new Error('文件下载失败，请稍后重试')
    await Taro.openDocument({ filePath: got.tempFilePath, showMenu: true }).catch(() =>
      Taro.setClipboardData({ data: link.url }))
  })

  if (loadError) return <View className='page' id='chat-page'><ErrorText error={loadError} /></View>
  if (!conv) return <View className='page' id='chat-page'><Loading /></View>

  const { items, earlier } = visible(messages, shownCount)
  const other = conv.my_role === 'merchant' ? '开发者' : '商家'
  return (
    <View className='page chat-page' id='chat-page'>
      <View className='card'>
        <View className='between'>
          <Text className='strong' id='chat-title'>{conv.task_title}</Text>
          <Tag tone={conv.writable ? 'ok' : 'muted'}>{conv.writable ? `与${other}沟通` : '只读'}</Tag>
        </View>
        <View className='small muted'>请在平台内沟通与交易：聊天记录会作为纠纷证据保留，站外联系方式会对对方隐去。</View>
      </View>
      {earlier > 0 ? (
        <View className='center'>
          <Btn id='chat-earlier' size='mini' kind='default' onTap={() => setShownCount(shownCount + PAGE)}>加载更早的消息（{earlier}）</Btn>
        </View>
      ) : null}
      {messages.length === 0 ? <Empty text={`还没有消息，向${other}打个招呼吧`} /> : null}
      <View id='chat-messages'>
        {items.map((m) => (
          <View key={m.id} id={`msg-${m.id}`} className={`chat-msg ${m.mine ? 'chat-mine' : 'chat-theirs'}`}>
            <View className='small muted'>{m.mine ? '我' : other} · {dateTime(m.created_at)}</View>
            {m.kind === 'file' ? (
              <View className='chat-bubble chat-file' id={`file-${m.id}`} onClick={() => void openFile(m)}><Text className='tag'>文件</Text> {m.body}</View>
            ) : (
              <View className='chat-bubble'><Text selectable className='msg-body'>{m.body}</Text></View>
            )}
            {m.link_url ? <View className='small'><Text selectable>{m.link_url}</Text></View> : null}
            {m.mine && m.flag_kinds.length ? <View className='small error-text'>{flagText(m.flag_kinds)}</View> : null}
            {!m.mine && m.masked ? <View className='small muted'>部分内容已隐去（站外联系方式）</View> : null}
            {m.mine ? <View className='small muted receipt' id={`receipt-${m.id}`}>{receipt(m, conv.other_read_id)}</View> : null}
          </View>
        ))}
      </View>
      <ErrorText error={open.error} />
      <ErrorText error={pollError} />
      {warning ? <View className='error-text' id='chat-warning'>{warning}</View> : null}
      {conv.writable ? (
        <View className='card chat-compose'>
          <Textarea id='chat-input' className='textarea' value={text} maxlength={2000} autoHeight
            placeholder={`给${other}发消息`} onInput={(e) => setText(e.detail.value)} />
          <View className='actions'>
            <Btn id='chat-send' size='mini' busy={send.busy} disabled={!text.trim()} onTap={() => void sendText()}>发送</Btn>
            <Btn id='chat-file' size='mini' kind='default' busy={file.busy} onTap={() => void sendFile()}>发送文件</Btn>
          </View>
          <ErrorText error={send.error} />
          <ErrorText error={file.error} />
        </View>
      ) : (
        <View className='notice' id='chat-closed'>这个会话已结束，只能查看</View>
      )}
    </View>
  )
}

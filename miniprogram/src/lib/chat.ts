// The task chat's pure parts: merging polled pages, the window shown ("load earlier"), read receipts, flag words,
// picking the conversation of an application, and file names → upload types and keys.

/** Add a polled page to what is shown: by id, oldest first, a message seen twice kept once (the newer copy wins). */
export function mergeMessages<M extends { id: number }>(shown: M[], incoming: M[]): M[] {
  if (!incoming.length) return shown
  const byId = new Map<number, M>()
  for (const m of shown) byId.set(m.id, m)
  for (const m of incoming) byId.set(m.id, m)
  return [...byId.values()].sort((a, b) => a.id - b.id)
}

/** The newest message id, 0 when there is none. */
export function lastId(messages: { id: number }[]): number {
  return messages.reduce((max, m) => (m.id > max ? m.id : max), 0)
}

/** The newest message from the other side, the one a read receipt goes up to (0: nothing to mark). */
export function lastFromOther(messages: { id: number; mine: boolean }[]): number {
  return messages.reduce((max, m) => (!m.mine && m.id > max ? m.id : max), 0)
}

export const PAGE = 20

/** How many of the loaded messages to show: the newest `PAGE` first, `PAGE` more each 「加载更早」. */
export function visible<M>(messages: M[], shownCount: number): { items: M[]; earlier: number } {
  const n = Math.min(Math.max(shownCount, 0), messages.length)
  return { items: messages.slice(messages.length - n), earlier: messages.length - n }
}

/** The receipt under a message of mine: read when the other side's read pointer reached it. */
export function receipt(m: { id: number; mine: boolean; read_by_other: boolean }, otherReadId: number): string {
  if (!m.mine) return ''
  return m.read_by_other || m.id <= otherReadId ? '已读' : '未读'
}

const KIND_NAMES: Record<string, string> = {
  phone: '手机号', wechat: '微信', qq: 'QQ', email: '邮箱', im: '其他聊天工具', payment: '站外支付', intent: '站外交易意图'
}

/** The flag kinds, in words, for the sender's own flagged message. */
export function flagText(kinds: string[]): string {
  if (!kinds.length) return ''
  return `含站外联系方式（${kinds.map((k) => KIND_NAMES[k] ?? k).join('、')}），对方看到的内容已隐去`
}

/** The conversation of an application: the developer has one per task; the merchant picks the applicant's. */
export function pickConversation<C extends { id: number; task_id: number; developer_id: number }>(
  items: C[], taskId: number, developerId?: number
): C | undefined {
  return items.find((c) => c.task_id === taskId && (developerId === undefined || c.developer_id === developerId))
}

/** The unread badge text ('' for none, 99+ beyond 99). */
export function unreadBadge(n: number): string {
  if (n <= 0) return ''
  return n > 99 ? '99+' : String(n)
}

export const FILE_TYPES = {
  png: 'image/png', jpg: 'image/jpeg', jpeg: 'image/jpeg', pdf: 'application/pdf', zip: 'application/zip', txt: 'text/plain'
} as const

export type FileType = (typeof FILE_TYPES)[keyof typeof FILE_TYPES]

/** The upload content type of a file name, or null when the chat does not take that type. */
export function fileType(name: string): FileType | null {
  const ext = name.toLowerCase().match(/\.([a-z0-9]+)$/)?.[1] ?? ''
  return (FILE_TYPES as Record<string, FileType>)[ext] ?? null
}

/** The object key under the policy's prefix: the name's last path part, spaces and slashes out, at most 100 chars. */
export function uploadKey(prefix: string, name: string): string {
  const base = name.split(/[\\/]/).pop() ?? 'file'
  const safe = base.replace(/[\s/\\?#%&+]+/g, '_').slice(-100) || 'file'
  return prefix + safe
}

/** A human size ("1.5 MB"); the chat's limit in words. */
export function sizeText(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KB`
  return `${(bytes / 1024 / 1024).toFixed(1)} MB`
}

/** The page's query: a conversation id, or a task (and, for the merchant, the applicant). */
export function chatTarget(params: Record<string, string | undefined>):
  { id: number } | { taskId: number; developerId?: number } | null {
  const num = (v: string | undefined) => (v && /^\d+$/.test(v) ? Number(v) : undefined)
  const id = num(params.id)
  if (id) return { id }
  const taskId = num(params.task_id)
  if (!taskId) return null
  return { taskId, developerId: num(params.developer_id) }
}

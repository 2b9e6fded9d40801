import { describe, expect, it } from 'vitest'
import {
  PAGE, chatTarget, fileType, flagText, lastFromOther, lastId, mergeMessages, pickConversation, receipt, sizeText,
  unreadBadge, uploadKey, visible
} from '../src/lib/chat'

const msg = (id: number, mine = false, extra: Record<string, unknown> = {}) => ({ id, mine, read_by_other: false, ...extra })

describe('mergeMessages', () => {
  it('keeps messages by id, oldest first, without duplicates; the newer copy wins', () => {
    const shown = [msg(1), msg(3, true)]
    const merged = mergeMessages(shown, [msg(3, true, { read_by_other: true }), msg(2), msg(5)])
    expect(merged.map((m) => m.id)).toEqual([1, 2, 3, 5])
    expect(merged[2].read_by_other).toBe(true)
  })
  it('answers the same array when nothing is new (a quiet poll re-renders nothing)', () => {
    const shown = [msg(1)]
    expect(mergeMessages(shown, [])).toBe(shown)
  })
})

describe('ids', () => {
  it('the newest id and the newest from the other side', () => {
    expect(lastId([])).toBe(0)
    expect(lastId([msg(4), msg(9), msg(2)])).toBe(9)
    expect(lastFromOther([msg(4), msg(9, true), msg(7)])).toBe(7)
    expect(lastFromOther([msg(9, true)])).toBe(0)
  })
})

describe('visible (load earlier)', () => {
  const all = Array.from({ length: 45 }, (_, i) => i + 1)
  it('shows the newest PAGE and counts the earlier ones', () => {
    const v = visible(all, PAGE)
    expect(v.items).toEqual(all.slice(25))
    expect(v.earlier).toBe(25)
  })
  it('shows everything once enough was asked, never more than there is', () => {
    expect(visible(all, PAGE * 3)).toEqual({ items: all, earlier: 0 })
    expect(visible([], PAGE)).toEqual({ items: [], earlier: 0 })
  })
})

describe('receipt', () => {
  it('is empty for the other side’s messages', () => {
    expect(receipt(msg(3), 10)).toBe('')
  })
  it('is 已读 when the other side’s pointer reached my message or the API said so, else 未读', () => {
    expect(receipt(msg(3, true), 3)).toBe('已读')
    expect(receipt(msg(4, true), 3)).toBe('未读')
    expect(receipt(msg(4, true, { read_by_other: true }), 0)).toBe('已读')
  })
})

describe('words', () => {
  it('names the flag kinds in Chinese', () => {
    expect(flagText([])).toBe('')
    expect(flagText(['wechat', 'phone'])).toContain('微信、手机号')
    expect(flagText(['unknown'])).toContain('unknown')
  })
  it('unread badges', () => {
    expect(unreadBadge(0)).toBe('')
    expect(unreadBadge(7)).toBe('7')
    expect(unreadBadge(100)).toBe('99+')
  })
  it('sizes', () => {
    expect(sizeText(20 * 1024 * 1024)).toBe('20.0 MB')
    expect(sizeText(1536)).toBe('1.5 KB')
    expect(sizeText(12)).toBe('12 B')
  })
})

describe('pickConversation', () => {
  const list = [
    { id: 1, task_id: 5, developer_id: 7 },
    { id: 2, task_id: 5, developer_id: 8 },
    { id: 3, task_id: 6, developer_id: 7 }
  ]
  it('the developer’s conversation of a task, or the merchant’s with one applicant', () => {
    expect(pickConversation(list, 6)?.id).toBe(3)
    expect(pickConversation(list, 5, 8)?.id).toBe(2)
    expect(pickConversation(list, 5, 9)).toBeUndefined()
    expect(pickConversation(list, 9)).toBeUndefined()
  })
})

describe('files', () => {
  it('maps the chat’s file types, case-insensitively, and refuses others', () => {
    expect(fileType('设计稿.PNG')).toBe('image/png')
    expect(fileType('a.jpeg')).toBe('image/jpeg')
    expect(fileType('报价.pdf')).toBe('application/pdf')
    expect(fileType('src.zip')).toBe('application/zip')
    expect(fileType('notes.txt')).toBe('text/plain')
    expect(fileType('run.exe')).toBeNull()
    expect(fileType('noext')).toBeNull()
  })
  it('keys stay under the prefix: path parts and unsafe characters out, at most 100 characters of name', () => {
    expect(uploadKey('chat/1/2/ab/', '../../etc/需求 说明.pdf')).toBe('chat/1/2/ab/需求_说明.pdf')
    expect(uploadKey('p/', 'C:\\tmp\\a&b.txt')).toBe('p/a_b.txt')
    const long = uploadKey('p/', 'x'.repeat(300) + '.pdf')
    expect(long.startsWith('p/')).toBe(true)
    expect(long.length).toBe(102)
    expect(long.endsWith('.pdf')).toBe(true)
    expect(uploadKey('p/', '')).toBe('p/file')
  })
})

describe('chatTarget', () => {
  it('a conversation id, or a task with an optional applicant; nothing usable is null', () => {
    expect(chatTarget({ id: '12' })).toEqual({ id: 12 })
    expect(chatTarget({ task_id: '5' })).toEqual({ taskId: 5, developerId: undefined })
    expect(chatTarget({ task_id: '5', developer_id: '9' })).toEqual({ taskId: 5, developerId: 9 })
    expect(chatTarget({ task_id: 'x' })).toBeNull()
    expect(chatTarget({})).toBeNull()
  })
})

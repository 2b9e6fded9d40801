import { describe, expect, it } from 'vitest'
import { ApiClient, ApiError, buildUrl, toApiError, type TransportRequest, type TransportResponse } from '@/api/client'

describe('buildUrl', () => {
  it('fills path parameters and joins array queries with commas, as the API reads them', () => {
    expect(buildUrl('/api', '/tasks/{task_id}', { task_id: 7 })).toBe('/api/tasks/7')
    expect(buildUrl('', '/tasks', undefined, { tags: ['python', 'vue'], sort: 'reward', cursor: null, limit: 5 }))
      .toBe('/tasks?tags=python%2Cvue&sort=reward&limit=5')
    expect(buildUrl('', '/tasks', undefined, { tags: [], reward_min: undefined, note: '' })).toBe('/tasks')
  })
  it('refuses a missing path parameter', () => {
    expect(() => buildUrl('', '/tasks/{task_id}', {})).toThrow(/task_id/)
  })
})

describe('errors', () => {
  it('keeps the API code and Chinese message, and names the first invalid field', () => {
    const err = toApiError(422, { code: 'VALIDATION_FAILED', message: '请求参数有误', errors: [{ field: 'title', message: '标题至少 4 个字' }] })
    expect(err).toBeInstanceOf(ApiError)
    expect(err.code).toBe('VALIDATION_FAILED')
    expect(err.display).toBe('请求参数有误：标题至少 4 个字')
    expect(toApiError(409, JSON.stringify({ code: 'ALREADY_APPLIED', message: '你已投递过该任务' })).display).toBe('你已投递过该任务')
  })
  it('has a Chinese message for answers without one', () => {
    expect(toApiError(0, null).message).toBe('网络连接失败，请稍后重试')
    expect(toApiError(502, '<html>').message).toBe('服务暂时不可用，请稍后重试')
  })
})

function client(answers: TransportResponse[], opts: { token?: string | null; refresh?: () => Promise<boolean> } = {}) {
  const sent: TransportRequest[] = []
  let token = opts.token ?? null
  let unauthorized = 0
  const api = new ApiClient({
    base: '/api',
    transport: async (req) => {
      sent.push(req)
      return answers.shift() ?? { status: 500, data: null }
    },
    token: () => token,
    refresh: opts.refresh ? async () => { const ok = await opts.refresh!(); if (ok) token = 'new'; return ok } : undefined,
    onUnauthorized: () => { unauthorized += 1 }
  })
  return { api, sent, unauthorized: () => unauthorized }
}

describe('ApiClient', () => {
  it('sends the method, URL, bearer token and JSON body', async () => {
    const c = client([{ status: 201, data: { id: 1 } }], { token: 'tok' })
    const out = await c.api.post('/applications', { body: { task_id: 3, note: 'hi' } })
    expect(out).toEqual({ id: 1 })
    expect(c.sent[0]).toEqual({ method: 'POST', url: '/api/applications', headers: { 'Content-Type': 'application/json', Authorization: 'Bearer tok' }, body: { task_id: 3, note: 'hi' } })
  })

  it('refreshes once on 401 and retries with the new token', async () => {
    const c = client([{ status: 401, data: { code: 'TOKEN_EXPIRED', message: '登录已过期' } }, { status: 200, data: { id: 9 } }],
      { token: 'old', refresh: async () => true })
    expect(await c.api.get('/auth/me')).toEqual({ id: 9 })
    expect(c.sent.map((r) => r.headers.Authorization)).toEqual(['Bearer old', 'Bearer new'])
  })

  it('gives up the session when refreshing fails', async () => {
    const c = client([{ status: 401, data: { code: 'TOKEN_EXPIRED', message: '登录已过期' } }], { token: 'old', refresh: async () => false })
    await expect(c.api.get('/tasks/mine')).rejects.toMatchObject({ status: 401, code: 'TOKEN_EXPIRED' })
    expect(c.unauthorized()).toBe(1)
  })

  it('throws the API error for other failures without touching the session', async () => {
    const c = client([{ status: 409, data: { code: 'ALREADY_APPLIED', message: '你已投递过该任务' } }], { token: 't' })
    await expect(c.api.post('/applications', { body: { task_id: 1 } })).rejects.toMatchObject({ code: 'ALREADY_APPLIED', message: '你已投递过该任务' })
    expect(c.unauthorized()).toBe(0)
  })
})

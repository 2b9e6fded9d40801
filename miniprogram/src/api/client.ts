// The typed API client. Every call is checked against the types generated from docs/openapi.json
// (src/api/schema.d.ts): the path must exist for the method, path/query/body must have the documented shape and the
// answer has the documented type. A backend change that breaks a call fails `tsc`.
//
// The transport is Taro.request (wx.request on WeChat, fetch on H5), injected so unit tests can run without Taro.
import type { components, paths } from './schema'

export type Schemas = components['schemas']
export type HttpMethod = 'get' | 'post' | 'put' | 'patch' | 'delete'

/** Paths that have an operation for method M. */
export type PathsFor<M extends HttpMethod> = {
  [P in keyof paths]: paths[P][M] extends { responses: unknown } ? P : never
}[keyof paths]

type Operation<P extends keyof paths, M extends HttpMethod> = paths[P][M]
type PathParams<O> = O extends { parameters: { path: infer A } } ? A : never
type QueryParams<O> = O extends { parameters: { query?: infer Q } } ? Q : never
type RequiredBody<O> = O extends { requestBody: { content: { 'application/json': infer B } } } ? B : never
type OptionalBody<O> = O extends { requestBody?: { content: { 'application/json': infer B } } } ? B : never
type Json<R> = R extends { content: { 'application/json': infer T } } ? T : never
/** The documented success answer (200 or 201). */
export type Answer<O> = O extends { responses: infer R }
  ? R extends { 200: infer A } ? Json<A> : R extends { 201: infer A } ? Json<A> : unknown
  : never

type IsNever<T> = [T] extends [never] ? true : false
export type CallOptions<O> = (IsNever<PathParams<O>> extends true ? { path?: undefined } : { path: PathParams<O> }) &
  (IsNever<RequiredBody<O>> extends true ? { body?: OptionalBody<O> } : { body: RequiredBody<O> }) & {
    query?: QueryParams<O>
  }

export interface FieldError { field: string; message: string }

/** An answer that is not 2xx, carrying the API's stable code and its Chinese message. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly fieldErrors: FieldError[] = []
  ) {
    super(message)
    this.name = 'ApiError'
  }

  /** What to show the user: the API's message, with the first field's message when validation failed. */
  get display(): string {
    const first = this.fieldErrors[0]
    return first && first.message && !this.message.includes(first.message) ? `${this.message}：${first.message}` : this.message
  }
}

export interface TransportRequest {
  method: string
  url: string
  headers: Record<string, string>
  body?: unknown
}
export interface TransportResponse { status: number; data: unknown }
export type Transport = (req: TransportRequest) => Promise<TransportResponse>

/** Fill `{name}` placeholders and append the query (arrays comma-joined, as the API reads them; nulls dropped). */
export function buildUrl(base: string, template: string, path?: Record<string, unknown>, query?: Record<string, unknown>): string {
  const filled = template.replace(/\{(\w+)\}/g, (_, name: string) => {
    const value = path?.[name]
    if (value === undefined || value === null) throw new Error(`missing path parameter ${name} for ${template}`)
    return encodeURIComponent(String(value))
  })
  const parts: string[] = []
  for (const [key, value] of Object.entries(query ?? {})) {
    if (value === undefined || value === null || value === '') continue
    if (Array.isArray(value) && value.length === 0) continue
    const text = Array.isArray(value) ? value.join(',') : String(value)
    parts.push(`${encodeURIComponent(key)}=${encodeURIComponent(text)}`)
  }
  return base + filled + (parts.length ? `?${parts.join('&')}` : '')
}

/** Turn a non-2xx answer into an ApiError with the API's code and Chinese message (or a plain one). */
export function toApiError(status: number, data: unknown): ApiError {
  const body = (typeof data === 'string' ? safeJson(data) : data) as Partial<Schemas['Error']> | null
  if (body && typeof body.message === 'string' && typeof body.code === 'string') {
    const fields = Array.isArray(body.errors) ? (body.errors as FieldError[]) : []
    return new ApiError(status, body.code, body.message, fields)
  }
  if (status === 0) return new ApiError(0, 'NETWORK', '网络连接失败，请稍后重试')
  return new ApiError(status, 'HTTP_' + status, status >= 500 ? '服务暂时不可用，请稍后重试' : `请求失败（${status}）`)
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text)
  } catch {
    return null
  }
}

export interface ClientOptions {
  base: string
  transport: Transport
  /** The current access token, if any. */
  token: () => string | null
  /** Called once on a 401 for a request that carried a token; return true when a new token was obtained. */
  refresh?: () => Promise<boolean>
  /** Called when the session is gone (401 after refreshing, or no refresh possible). */
  onUnauthorized?: () => void
}

type Args<O> = {} extends CallOptions<O> ? [options?: CallOptions<O>] : [options: CallOptions<O>]
type Op<M extends HttpMethod, P extends PathsFor<M>> = Operation<P, M>

export class ApiClient {
  constructor(private readonly options: ClientOptions) {}

  get<P extends PathsFor<'get'>>(path: P, ...args: Args<Op<'get', P>>): Promise<Answer<Op<'get', P>>> {
    return this.send('GET', path, args[0])
  }

  post<P extends PathsFor<'post'>>(path: P, ...args: Args<Op<'post', P>>): Promise<Answer<Op<'post', P>>> {
    return this.send('POST', path, args[0])
  }

  put<P extends PathsFor<'put'>>(path: P, ...args: Args<Op<'put', P>>): Promise<Answer<Op<'put', P>>> {
    return this.send('PUT', path, args[0])
  }

  patch<P extends PathsFor<'patch'>>(path: P, ...args: Args<Op<'patch', P>>): Promise<Answer<Op<'patch', P>>> {
    return this.send('PATCH', path, args[0])
  }

  delete<P extends PathsFor<'delete'>>(path: P, ...args: Args<Op<'delete', P>>): Promise<Answer<Op<'delete', P>>> {
    return this.send('DELETE', path, args[0])
  }

  private async send<T>(method: string, path: string, options: unknown): Promise<T> {
    const opts = (options ?? {}) as { path?: Record<string, unknown>; query?: Record<string, unknown>; body?: unknown }
    const url = buildUrl(this.options.base, path, opts.path, opts.query)
    const attempt = async () => {
      const headers: Record<string, string> = { 'Content-Type': 'application/json' }
      const token = this.options.token()
      if (token) headers.Authorization = `Bearer ${token}`
      const res = await this.options.transport({ method, url, headers, body: opts.body })
      return { res, hadToken: Boolean(token) }
    }
    let { res, hadToken } = await attempt()
    if (res.status === 401 && hadToken && this.options.refresh) {
      if (await this.options.refresh()) ({ res, hadToken } = await attempt())
    }
    if (res.status >= 200 && res.status < 300) return res.data as T
    if (res.status === 401 && hadToken) this.options.onUnauthorized?.()
    throw toApiError(res.status, res.data)
  }
}

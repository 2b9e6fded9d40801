// Compile-time checks of the typed client (tsc runs them; nothing here executes).
import { ApiClient } from './client'

declare const api: ApiClient

export async function typeChecks() {
  const task = await api.get('/tasks/{task_id}', { path: { task_id: 1 } })
  const title: string = task.title
  const hall = await api.get('/tasks', { query: { sort: 'reward', tags: ['python'] } })
  const first: number | undefined = hall.items[0]?.id
  await api.get('/tasks')
  await api.post('/applications', { body: { task_id: 1, note: 'hi' } })
  // @ts-expect-error the body is required
  await api.post('/applications')
  // @ts-expect-error unknown sort
  await api.get('/tasks', { query: { sort: 'random' } })
  // @ts-expect-error no such path
  await api.get('/nope')
  // @ts-expect-error the path parameter is required
  await api.get('/tasks/{task_id}')
  return { title, first }
}

// The skill taxonomy (GET /profiles/skills), loaded once per app run.
import { useEffect, useState } from 'react'
import { api, type Schemas } from '@/api'

type Category = Schemas['SkillCategoryOut']
let cache: Promise<Category[]> | null = null

export function loadSkills(): Promise<Category[]> {
  cache ??= api.get('/profiles/skills').catch((err) => {
    cache = null
    throw err
  })
  return cache
}

export function useSkills(): { categories: Category[]; name: (slug: string) => string } {
  const [categories, setCategories] = useState<Category[]>([])
  useEffect(() => {
    loadSkills().then(setCategories).catch(() => setCategories([]))
  }, [])
  const names = new Map(categories.flatMap((c) => c.skills.map((s) => [s.slug, s.name] as const)))
  return { categories, name: (slug) => names.get(slug) ?? slug }
}

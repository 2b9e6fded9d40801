// Skills from the taxonomy, grouped by category, as chips to toggle (hall filter, publish form, resume card).
import { Text, View } from '@tarojs/components'
import type { Schemas } from '@/api'
import { toggle } from '@/lib/hall'
import { Chip } from './ui'

export function SkillPicker({ categories, selected, onChange, idPrefix }: {
  categories: Schemas['SkillCategoryOut'][]
  selected: string[]
  onChange: (slugs: string[]) => void
  idPrefix: string
}) {
  return (
    <>
      {categories.map((c) => (
        <View key={c.slug}>
          <Text className='muted'>{c.name}</Text>
          <View className='chips'>
            {c.skills.map((s) => (
              <Chip key={s.slug} id={`${idPrefix}-${s.slug}`} label={s.name} active={selected.includes(s.slug)}
                onTap={() => onChange(toggle(selected, s.slug))} />
            ))}
          </View>
        </View>
      ))}
    </>
  )
}

// 社区: the feed (newest first, more on reaching the bottom: the keyset cursor), a composer (the content-security
// check's refusal shown as the API words it), likes, comments and reporting a post.
import { useState } from 'react'
import { Input, Text, Textarea, View } from '@tarojs/components'
import { api, type Schemas } from '@/api'
import { Btn, Empty, ErrorText, Loading, Section } from '@/components/ui'
import { useAction } from '@/lib/hooks'
import { usePaged } from '@/lib/paged'
import { useSignedIn } from '@/lib/auth'
import { getSession, isSignedIn } from '@/lib/session'
import { dateTime } from '@/lib/format'
import { addComment, applyLike, parseTags } from '@/lib/community'
import { go } from '@/lib/navigate'

type Post = Schemas['PostOut']

function Composer({ onPosted }: { onPosted: (post: Post) => void }) {
  const [body, setBody] = useState('')
  const [tags, setTags] = useState('')
  const action = useAction()
  return (
    <Section title='发帖'>
      <Textarea id='post-body' className='textarea' value={body} maxlength={2000} placeholder='分享经验、提问或招募队友（发布前经内容安全检测）'
        onInput={(e) => setBody(e.detail.value)} />
      <Input id='post-tags' className='input' value={tags} placeholder='话题（选填，空格分隔，如 #Python #求职）' onInput={(e) => setTags(e.detail.value)} />
      <Btn id='post-submit' busy={action.busy} disabled={!body.trim()} onTap={() => void action.run(async () => {
        const post = await api.post('/community/posts', { body: { body: body.trim(), tags: parseTags(tags) } })
        setBody('')
        setTags('')
        onPosted(post)
      }, '已发布')}>发布</Btn>
      <ErrorText error={action.error} />
    </Section>
  )
}

function Comments({ post, onCommented }: { post: Post; onCommented: () => void }) {
  const list = usePaged((cursor) => api.get('/community/posts/{post_id}/comments', { path: { post_id: post.id }, query: { cursor } }), [post.id])
  const [body, setBody] = useState('')
  const action = useAction()
  return (
    <View id={`comments-of-${post.id}`}>
      {list.data === undefined ? (list.error ? <ErrorText error={list.error} /> : <Loading />) : null}
      {list.data?.length === 0 ? <View className='muted'>还没有评论</View> : null}
      {list.items.map((c) => (
        <View key={c.id} className='comment' id={`comment-${c.id}`}>
          <Text className='strong'>{c.author_name}</Text>：{c.body}
          <Text className='muted'> · {dateTime(c.created_at)}</Text>
        </View>
      ))}
      {list.more ? <View className='link' onClick={() => void list.loadMore()}>更多评论</View> : null}
      <View className='comment-form'>
        <Input id={`comment-input-${post.id}`} className='input' value={body} maxlength={500} placeholder='写评论…' onInput={(e) => setBody(e.detail.value)} />
        <Btn id={`comment-submit-${post.id}`} size='mini' busy={action.busy} disabled={!body.trim()} onTap={() => void action.run(async () => {
          await api.post('/community/posts/{post_id}/comments', { path: { post_id: post.id }, body: { body: body.trim() } })
          setBody('')
          onCommented()
          await list.reload()
        })}>发送</Btn>
      </View>
      <ErrorText error={action.error} />
    </View>
  )
}

function PostCard({ post, me, onLike, onCommented }: {
  post: Post
  me: number | undefined
  onLike: (like: Schemas['LikeOut']) => void
  onCommented: () => void
}) {
  const [open, setOpen] = useState(false)
  const [reporting, setReporting] = useState(false)
  const [reason, setReason] = useState('')
  const action = useAction()
  const path = { post_id: post.id }
  return (
    <View className='card' id={`post-${post.id}`}>
      <View className='between'>
        <Text className='strong'>{post.author_name}</Text>
        <Text className='muted'>{dateTime(post.created_at)}</Text>
      </View>
      <View className='body-text'>{post.body}</View>
      {post.tags.length ? <View className='row'>{post.tags.map((t) => <Text key={t} className='tag'>#{t}</Text>)}</View> : null}
      <View className='post-actions'>
        <Text id={`like-${post.id}`} className={post.liked_by_me ? 'post-action-on' : ''} onClick={() => void action.run(async () => {
          onLike(post.liked_by_me ? await api.delete('/community/posts/{post_id}/like', { path }) : await api.put('/community/posts/{post_id}/like', { path }))
        })}>
          {post.liked_by_me ? '♥ 已赞' : '♡ 点赞'} <Text id={`like-count-${post.id}`}>{post.like_count}</Text>
        </Text>
        <Text id={`toggle-comments-${post.id}`} onClick={() => setOpen(!open)}>评论 {post.comment_count}</Text>
        {me !== post.author_id ? <Text id={`report-${post.id}`} onClick={() => setReporting(!reporting)}>举报</Text> : null}
      </View>
      {reporting ? (
        <View>
          <Input id={`report-reason-${post.id}`} className='input' value={reason} maxlength={200} placeholder='举报理由（广告、辱骂、违规内容…）' onInput={(e) => setReason(e.detail.value)} />
          <Btn id={`report-submit-${post.id}`} size='mini' kind='warn' busy={action.busy} onTap={() => void action.run(async () => {
            await api.post('/community/posts/{post_id}/report', { path, body: { reason: reason.trim() } })
            setReporting(false)
            setReason('')
          }, '已举报')}>提交举报</Btn>
        </View>
      ) : null}
      <ErrorText error={action.error} />
      {open ? <Comments post={post} onCommented={onCommented} /> : null}
    </View>
  )
}

export default function Community() {
  useSignedIn()
  const me = getSession()?.user.id
  const feed = usePaged(async (cursor) => (isSignedIn() ? api.get('/community/posts', { query: { cursor } }) : Promise.reject(new Error('请先登录'))))
  return (
    <View className='page'>
      <View className='quick-links'>
        <View className='quick-link' id='go-invite' onClick={() => go('invite')}>邀请好友</View>
        <View className='quick-link' id='go-mentors' onClick={() => go('mentors')}>导师特训</View>
      </View>
      <Composer onPosted={(post) => feed.update((items) => [post, ...items.filter((p) => p.id !== post.id)])} />
      {feed.data === undefined ? (feed.error ? <ErrorText error={feed.error} /> : <Loading />) : <ErrorText error={feed.error} />}
      {feed.data?.length === 0 ? <Empty text='还没有帖子，来发第一帖吧' /> : null}
      {feed.items.map((p) => (
        <PostCard key={p.id} post={p} me={me}
          onLike={(like) => feed.update((items) => applyLike(items, like))}
          onCommented={() => feed.update((items) => addComment(items, p.id))} />
      ))}
      {feed.data?.length ? (
        feed.loading ? <Loading /> : feed.more
          ? <View className='state' id='feed-more' onClick={() => void feed.loadMore()}>上拉加载更多</View>
          : <View className='state'>没有更多了</View>
      ) : null}
    </View>
  )
}

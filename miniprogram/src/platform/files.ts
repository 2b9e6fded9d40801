// Picking a file and uploading it straight to object storage through an upload policy (a presigned POST the API
// signs): on WeChat wx.chooseMessageFile + wx.uploadFile; in a browser an <input type=file> and a form POST.
import Taro from '@tarojs/taro'

export interface PickedFile {
  name: string
  size: number
  path?: string // WeChat: the temporary file path
  blob?: Blob // browser: the file itself
}

export interface Policy { url: string; fields: Record<string, string> }

/** Let the user pick one file; null when they cancel. */
export async function pickFile(): Promise<PickedFile | null> {
  if (process.env.TARO_ENV === 'h5') {
    return new Promise((resolve) => {
      const el = document.createElement('input')
      el.type = 'file'
      el.accept = '.png,.jpg,.jpeg,.pdf,.zip,.txt'
      el.style.display = 'none'
      el.id = 'chat-file-input'
      el.onchange = () => {
        const f = el.files?.[0]
        el.remove()
        resolve(f ? { name: f.name, size: f.size, blob: f } : null)
      }
      document.body.appendChild(el)
      el.click()
    })
  }
  try {
    const res = await Taro.chooseMessageFile({ count: 1, type: 'all' })
    const f = res.tempFiles[0]
    return f ? { name: f.name, size: f.size, path: f.path } : null
  } catch {
    return null // cancelled
  }
}

/** Upload under `key` with the policy's form fields (the file field is `file`, last, as COS/S3 require). */
export async function uploadWithPolicy(policy: Policy, key: string, file: PickedFile): Promise<void> {
  const fields = { ...policy.fields, key }
  if (process.env.TARO_ENV === 'h5') {
    const form = new FormData()
    for (const [k, v] of Object.entries(fields)) form.append(k, v)
    form.append('file', file.blob as Blob, file.name)
    // The storage's own origin: a plain form POST (no-cors); whether it arrived the API checks when the message is sent.
    await fetch(policy.url, { method: 'POST', body: form, mode: 'no-cors' }).catch(() => {
      throw new Error('文件上传失败，请检查网络后重试')
    })
    return
  }
  const res = await Taro.uploadFile({ url: policy.url, filePath: file.path as string, name: 'file', formData: fields })
  if (res.statusCode < 200 || res.statusCode >= 300) throw new Error('文件上传失败，请稍后重试')
}

// Opening a report's PDF on the phone (WeChat's document viewer) or in a browser.
import Taro from '@tarojs/taro'

/** Open a PDF from its (short-lived, presigned) link: WeChat downloads it and opens its viewer; a browser a tab. */
export async function openPdf(url: string): Promise<void> {
  if (process.env.TARO_ENV === 'h5') {
    window.open(url, '_blank', 'noopener')
    return
  }
  const file = await Taro.downloadFile({ url })
  if (file.statusCode !== 200) throw new Error('报告下载失败，请稍后重试')
  await Taro.openDocument({ filePath: file.tempFilePath, fileType: 'pdf', showMenu: true })
}

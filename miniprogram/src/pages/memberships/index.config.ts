export default definePageConfig({ navigationBarTitleText: '会员与权益', enablePullDownRefresh: true })

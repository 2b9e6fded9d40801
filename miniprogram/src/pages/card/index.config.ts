export default definePageConfig({ navigationBarTitleText: '简历卡片', enableShareAppMessage: true, enablePullDownRefresh: true })

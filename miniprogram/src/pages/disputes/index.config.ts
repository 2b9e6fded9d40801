export default definePageConfig({ navigationBarTitleText: '我的纠纷', enablePullDownRefresh: true })

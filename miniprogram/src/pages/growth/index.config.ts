export default definePageConfig({ navigationBarTitleText: '成长', enablePullDownRefresh: true, onReachBottomDistance: 120 })

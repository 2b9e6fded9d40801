export default definePageConfig({ navigationBarTitleText: '收入与收款', enablePullDownRefresh: true, onReachBottomDistance: 120 })

export default definePageConfig({ navigationBarTitleText: '纠纷', enablePullDownRefresh: true })

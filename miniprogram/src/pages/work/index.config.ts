export default definePageConfig({ navigationBarTitleText: '交付与验收', enablePullDownRefresh: true })

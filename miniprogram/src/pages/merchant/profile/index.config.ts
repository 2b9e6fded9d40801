export default definePageConfig({ navigationBarTitleText: '商家资料' })

import { PAGES, TABS } from './nav'

export default defineAppConfig({
  // The first page is the home page: the task hall.
  pages: [PAGES.hall, ...Object.values(PAGES).filter((p) => p !== PAGES.hall)],
  window: {
    backgroundTextStyle: 'dark',
    navigationBarBackgroundColor: '#ffffff',
    navigationBarTitleText: 'CodeLink',
    navigationBarTextStyle: 'black',
    backgroundColor: '#f5f6f8'
  },
  tabBar: {
    color: '#7a7e85',
    selectedColor: '#1f6feb',
    backgroundColor: '#ffffff',
    borderStyle: 'black',
    list: TABS.map((t) => ({
      pagePath: PAGES[t.page],
      text: t.text,
      iconPath: `assets/tab/${t.page}.png`,
      selectedIconPath: `assets/tab/${t.page}-active.png`
    }))
  }
})
